/**
 * Keycloak's redirect URI rules (RedirectUtils.verifyRedirectUri, Keycloak 26), on parsed URLs
 * (WHATWG URL, as browsers parse a Location header) instead of string prefixes:
 * - an exact pattern matches the same URL (host case and default port normalised, query included);
 * - a pattern ending in `*` (with no `?` or `#`) matches the same scheme, host and port and any
 *   path starting with the pattern's path, whatever the query; `http://host:4000*` means
 *   `http://host:4000/*`, and `/app/*` also matches `/app`;
 * - `*` alone matches any http(s) URL (Keycloak's full wildcard);
 * - an `http` redirect to a loopback host may use any port when the pattern gives none (RFC 8252 §7.3);
 * - a scheme other than http(s) only matches a pattern of that scheme.
 * Refused before any pattern is looked at (Keycloak refuses some of these only for wildcards; see
 * docs/protocol-security.md): a URI that does not parse, userinfo (`user@`), a fragment, `.` or
 * `..` path segments (also percent-encoded), backslashes, whitespace and control characters, and
 * a query carrying an OAuth response parameter (`code`, `state`, ...: Keycloak's
 * FORBIDDEN_OIDC_PARAMS). A port wildcard (`http://host:*`) is not supported: it matches nothing.
 */

/** Keycloak RedirectUtils.FORBIDDEN_OIDC_PARAMS: response parameters a redirect URI may not carry. */
const FORBIDDEN_PARAMS = new Set([
  'code',
  'id_token',
  'access_token',
  'token_type',
  'expires_in',
  'state',
  'iss',
  'error',
  'error_description',
  'session_state',
  'response',
  'kc_action',
  'kc_action_status',
]);

/** A `.` or `..` segment, plain or percent-encoded (once or twice), ended by a separator or the end. */
const DOT_SEGMENT = /(^|\/|%2f|%5c)(\.|%2e|%252e){1,2}(\/|%2f|%5c|;|%3b|\?|$)/i;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function parse(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

/** The part of a URI before its query and fragment. */
const beforeQuery = (uri: string) => uri.split(/[?#]/, 1)[0];

/**
 * The redirect URI a client asked for, parsed, or undefined when it may never be a redirect target
 * (the rules above). Never throws.
 */
export function parseRedirectUri(uri: string): URL | undefined {
  if (uri.length > 4096 || /[\s\x00-\x1f\x7f\\#]/.test(uri)) return undefined;
  const url = parse(uri);
  if (!url || url.username || url.password) return undefined;
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?]*)/i.exec(uri)?.[1];
  if (authority?.includes('@')) return undefined;
  if (DOT_SEGMENT.test(beforeQuery(uri).replace(/^[a-z][a-z0-9+.-]*:(\/\/[^/?]*)?/i, '')))
    return undefined;
  for (const name of url.searchParams.keys())
    if (FORBIDDEN_PARAMS.has(name.toLowerCase())) return undefined;
  return url;
}

const isWeb = (url: URL) => url.protocol === 'http:' || url.protocol === 'https:';

/** Whether `redirect` matches the wildcard pattern `prefix` (the pattern without its `*`). */
function matchesWildcard(redirect: URL, prefix: string): boolean {
  // `http://host:4000*` is `http://host:4000/*` (Keycloak checkValidRedirectWildcard).
  const base = parse(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*$/i.test(prefix) ? `${prefix}/` : prefix);
  if (!base || base.username || base.password || base.search || base.hash) return false;
  if (
    base.protocol !== redirect.protocol ||
    base.hostname !== redirect.hostname ||
    base.port !== redirect.port
  )
    return false;
  const path = base.pathname;
  return (
    redirect.pathname.startsWith(path) ||
    (path.length > 1 && path.endsWith('/') && redirect.pathname === path.slice(0, -1))
  );
}

function matchesPattern(redirect: URL, pattern: string): boolean {
  if (pattern === '*') return isWeb(redirect);
  if (pattern.endsWith('*') && !/[?#]/.test(pattern))
    return matchesWildcard(redirect, pattern.slice(0, -1));
  const exact = parse(pattern);
  return exact !== undefined && exact.href === redirect.href;
}

/**
 * The fragment of a requested redirect URI, when it may be kept (response_mode=fragment, see
 * matchesRedirect): no second `#`, no whitespace, control character or backslash, and none of
 * FORBIDDEN_PARAMS as a `&`-separated `name=` (else the client could read an injected `state` or
 * `code` before the real one).
 */
function allowedFragment(fragment: string): boolean {
  if (fragment.length > 2048 || /[\s\x00-\x1f\x7f\\#]/.test(fragment)) return false;
  return fragment
    .split('&')
    .every((part) => !FORBIDDEN_PARAMS.has(decodeName(part.split('=', 1)[0]).toLowerCase()));
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * Whether the redirect URI `uri` is allowed by one of `patterns` (absolute, as clients.ts
 * resolves them). Never throws: a malformed `uri` or pattern matches nothing.
 *
 * With `allowFragment` (an authorization request answered in response_mode=fragment), the URI may
 * end in a fragment, as a hash-routed application's `location.href` does: it is left out of the
 * match and kept in the answer (Keycloak's OIDCRedirectUriBuilder appends the response parameters
 * to it). Without it, any fragment is refused (RFC 6749 §3.1.2).
 */
export function matchesRedirect(
  uri: string,
  patterns: string[],
  options: { allowFragment?: boolean } = {},
): boolean {
  const hash = uri.indexOf('#');
  if (hash !== -1) {
    if (!options.allowFragment || !allowedFragment(uri.slice(hash + 1))) return false;
    return matchesRedirect(uri.slice(0, hash), patterns);
  }
  const redirect = parseRedirectUri(uri);
  if (!redirect) return false;
  if (patterns.some((p) => matchesPattern(redirect, p))) return true;
  // RFC 8252 §7.3: native apps listen on an ephemeral loopback port (Keycloak tries port 80).
  if (redirect.protocol !== 'http:' || !LOOPBACK.has(redirect.hostname) || !redirect.port)
    return false;
  const anyPort = new URL(redirect.href);
  anyPort.port = '';
  return patterns.some((p) => matchesPattern(anyPort, p));
}

/**
 * Import-time check of a client's redirect URI patterns (`redirectUris` and the
 * `post.logout.redirect.uris` attribute), so that a URI that can never be a redirect target
 * refuses the realm file with its JSON path instead of failing at the first login.
 *
 * Accepted, as Keycloak accepts and matches them (RedirectUtils.verifyRedirectUri /
 * matchesRedirects, Keycloak 26): `*`; a relative pattern (`/cb/*`, resolved against the client's
 * rootUrl); an absolute URI of any scheme, custom schemes of native apps included
 * (`com.example.app://cb`, `com.example.app:/cb`, RFC 8252 §7.1), with or without a trailing `*`
 * (`/*`, `http://host:4000*`, `custom:*`); in post-logout URIs also `+` and `-`
 * (OIDCAdvancedConfigWrapper.getPostLogoutRedirectUris). An empty entry is ignored (Keycloak
 * exports carry `""`).
 *
 * Refused with Keycloak's messages (DefaultClientValidationProvider.checkUri, FieldMessages
 * REDIRECT_URIS, which Keycloak also runs at import): a fragment ("Redirect URIs must not contain
 * an URI fragment"), the `javascript:` and `data:` schemes ("A redirect URI uses an illegal
 * scheme"), a URI that does not parse ("A redirect URI is not a valid URI"). Stricter than
 * Keycloak: also `vbscript:`, `blob:`, `file:`, `about:` (oidc-provider's list for native clients),
 * an http(s) URI without a host, and a scheme-less pattern not starting with `/` (Keycloak keeps
 * it unresolved, so it matches no real redirect URI; here it would resolve against rootUrl).
 */
import type { ClientRepresentation } from '../model/representation.ts';

export interface UriProblem {
  path: string;
  reason: string;
}

const FORBIDDEN_SCHEMES = new Set([
  'javascript:',
  'vbscript:',
  'data:',
  'blob:',
  'file:',
  'about:',
]);
const INVALID = 'A redirect URI is not a valid URI';

/** Why `pattern` can never match a redirect URI, or undefined when it is acceptable. */
export function redirectPatternProblem(pattern: string, postLogout = false): string | undefined {
  if (pattern === '' || pattern === '*' || (postLogout && (pattern === '+' || pattern === '-')))
    return undefined;
  if (/[\s\x00-\x1f\x7f]/.test(pattern)) return INVALID;
  if (pattern.includes('#')) return 'Redirect URIs must not contain an URI fragment';
  if (!/^[a-z][a-z0-9+.-]*:/i.test(pattern)) {
    return pattern.startsWith('/') ? undefined : `${INVALID} (a relative one starts with "/")`;
  }
  let url: URL;
  try {
    // A port wildcard (`https://host:*/cb`) is accepted as Keycloak accepts it (it matches nothing here).
    url = new URL(
      pattern.replace(/\*$/, '').replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#]*):\*(?=[/?#]|$)/i, '$1'),
    );
  } catch {
    return INVALID;
  }
  if (FORBIDDEN_SCHEMES.has(url.protocol))
    return `A redirect URI uses an illegal scheme (${url.protocol.slice(0, -1)})`;
  if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.hostname)
    return `${INVALID} (no host)`;
  return undefined;
}

/** Problems of client `clients[index]`'s redirect URI patterns, with their JSON paths. */
export function clientUriProblems(client: ClientRepresentation, index: number): UriProblem[] {
  const problems: UriProblem[] = [];
  client.redirectUris.forEach((pattern, j) => {
    const reason = redirectPatternProblem(pattern);
    if (reason)
      problems.push({
        path: `clients[${index}].redirectUris[${j}]`,
        reason: `${reason}: "${pattern}"`,
      });
  });
  const postLogout = client.attributes['post.logout.redirect.uris'];
  for (const pattern of (postLogout ?? '').split('##')) {
    const reason = redirectPatternProblem(pattern, true);
    if (reason)
      problems.push({
        path: `clients[${index}].attributes["post.logout.redirect.uris"]`,
        reason: `${reason}: "${pattern}"`,
      });
  }
  return problems;
}

/**
 * Keycloak ClientRepresentation -> oidc-provider client metadata, and the client's redirect URI
 * patterns (matched by redirect-uri.ts): relative patterns resolve against the client's rootUrl
 * (Keycloak's `${authBaseUrl}` placeholder included); `+` in post-logout URIs means "the
 * redirect URIs".
 */
import type { ClientMetadata } from 'oidc-provider';
import type { ClientRepresentation } from '../model/representation.ts';
import type { RealmContext } from './realm-context.ts';
import { idTokenAlg } from './realm-context.ts';
import { PASSWORD_GRANT } from './password-grant.ts';
import { parseRedirectUri } from './redirect-uri.ts';
import { clientAuthMetadata } from './client-auth.ts';

/**
 * The client's rootUrl with Keycloak's placeholders resolved (ResolveRelative.resolveRootUrl):
 * `${authBaseUrl}` and `${authAdminUrl}` are this server's base URL.
 */
function rootUrlOf(client: ClientRepresentation, baseUrl: string): string {
  return (client.rootUrl || baseUrl).replace(/^\$\{(authBaseUrl|authAdminUrl)\}/, baseUrl);
}

function resolvePattern(pattern: string, client: ClientRepresentation, baseUrl: string): string {
  if (pattern === '*' || /^[a-z][a-z0-9+.-]*:/i.test(pattern)) return pattern;
  const root = rootUrlOf(client, baseUrl);
  return `${root.replace(/\/$/, '')}${pattern.startsWith('/') ? '' : '/'}${pattern}`;
}

export function redirectPatterns(client: ClientRepresentation, baseUrl: string): string[] {
  return client.redirectUris.map((p) => resolvePattern(p, client, baseUrl));
}

/**
 * The client's post-logout redirect URI patterns, as Keycloak reads `post.logout.redirect.uris`
 * (OIDCAdvancedConfigWrapper.getPostLogoutRedirectUris; the admin console's help for "Valid post
 * logout redirect URIs": "A value of '+' or an empty field will use the list of valid redirect
 * uris. A value of '-' will not allow any post logout redirect uris"): unset or empty means the
 * redirect URIs, `+` adds them, `-` means none.
 */
export function postLogoutPatterns(client: ClientRepresentation, baseUrl: string): string[] {
  const entries = (client.attributes['post.logout.redirect.uris'] ?? '')
    .split('##')
    .filter(Boolean);
  if (!entries.length) return redirectPatterns(client, baseUrl);
  if (entries[0] === '-') return [];
  return entries.flatMap((p) =>
    p === '+'
      ? redirectPatterns(client, baseUrl)
      : p === '-'
        ? []
        : [resolvePattern(p, client, baseUrl)],
  );
}

/**
 * oidc-provider validates redirect_uris as web URLs (a web client with another scheme is refused
 * as a whole): give it the http(s) patterns that parse as one. Which URI is allowed is decided by
 * matchesRedirect (redirect-uri.ts), not by this list.
 */
function validUrls(patterns: string[]): string[] {
  return patterns
    .map((p) => p.replace(/\*$/, ''))
    .filter((p) => /^https?:\/\//i.test(p) && parseRedirectUri(p) !== undefined);
}

/** Schemes oidc-provider refuses for native clients (and client-uris.ts at import). */
const FORBIDDEN_SCHEMES = /^(javascript|vbscript|data|blob|file|about):/i;

/** The custom-scheme patterns (RFC 8252 §7.1) that parse, without a trailing `*`. */
function customSchemeUrls(patterns: string[]): string[] {
  return patterns
    .map((p) => p.replace(/\*$/, ''))
    .filter(
      (p) =>
        /^[a-z][a-z0-9+.-]*:/i.test(p) &&
        !/^https?:/i.test(p) &&
        !FORBIDDEN_SCHEMES.test(p) &&
        parseRedirectUri(p) !== undefined,
    );
}

/**
 * Two names under `.invalid` (RFC 6761 §6.4: never resolves): the registered redirect URIs of a
 * client whose only patterns are `*` or other wildcards that name no URI. oidc-provider needs at
 * least one to offer the code flow; two, so that it never picks one for an omitted redirect_uri
 * (Keycloak requires redirect_uri then too). matchesRedirect still decides what is allowed.
 */
const UNNAMED = [
  'https://redirect-uri-required.invalid/1',
  'https://redirect-uri-required.invalid/2',
];

/**
 * The redirect_uris and application_type oidc-provider is given for a client's patterns: its
 * http(s) URIs as a `web` client; else (a native app whose URIs all use a custom scheme, such as
 * `com.example.app://cb`) those as a `native` client; else, when the client has patterns but
 * none names a URI (`["*"]`), UNNAMED. The list only makes oidc-provider offer the flows;
 * matchesRedirect decides every redirect.
 */
export function registeredRedirects(patterns: string[]): {
  uris: string[];
  applicationType: 'web' | 'native';
} {
  const web = validUrls(patterns);
  if (web.length) return { uris: web, applicationType: 'web' };
  const custom = customSchemeUrls(patterns);
  if (custom.length) return { uris: custom, applicationType: 'native' };
  return { uris: patterns.some(Boolean) ? UNNAMED : [], applicationType: 'web' };
}

/** RFC 8628 §3.4 grant type. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export function grantTypesOf(client: ClientRepresentation, redirectCount: number): string[] {
  if (client.bearerOnly) return [];
  const grants: string[] = [];
  if (client.standardFlowEnabled && redirectCount) grants.push('authorization_code');
  // Keycloak's implicitFlowEnabled (off by default): response types with id_token / token.
  if (client.implicitFlowEnabled && redirectCount) grants.push('implicit');
  if (client.directAccessGrantsEnabled) grants.push(PASSWORD_GRANT);
  // RFC 8628; Keycloak's client switch "OAuth 2.0 Device Authorization Grant".
  if (client.attributes['oauth2.device.authorization.grant.enabled'] === 'true')
    grants.push(DEVICE_CODE_GRANT);
  if (grants.some((g) => g !== 'implicit')) grants.push('refresh_token');
  if (client.serviceAccountsEnabled && !client.publicClient) grants.push('client_credentials');
  return grants;
}

/** Keycloak's defaults for the device grant settings (seconds). */
const DEVICE_DEFAULTS = {
  'oauth2.device.code.lifespan': 600,
  'oauth2.device.polling.interval': 5,
} as const;

/**
 * A device grant setting in seconds, with Keycloak's precedence: the client attribute
 * (`oauth2.device.code.lifespan` / `oauth2.device.polling.interval`), else the realm's
 * (`oauth2DeviceCodeLifespan` / `oauth2DevicePollingInterval`), else 600 / 5.
 */
export function deviceGrantSeconds(
  client: ClientRepresentation | undefined,
  attribute: keyof typeof DEVICE_DEFAULTS,
  realmValue: number | undefined,
): number {
  const seconds = Number(client?.attributes[attribute]);
  return Number.isInteger(seconds) && seconds > 0
    ? seconds
    : (realmValue ?? DEVICE_DEFAULTS[attribute]);
}

/**
 * The response types a client may ask for, as Keycloak's AuthorizationEndpointChecker allows
 * them: `code` with the standard flow, `id_token` and `id_token token` with the
 * implicit flow, the hybrid ones (`code id_token`, `code token`, `code id_token token`) with both.
 * oidc-provider has no `token` alone (OAuth 2.0 implicit without OpenID).
 */
export function responseTypesOf(
  grantTypes: string[],
): NonNullable<ClientMetadata['response_types']>[number][] {
  const code = grantTypes.includes('authorization_code');
  const implicit = grantTypes.includes('implicit');
  const types: NonNullable<ClientMetadata['response_types']>[number][] = [];
  if (code) types.push('code');
  if (implicit) types.push('id_token', 'id_token token');
  if (code && implicit) types.push('code id_token', 'code token', 'code id_token token');
  return types;
}

export function toClientMetadata(rc: RealmContext, client: ClientRepresentation): ClientMetadata {
  const { uris: redirectUris, applicationType } = registeredRedirects(
    redirectPatterns(client, rc.baseUrl),
  );
  const grantTypes = grantTypesOf(client, redirectUris.length);
  const attrs = client.attributes;
  const metadata: ClientMetadata = {
    client_id: client.clientId,
    // Keycloak exports carry `"name": ""` for unnamed clients; oidc-provider refuses an empty client_name.
    client_name: client.name || undefined,
    grant_types: grantTypes,
    response_types: responseTypesOf(grantTypes),
    redirect_uris:
      grantTypes.includes('authorization_code') || grantTypes.includes('implicit')
        ? redirectUris
        : [],
    application_type: applicationType,
    // Only a web client's list is given: a native one's would be held to native rules
    // (loopback-only http); postLogoutRedirectUriAllowed decides either way.
    post_logout_redirect_uris:
      applicationType === 'web' ? validUrls(postLogoutPatterns(client, rc.baseUrl)) : [],
    ...clientAuthMetadata(client),
    id_token_signed_response_alg: idTokenAlg(
      rc,
      client.clientId,
    ) as ClientMetadata['id_token_signed_response_alg'],
  };
  // Keycloak client attributes for signed userinfo / introspection responses and back-channel logout.
  if (attrs['user.info.response.signature.alg'])
    metadata.userinfo_signed_response_alg = attrs[
      'user.info.response.signature.alg'
    ] as ClientMetadata['userinfo_signed_response_alg'];
  if (attrs['introspection.signed.response.alg'])
    metadata.introspection_signed_response_alg = attrs[
      'introspection.signed.response.alg'
    ] as never;
  if (attrs['backchannel.logout.url']) {
    metadata.backchannel_logout_uri = attrs['backchannel.logout.url'];
    metadata.backchannel_logout_session_required =
      attrs['backchannel.logout.session.required'] !== 'false';
  }
  return metadata;
}

/**
 * Keycloak's token claims, built from the realm model and a user, as the default client scopes
 * of a Keycloak 26 client produce them (`basic`, `profile`, `email`, `roles`, `web-origins`,
 * `acr`, and `service_account` for service-account tokens). Null values are omitted, as Keycloak's
 * Jackson serialisation does. See Keycloak "Server Administration Guide", "Client scopes".
 */
import type { ClientRepresentation } from '../realm/representation.ts';
import type { RealmModel } from '../realm/model.ts';
import type { StoredUser } from '../store/users.ts';

/** Scopes Keycloak lists in the token `scope` claim for a client by default (include.in.token.scope). */
export const DEFAULT_TOKEN_SCOPES = ['email', 'profile'];

/** Claims of the `profile` and `email` scopes (id token, userinfo, access token). */
export function profileClaims(user: StoredUser): Record<string, unknown> {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  const claims: Record<string, unknown> = { email_verified: user.emailVerified ?? false };
  if (name) claims.name = name;
  claims.preferred_username = user.username;
  if (user.firstName) claims.given_name = user.firstName;
  if (user.lastName) claims.family_name = user.lastName;
  if (user.email) claims.email = user.email;
  return claims;
}

/** The `scope` claim/response value: requested scopes plus the client's default token scopes. */
export function keycloakScope(requested: string | undefined): string {
  const scopes = new Set((requested ?? '').split(' ').filter(Boolean));
  const ordered = scopes.has('openid') ? ['openid'] : [];
  for (const s of [...DEFAULT_TOKEN_SCOPES, ...[...scopes].filter((s) => s !== 'openid')]) if (!ordered.includes(s)) ordered.push(s);
  return ordered.join(' ');
}

/**
 * Keycloak `web-origins` scope: `allowed-origins` from the client's webOrigins, where "+" means
 * the origins of the redirect URIs and "*" allows all. Undefined when the client has none.
 */
export function allowedOrigins(client: ClientRepresentation): string[] | undefined {
  const origins = new Set<string>();
  for (const origin of client.webOrigins) {
    if (origin === '+') {
      for (const uri of client.redirectUris) {
        try {
          const url = new URL(uri.replace(/\*$/, ''));
          if (url.origin !== 'null') origins.add(url.origin);
        } catch { /* relative or custom-scheme redirect URI: no origin */ }
      }
    } else if (origin) {
      origins.add(origin);
    }
  }
  return origins.size ? [...origins] : undefined;
}

/** Whether `origin` may call on behalf of `client` (CORS): one of its web origins, or `*`. */
export function originAllowed(client: ClientRepresentation | undefined, origin: string): boolean {
  const origins = client ? allowedOrigins(client) ?? [] : [];
  return origins.includes('*') || origins.includes(origin);
}

/**
 * The `roles` scope: `realm_access` and `resource_access` with the user's effective roles, and
 * the audience it resolves (every client the user has roles of, except the token's own client,
 * Keycloak's "audience resolve" mapper).
 */
export function roleClaims(realm: RealmModel, user: StoredUser, clientId: string): { claims: Record<string, unknown>; aud: string[] } {
  const roles = realm.effectiveRoles(user);
  const claims: Record<string, unknown> = {};
  if (roles.realm.length) claims.realm_access = { roles: roles.realm };
  const resourceAccess = Object.fromEntries(Object.entries(roles.clients).map(([id, names]) => [id, { roles: names }]));
  if (Object.keys(resourceAccess).length) claims.resource_access = resourceAccess;
  const aud = Object.keys(roles.clients).filter((id) => id !== clientId);
  return { claims, aud };
}

export interface AccessTokenContext {
  realm: RealmModel;
  client: ClientRepresentation;
  user: StoredUser;
  scope: string | undefined;
  sid: string | undefined;
  /** "1" for a fresh authentication, "0" for SSO re-use (Keycloak `acr` scope). */
  acr: string;
  clientAddress?: string;
}

/**
 * Claims an access token carries besides exp/iat/jti/iss/sub (which oidc-provider sets), in
 * Keycloak's serialisation order: aud, typ, azp, sid, acr, allowed-origins, realm_access,
 * resource_access, scope, profile and email claims, service-account claims.
 */
export function accessTokenClaims(c: AccessTokenContext): Record<string, unknown> {
  const { claims: roles, aud } = roleClaims(c.realm, c.user, c.client.clientId);
  const claims: Record<string, unknown> = {};
  if (aud.length) claims.aud = aud.length === 1 ? aud[0] : aud;
  claims.typ = 'Bearer';
  claims.azp = c.client.clientId;
  if (c.sid) claims.sid = c.sid;
  claims.acr = c.acr;
  const origins = allowedOrigins(c.client);
  if (origins) claims['allowed-origins'] = origins;
  Object.assign(claims, roles);
  claims.scope = keycloakScope(c.scope);
  Object.assign(claims, profileClaims(c.user));
  if (c.user.serviceAccountClientId) {
    if (c.clientAddress) Object.assign(claims, { clientHost: c.clientAddress, clientAddress: c.clientAddress });
    claims.client_id = c.client.clientId;
  }
  return claims;
}

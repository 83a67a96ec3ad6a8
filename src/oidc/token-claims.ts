/**
 * The session inputs of each token, and the pipeline call for each kind of token (RealmClaims,
 * claims.ts), as Keycloak 26 builds them:
 * - access token (TokenManager.createClientAccessToken): target `access`, or `lightweight` for
 *   a client with `client.use.lightweight.access.token.enabled`;
 * - id token (AccessTokenResponseBuilder.generateIDToken): target `id`;
 * - userinfo (UserInfoEndpoint): target `userinfo`, the access token's scope;
 * - introspection (AccessTokenIntrospectionProvider): target `introspection`.
 * The user session notes are Keycloak's: `AUTH_TIME` (epoch seconds) of the login, which
 * oidc-provider records on the session, its codes and refresh tokens (`authTime`); for
 * client_credentials the service-account notes of ClientCredentialsGrantType (clientId,
 * clientHost, clientAddress) and no AUTH_TIME.
 */
import type { ClientRepresentation } from '../model/representation.ts';
import type { StoredUser } from '../store/users.ts';
import { serviceAccountNotes } from '../mappers/service-account.ts';
import { accessTokenTarget } from '../mappers/token-target.ts';
import type { Claims, MapperSession, TokenTarget } from '../mappers/types.ts';
import { claimsOrInvalidScope, type RealmClaims } from './claims.ts';

/** What a token's login gave: its time, session id, acr, nonce and `claims` parameter. */
export interface LoginFacts {
  /** Epoch seconds of the authentication (undefined: none, e.g. client_credentials). */
  authTime?: number;
  sid?: string;
  /** "1" fresh login, "0" SSO re-use. */
  acr?: string;
  nonce?: string;
  /** The OIDC `claims` request parameter, parsed (oidc-provider keeps it so) or as JSON text. */
  claims?: unknown;
}

/** The MapperSession of a user's login. */
export function userSession(facts: LoginFacts): MapperSession {
  const notes: Record<string, string> = {};
  if (facts.authTime !== undefined) notes.AUTH_TIME = String(facts.authTime);
  const claimsParam =
    facts.claims === undefined || facts.claims === null
      ? undefined
      : typeof facts.claims === 'string'
        ? facts.claims
        : JSON.stringify(facts.claims);
  return { notes, acr: facts.acr ?? '1', sid: facts.sid, nonce: facts.nonce, claimsParam };
}

/**
 * The MapperSession of a client_credentials token: transient (Keycloak 26 creates no session),
 * the service-account notes, remote host and address both the client's IP (Keycloak's
 * ClientConnection.getRemoteHost gives the address unless reverse lookup is on).
 */
export function serviceAccountSession(clientId: string, ip: string): MapperSession {
  return { notes: serviceAccountNotes(clientId, ip, ip), acr: '1', transient: true };
}

/**
 * The access token's claims (besides exp, iat, jti, which keycloak-tokens.ts adds) and its
 * `scope`. Throws oidc-provider's InvalidScope (400 "Invalid scopes: ...") for a scope the
 * client does not have.
 */
export function accessTokenClaims(
  rcClaims: RealmClaims,
  client: ClientRepresentation,
  user: StoredUser,
  session: MapperSession,
  scopeParam: string | undefined,
): Claims {
  return {
    ...claimsOrInvalidScope(rcClaims, {
      client,
      user,
      session,
      scopeParam,
      target: accessTokenTarget(client),
    }).claims,
  };
}

/** The claims of an id token, userinfo response or introspection answer (`target`). */
export function otherTokenClaims(
  rcClaims: RealmClaims,
  target: Exclude<TokenTarget, 'access' | 'lightweight'>,
  client: ClientRepresentation,
  user: StoredUser,
  session: MapperSession,
  scopeParam: string | undefined,
): Claims {
  return {
    ...claimsOrInvalidScope(rcClaims, { client, user, session, scopeParam, target }).claims,
  };
}

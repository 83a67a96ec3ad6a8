/**
 * The claims Keycloak sets before the mappers run (mappers may change them):
 * - access token (TokenManager.initToken): `typ` "Bearer", `azp`, `iss`, `sid`, `scope`, and
 *   `sub` only for a session-less (transient) token; otherwise `sub` comes from the basic scope;
 * - id token (AccessTokenResponseBuilder.generateIDToken): `typ` "ID", `sub`, `aud` = the
 *   client, `azp`, `iss`, `nonce`, `sid`;
 * - userinfo (UserInfoEndpoint): nothing; `sub` defaults to the user id afterwards.
 * exp, iat, jti and auth hashes are the token issuer's (oidc/keycloak-tokens.ts).
 */
import type { Claims, MapperClient, MapperSession, MapperUser, TokenTarget } from './types.ts';

export interface BaseClaimsInput {
  target: TokenTarget;
  client: MapperClient;
  user: MapperUser;
  session: MapperSession;
  /** The token's `scope` (client-scopes.ts tokenScope). */
  scope: string;
  issuer?: string;
}

export function baseClaims(input: BaseClaimsInput): Claims {
  const { target, client, user, session, issuer } = input;
  const claims: Claims = {};
  if (target === 'userinfo') return claims;
  if (target === 'id') {
    Object.assign(claims, {
      typ: 'ID',
      sub: user.id,
      aud: [client.clientId],
      azp: client.clientId,
    });
    if (issuer) claims.iss = issuer;
    if (session.nonce) claims.nonce = session.nonce;
    if (session.sid) claims.sid = session.sid;
    return claims;
  }
  claims.typ = 'Bearer';
  if (session.transient) claims.sub = user.id;
  claims.azp = client.clientId;
  if (issuer) claims.iss = issuer;
  if (session.sid) claims.sid = session.sid;
  claims.scope = input.scope;
  return claims;
}

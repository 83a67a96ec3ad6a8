/**
 * The protocol mappers' claims in the id token, the userinfo response and the introspection
 * answer. oidc-provider masks an account's claims by its static scope-to-claims table, which
 * would drop every custom claim; so the id token's and the JWT userinfo's claims are replaced
 * when they are issued (IdToken#issue, wrapped in keycloak-tokens.ts), and the JSON userinfo
 * and introspection bodies after oidc-provider made them (a post-middleware, the documented
 * `provider.use` extension point). Keycloak: AccessTokenResponseBuilder.generateIDToken,
 * UserInfoEndpoint, AccessTokenIntrospectionProvider (TokenManager.transformIntrospection).
 */
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { KeycloakAccount } from './account.ts';
import type { RealmClaims } from './claims.ts';
import type { RealmContext } from './realm-context.ts';
import { otherTokenClaims, userSession } from './token-claims.ts';
import { findUserById } from '../store/users.ts';

/** The parts of oidc-provider's IdToken instance used here. */
export interface IdTokenLike {
  client: { clientId: string };
  ctx?: KoaContextWithOIDC;
  available: Record<string, unknown>;
  extra: Record<string, unknown>;
  scope?: string;
  mask?: unknown;
}

/** Claims oidc-provider computes itself (hashes of the code, token, state). */
const HASHES = ['at_hash', 'c_hash', 's_hash'];

/**
 * Replaces the claims of an id token (`use` "idtoken") or JWT userinfo (`use` "userinfo") by the
 * pipeline's, keeping oidc-provider's hashes. The user is the request's Account entity; without
 * one (no user) the token is left as it is. `iss`, `aud` and `exp` are set by oidc-provider on
 * signing (an id token's `aud` is always its client).
 */
export function applyMappedClaims(
  token: IdTokenLike,
  use: 'idtoken' | 'userinfo',
  rc: RealmContext,
  rcClaims: RealmClaims,
): void {
  const user = (token.ctx?.oidc?.entities as { Account?: KeycloakAccount } | undefined)?.Account
    ?.user;
  const client = rc.realm.client(token.client.clientId);
  if (!user || !client) return;
  const { available, extra } = token;
  const member = use === 'idtoken' ? 'id_token' : 'userinfo';
  const session = userSession({
    authTime: typeof available.auth_time === 'number' ? available.auth_time : undefined,
    acr: typeof available.acr === 'string' ? available.acr : undefined,
    sid: typeof extra.sid === 'string' ? extra.sid : undefined,
    nonce: typeof extra.nonce === 'string' ? extra.nonce : undefined,
    claims: token.mask ? { [member]: token.mask } : undefined,
  });
  const claims = otherTokenClaims(
    rcClaims,
    use === 'idtoken' ? 'id' : 'userinfo',
    client,
    user,
    session,
    token.scope,
  );
  const hashes = Object.fromEntries(
    HASHES.filter((h) => extra[h] !== undefined).map((h) => [h, extra[h]]),
  );
  token.available = {};
  token.extra = { ...claims, ...hashes };
}

type AccessTokenLike = {
  accountId?: string;
  clientId?: string;
  scope?: string;
  claims?: { userinfo?: unknown };
};

/** The JSON userinfo body: the pipeline's userinfo claims for the access token's user and scope. */
function userinfoBody(
  ctx: KoaContextWithOIDC,
  rc: RealmContext,
  rcClaims: RealmClaims,
): Record<string, unknown> | undefined {
  const token = (ctx.oidc as unknown as { accessToken?: AccessTokenLike }).accessToken;
  const user = (ctx.oidc.entities as { Account?: KeycloakAccount }).Account?.user;
  const client = token?.clientId ? rc.realm.client(token.clientId) : undefined;
  if (!token || !user || !client) return undefined;
  const claims = token.claims?.userinfo ? { userinfo: token.claims.userinfo } : undefined;
  try {
    return otherTokenClaims(
      rcClaims,
      'userinfo',
      client,
      user,
      userSession({ claims }),
      token.scope,
    );
  } catch {
    // The token's scope is no longer valid for the client (the realm changed): an empty answer
    // rather than a server error; the token itself still works until it expires.
    return { sub: user.id };
  }
}

type IntrospectedToken = {
  kind: string;
  accountId?: string;
  clientId?: string;
  sid?: string;
  extra?: Record<string, unknown>;
};

/**
 * An active access token's introspection answer as Keycloak 26 gives it
 * (AccessTokenIntrospectionProvider): the token's claims for the `introspection` target
 * (introspection.token.claim, unset = access.token.claim) with `scope` and `aud` the token's,
 * then `client_id`, `username`, `token_type` and `active`. A user token's claims are made again
 * for its user (one read of the user); a client_credentials token (no session, nothing stored)
 * answers the claims it carries. Other answers are left as oidc-provider made them.
 */
async function introspectionBody(
  ctx: KoaContextWithOIDC,
  body: Record<string, unknown>,
  rc: RealmContext,
  rcClaims: RealmClaims,
): Promise<Record<string, unknown> | undefined> {
  const entities = ctx.oidc.entities as {
    AccessToken?: IntrospectedToken;
    ClientCredentials?: IntrospectedToken;
  };
  const token = entities.AccessToken ?? entities.ClientCredentials;
  const client = token?.clientId ? rc.realm.client(token.clientId) : undefined;
  if (!token || !client || body.active !== true) return undefined;
  const extra = token.extra ?? {};
  let claims: Record<string, unknown> = { ...extra };
  const user =
    token.kind === 'AccessToken' && token.accountId
      ? await findUserById(rc.db, rc.realmId, token.accountId)
      : undefined;
  if (user) {
    const session = userSession({
      authTime: typeof extra.auth_time === 'number' ? extra.auth_time : undefined,
      sid: token.sid,
      acr: typeof extra.acr === 'string' ? extra.acr : undefined,
    });
    try {
      claims = otherTokenClaims(
        rcClaims,
        'introspection',
        client,
        user,
        session,
        typeof body.scope === 'string' ? body.scope : undefined,
      );
    } catch {
      return undefined;
    }
  }
  const out: Record<string, unknown> = {
    exp: body.exp,
    iat: body.iat,
    jti: body.jti,
    iss: body.iss,
    ...claims,
  };
  if (extra.scope !== undefined) out.scope = extra.scope;
  // A sender-constrained token's confirmation (RFC 9449 §6.2, RFC 7800): Keycloak's answer keeps
  // the token's `cnf`, and resource servers need it to check the DPoP proof.
  if (body.cnf !== undefined) out.cnf = body.cnf;
  out.client_id = body.client_id;
  const username =
    user?.username ??
    (typeof extra.preferred_username === 'string' ? extra.preferred_username : undefined);
  if (username) out.username = username;
  out.token_type = body.token_type;
  out.active = true;
  return out;
}

/** Installs the userinfo and introspection post-middleware on `provider`. */
export function installMappedUserinfo(
  provider: Provider,
  rc: RealmContext,
  rcClaims: RealmClaims,
): void {
  provider.use(async (ctx, next) => {
    await next();
    const oidcCtx = ctx as KoaContextWithOIDC;
    const route = oidcCtx.oidc?.route;
    if (
      (route !== 'userinfo' && route !== 'introspection') ||
      ctx.status !== 200 ||
      !ctx.body ||
      typeof ctx.body !== 'object'
    )
      return;
    const body =
      route === 'userinfo'
        ? userinfoBody(oidcCtx, rc, rcClaims)
        : await introspectionBody(oidcCtx, ctx.body as Record<string, unknown>, rc, rcClaims);
    if (body) ctx.body = body;
  });
}

/**
 * oidc-provider's `extraTokenClaims` hook: the claims of a Keycloak access token (token-claims.ts)
 * for the user, or the client's service account, and the session the token belongs to.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { QsignError } from '../../errors.ts';
import { findServiceAccount, findUserById, type StoredUser } from '../../store/users.ts';
import { sentScope, type RealmClaims } from '../claims.ts';
import { accessTokenClaims, serviceAccountSession, userSession } from '../token-claims.ts';
import type { KeycloakAccount } from '../account.ts';
import type { RealmContext } from '../realm-context.ts';

/** The entities of oidc-provider's request context (`ctx.oidc.entities`) these hooks read. */
export type Entities = {
  Account?: KeycloakAccount;
  AuthorizationCode?: { authTime?: number; acr?: string };
  RefreshToken?: { authTime?: number; acr?: string };
  DeviceCode?: { authTime?: number; acr?: string };
};

/**
 * Service-account users, cached per realm runtime for 5 s (`rc.serviceAccounts`, made with the
 * runtime by the registry): a client_credentials grant then needs no database read. A change made
 * in this process drops the runtime, and with it the cache; one made in another process shows
 * within 5 s (role mappings are read again then).
 */
async function cachedServiceAccount(
  rc: RealmContext,
  clientId: string,
): Promise<StoredUser | undefined> {
  const cache = rc.serviceAccounts;
  const hit = cache.get(clientId);
  if (hit && Date.now() - hit.at < 5_000) return hit.user;
  const user = await findServiceAccount(rc.db, rc.realmId, clientId);
  cache.set(clientId, { user, at: Date.now() });
  return user;
}

/**
 * Keycloak's `sid` for a token: oidc-provider records it on codes (Client#includeSid, client-rules.ts) and so
 * on every token made from them. Codes and refresh tokens issued before that have none; for those
 * (only) the session is read once to find it.
 */
async function sessionSid(
  ctx: KoaContextWithOIDC,
  token: { sid?: string; sessionUid?: string; clientId?: string },
): Promise<string | undefined> {
  if (token.sid || !token.sessionUid || !token.clientId) return token.sid;
  // Session.findByUid and Session#sidFor are oidc-provider's public (typed) API.
  return (await ctx.oidc.provider.Session.findByUid(token.sessionUid))?.sidFor(token.clientId);
}

export async function extraTokenClaims(
  rc: RealmContext,
  rcClaims: RealmClaims,
  ctx: KoaContextWithOIDC,
  token: {
    kind: string;
    clientId?: string;
    accountId?: string;
    scope?: string;
    sid?: string;
    sessionUid?: string;
    gty?: string;
  },
) {
  const client = rc.realm.client(token.clientId ?? '');
  if (!client) return undefined;
  const entities = ctx.oidc.entities as Entities;
  if (token.kind === 'ClientCredentials') {
    const user = await cachedServiceAccount(rc, client.clientId);
    if (!user || !user.enabled)
      throw new QsignError(
        'ERR_SERVICE_ACCOUNT',
        `service account of client ${client.clientId} is missing or disabled`,
      );
    // Keycloak parses the request's own scope parameter (TokenManager.isValidScope).
    const scope = sentScope(
      ctx as never,
      (ctx.oidc.params as { scope?: string } | undefined)?.scope,
    );
    return accessTokenClaims(
      rcClaims,
      client,
      user,
      serviceAccountSession(client.clientId, ctx.ip),
      scope,
    );
  }
  const user =
    entities.Account?.user ??
    (token.accountId ? await findUserById(rc.db, rc.realmId, token.accountId) : undefined);
  if (!user) return undefined;
  // The login's AUTH_TIME session note: the time oidc-provider recorded on the code or token.
  const source = entities.AuthorizationCode ?? entities.RefreshToken ?? entities.DeviceCode;
  const authTime =
    source?.authTime ??
    entities.Account?.authTime ??
    (token.gty === 'password' ? Math.floor(Date.now() / 1000) : undefined);
  return accessTokenClaims(
    rcClaims,
    client,
    user,
    userSession({ authTime, sid: await sessionSid(ctx, token), acr: source?.acr ?? '1' }),
    token.scope,
  );
}

/**
 * Who calls the account API, as Keycloak's AccountLoader.getAccountRestService and Auth decide
 * it: a bearer access token of this realm that verifies and is live (oidc-provider's AccessToken
 * model: signature, `typ`, issuer, not revoked, not expired), whose user still exists and is
 * enabled and is no service account ("Service accounts are not allowed to access this service"),
 * with the `account` client in its audience ("Invalid audience for client account"); all of these
 * answer 401. The roles are the token's `resource_access.account.roles` (Auth.hasClientRole with a
 * bearer token); a handler lacking its role answers 403. The `account` client must exist and be
 * enabled, else 404 "account management not enabled" (getAccountManagementClient).
 */
import { decodeJwt } from 'jose';
import type { Context } from 'koa';
import type { RealmRuntime } from '../runtime/registry.ts';
import { findUserById, type StoredUser } from '../store/users.ts';
import { forbidden, jaxrs, unauthorized } from './errors.ts';

/** Keycloak's Constants.ACCOUNT_MANAGEMENT_CLIENT_ID. */
export const ACCOUNT_CLIENT = 'account';

/** The authenticated caller of an account request. */
export interface AccountCaller {
  runtime: RealmRuntime;
  user: StoredUser;
  /** The token's client (`azp`). */
  clientId: string;
  /** The browser session the token belongs to (its `uid`), when it came from one. */
  sessionUid?: string;
  /** The token's `sid`. */
  sid?: string;
  /** The token's `acr`. */
  acr?: string;
  /** `resource_access.account.roles` of the token. */
  roles: ReadonlySet<string>;
}

type LiveAccessToken = {
  isExpired?: boolean;
  accountId?: string;
  clientId?: string;
  sessionUid?: string;
  sid?: string;
};
type Claims = {
  aud?: string | string[];
  acr?: string;
  sid?: string;
  resource_access?: Record<string, { roles?: unknown }>;
};

/** The token's claims (already verified by the AccessToken model), or undefined. */
function claimsOf(token: string): Claims | undefined {
  try {
    return decodeJwt(token) as Claims;
  } catch {
    return undefined;
  }
}

/**
 * Authenticates the request's bearer token. @throws AccountError 401 (no, bad, dead token; user
 * gone or disabled; service account; no `account` audience), 404 (no enabled `account` client)
 */
export async function authenticate(ctx: Context, runtime: RealmRuntime): Promise<AccountCaller> {
  const account = runtime.rc.realm.client(ACCOUNT_CLIENT);
  if (!account || account.enabled === false) throw jaxrs(404, 'account management not enabled');
  const token = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
  if (!token) throw unauthorized();
  const models = runtime.provider as unknown as {
    AccessToken: { find(v: string): Promise<LiveAccessToken | undefined> };
  };
  const live = await models.AccessToken.find(token);
  const claims = live && !live.isExpired ? claimsOf(token) : undefined;
  if (!live || !claims || !live.accountId || !live.clientId) throw unauthorized();
  const client = runtime.rc.realm.client(live.clientId);
  if (!client || client.enabled === false) throw unauthorized();
  const user = await findUserById(runtime.rc.db, runtime.rc.realmId, live.accountId);
  if (!user || user.enabled === false || user.serviceAccountClientId) throw unauthorized();
  const aud = ([] as string[]).concat(claims.aud ?? []);
  if (!aud.includes(ACCOUNT_CLIENT)) throw unauthorized();
  const roles = claims.resource_access?.[ACCOUNT_CLIENT]?.roles;
  return {
    runtime,
    user,
    clientId: live.clientId,
    sessionUid: live.sessionUid,
    sid: live.sid ?? claims.sid,
    acr: claims.acr,
    roles: new Set(Array.isArray(roles) ? roles.filter((r) => typeof r === 'string') : []),
  };
}

/** Auth.requireOneOf: the token holds one of the `account` client roles. @throws AccountError 403 */
export function requireOneOf(caller: AccountCaller, ...roles: string[]): void {
  if (!roles.some((r) => caller.roles.has(r))) throw forbidden();
}

/**
 * Admin authentication like Keycloak's (AdminRoot.authenticateRealmAdminRequest, AppAuthManager,
 * AuthenticationManager.verifyIdentityToken / isUserValid, AdminAuth.hasRealmRole / hasAppRole):
 * a bearer access token that verifies against its realm's keys and is still live (not revoked,
 * not expired, its session not ended). Then, on every request, against the live store:
 * - the token's user (a user token's account; a service-account token's client's service-account
 *   user) still exists and is enabled, and the token's client still exists and is enabled;
 *   otherwise 401, as Keycloak's verifyIdentityToken returns no identity;
 * - the admin roles are the user's roles as the store has them now (direct, group and default
 *   role mappings, composites expanded: RealmModel.effectiveRoles), limited to the roles the token
 *   carries (Keycloak's AdminAuth also requires `client.hasScope(role)`; the token's role claims
 *   are that scope at issue time). A role removed from the user stops working at once.
 * Roles: the `master` realm's `admin` realm role administers every realm; `realm-management` /
 * `realm-admin` of any realm administers that realm only.
 */
import { decodeJwt } from 'jose';
import type { Context, Next } from 'koa';
import type { RealmRegistry, RealmRuntime } from '../realm/registry.ts';
import type { SqlClient } from '../store/sql.ts';
import { findRealm, realmVersion } from '../store/realms.ts';
import { findServiceAccount, findUserById, type StoredUser } from '../store/users.ts';
import { RealmModel } from '../realm/model.ts';
import { forbidden, unauthorized } from './errors.ts';

export interface AdminIdentity {
  realm: string;
  username: string;
  /**
   * Keycloak's AuthDetails of admin events: the caller's realm id, client id (the client's `id`,
   * not its clientId, as Keycloak records it; the clientId when the client has none) and user id
   * (the user's id in the store).
   */
  authDetails: { realmId: string; clientId?: string; userId?: string };
  /** master realm `admin` role: every realm. */
  superAdmin: boolean;
  /** realms administered through `realm-management`/`realm-admin`. */
  realmAdminOf: Set<string>;
}

export const canAdminister = (admin: AdminIdentity, realm: string) =>
  admin.superAdmin || admin.realmAdminOf.has(realm);

type Claims = {
  iss?: string;
  jti?: string;
  realm_access?: { roles?: string[] };
  resource_access?: Record<string, { roles?: string[] }>;
};
/** What oidc-provider's AccessToken / ClientCredentials models hold once they verified the token. */
type LiveToken = { isExpired?: boolean; accountId?: string; clientId?: string };

/** The realm model as the store has it now: the runtime's when its version is current. */
async function currentModel(db: SqlClient, runtime: RealmRuntime): Promise<RealmModel | undefined> {
  const name = runtime.rc.realm.name;
  const version = await realmVersion(db, name);
  if (version === undefined) return undefined;
  if (version === runtime.version) return runtime.rc.realm;
  const stored = await findRealm(db, name);
  return stored ? new RealmModel(stored.doc, stored.version) : undefined;
}

/** The verified token's model (signature, typ, issuer, revocation, expiry, session), or undefined. */
async function liveToken(
  runtime: RealmRuntime,
  token: string,
  jti: unknown,
): Promise<LiveToken | undefined> {
  // A service account's token is transient (jti prefix "tr", Keycloak 26), a user's is stored.
  // The unverified jti only picks the model; the model verifies.
  const models = runtime.provider as unknown as Record<
    'AccessToken' | 'ClientCredentials',
    { find(v: string): Promise<LiveToken | undefined> }
  >;
  const transient = typeof jti === 'string' && jti.startsWith('tr');
  const live = await (transient ? models.ClientCredentials : models.AccessToken).find(token);
  return live && !live.isExpired ? live : undefined;
}

/**
 * The enabled user behind a live token and its enabled client, from the store.
 * @throws AdminError 401 when the user, the service account or the client is gone or disabled
 */
async function storedCaller(
  db: SqlClient,
  realm: RealmModel,
  realmId: string,
  live: LiveToken,
  serviceAccount: boolean,
) {
  const client = live.clientId ? realm.client(live.clientId) : undefined;
  if (!client || client.enabled === false) throw unauthorized();
  let user: StoredUser | undefined;
  if (serviceAccount)
    user = client.serviceAccountsEnabled
      ? await findServiceAccount(db, realmId, client.clientId)
      : undefined;
  else user = live.accountId ? await findUserById(db, realmId, live.accountId) : undefined;
  if (!user || user.enabled === false) throw unauthorized();
  return { client, user };
}

export function adminAuthentication(registry: RealmRegistry, db: SqlClient) {
  return async (ctx: Context, next: Next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
    if (!match) throw unauthorized();
    let claims: Claims;
    try {
      // Only to find the realm; the signature is checked by liveToken. jose rejects a payload that is not a JSON object.
      claims = decodeJwt(match[1]) as Claims;
    } catch {
      throw unauthorized();
    }
    const realmName =
      typeof claims.iss === 'string' ? /\/realms\/([^/]+)$/.exec(claims.iss)?.[1] : undefined;
    // (A name the store cannot hold, with U+0000 or a lone surrogate, names no realm.)
    const runtime =
      realmName && !realmName.includes('\u0000') && realmName.isWellFormed()
        ? await registry.get(realmName)
        : undefined;
    if (!runtime || claims.iss !== runtime.rc.issuer) throw unauthorized();
    const live = await liveToken(runtime, match[1], claims.jti);
    if (!live) throw unauthorized();
    const realm = await currentModel(db, runtime);
    if (!realm) throw unauthorized();
    const transient = typeof claims.jti === 'string' && claims.jti.startsWith('tr');
    const { client, user } = await storedCaller(db, realm, runtime.rc.realmId, live, transient);
    const roles = realm.effectiveRoles(user);
    const inToken = (name: string, clientId?: string) =>
      (
        (clientId ? claims.resource_access?.[clientId]?.roles : claims.realm_access?.roles) ?? []
      ).includes(name);
    const admin: AdminIdentity = {
      realm: realm.name,
      username: user.username,
      authDetails: {
        realmId: runtime.rc.realmId,
        clientId: client.id ?? client.clientId,
        userId: user.id,
      },
      superAdmin: realm.name === 'master' && roles.realm.includes('admin') && inToken('admin'),
      realmAdminOf: new Set(
        (roles.clients['realm-management'] ?? []).includes('realm-admin') &&
          inToken('realm-admin', 'realm-management')
          ? [realm.name]
          : [],
      ),
    };
    ctx.state.admin = admin;
    await next();
  };
}

/** The caller may administer `realm`. @throws AdminError 403 */
export function requireRealmAdmin(ctx: Context, realm: string): AdminIdentity {
  const admin = ctx.state.admin as AdminIdentity;
  if (!canAdminister(admin, realm)) throw forbidden();
  return admin;
}

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
 * Roles: the `master` realm's `admin` realm role administers every realm. The `realm-management`
 * client roles of a realm (Keycloak's AdminRoles: view-users, manage-clients, ..., and the
 * composite `realm-admin`) grant their powers on that realm only; in the master realm the roles
 * of the client `{realm}-realm` grant them on realm `{realm}` (RealmManager.setupMasterAdminManagement).
 * Each route requires the permission route-permissions.ts gives it (permissions.ts: which roles
 * grant it, as Keycloak's RealmPermissions / UserPermissions / ClientPermissions / GroupPermissions
 * / RolePermissions check them).
 */
import { decodeJwt } from 'jose';
import type { Context, Next } from 'koa';
import type { RealmRegistry, RealmRuntime } from '../runtime/registry.ts';
import type { SqlClient } from '../store/sql.ts';
import { findRealm, realmVersion } from '../store/realms.ts';
import { findServiceAccount, findUserById, type StoredUser } from '../store/users.ts';
import { RealmModel } from '../model/model.ts';
import { forbidden, unauthorized } from './errors.ts';
import {
  can,
  canGrantRole,
  isAdminOf,
  REALM_MANAGEMENT_ROLES,
  type Permission,
} from './permissions.ts';
import { ROUTE_PERMISSIONS, type RoutePermission } from './route-permissions.ts';

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
  /** realms administered through `realm-management`/`realm-admin` (every role). */
  realmAdminOf: Set<string>;
  /**
   * The admin roles (`realm-management` role names, composites expanded, counted only when the
   * token carries them) held for each realm other than through `superAdmin`; absent: none.
   */
  adminRoles?: Map<string, ReadonlySet<string>>;
  /** The caller's effective roles in its own realm (RealmModel.effectiveRoles), for checkAdminRoles. */
  ownRoles?: { realm: string[]; clients: Record<string, string[]> };
}

const ALL_ROLES: ReadonlySet<string> = new Set([...REALM_MANAGEMENT_ROLES, 'realm-admin']);

/** The admin roles the caller holds for `realm` (every one for a master admin or a realm-admin). */
export function rolesFor(admin: AdminIdentity, realm: string): ReadonlySet<string> {
  if (admin.superAdmin || admin.realmAdminOf.has(realm)) return ALL_ROLES;
  return admin.adminRoles?.get(realm) ?? new Set();
}

/** The caller holds any admin role of `realm` (RealmsPermissionEvaluator.isAdmin). */
export const canAdminister = (admin: AdminIdentity, realm: string) =>
  isAdminOf(rolesFor(admin, realm));

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

/**
 * The admin roles a caller of realm `own` holds, per administered realm: its `realm-management`
 * roles for `own`; in master also each `{realm}-realm` client's roles for `{realm}` (and
 * `master-realm`'s for master). A role counts when the token carries it too (`inToken`).
 */
function heldAdminRoles(
  own: string,
  clientRoles: Record<string, string[]>,
  inToken: (name: string, clientId: string) => boolean,
): Map<string, ReadonlySet<string>> {
  const held = new Map<string, ReadonlySet<string>>();
  const add = (realm: string, clientId: string) => {
    const names = (clientRoles[clientId] ?? []).filter((n) => inToken(n, clientId));
    if (names.length) held.set(realm, new Set([...(held.get(realm) ?? []), ...names]));
  };
  add(own, 'realm-management');
  if (own === 'master')
    for (const clientId of Object.keys(clientRoles))
      if (clientId.endsWith('-realm')) add(clientId.slice(0, -'-realm'.length), clientId);
  return held;
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
    const adminRoles = heldAdminRoles(realm.name, roles.clients, inToken);
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
        [...adminRoles].filter(([, held]) => held.has('realm-admin')).map(([name]) => name),
      ),
      adminRoles,
      ownRoles: roles,
    };
    ctx.state.admin = admin;
    await next();
  };
}

/** The route the request matched, as route-permissions.ts names it (`GET /:realm/users`). */
export function matchedRoute(ctx: Context): string {
  const path = String((ctx as { _matchedRoute?: unknown })._matchedRoute ?? '');
  return `${ctx.method === 'HEAD' ? 'GET' : ctx.method} ${path.replace(/^\/admin\/realms/, '') || '/'}`;
}

/** The caller holds `permission` on `realm` (`realm-admin`: every role). */
export function hasPermission(ctx: Context, realm: string, permission: RoutePermission): boolean {
  const roles = rolesFor(ctx.state.admin as AdminIdentity, realm);
  return permission === 'realm-admin' ? roles.has('realm-admin') : can(roles, permission);
}

/** The caller holds `permission` on `realm`. @throws AdminError 403 */
export function requirePermission(ctx: Context, realm: string, permission: Permission): void {
  if (!hasPermission(ctx, realm, permission)) throw forbidden();
}

/**
 * The caller may call the matched route on `realm`: holds the permission route-permissions.ts
 * gives the route (a route not in the table needs `realm-admin`).
 * @throws AdminError 403
 */
export function requireRealmAdmin(ctx: Context, realm: string): AdminIdentity {
  const admin = ctx.state.admin as AdminIdentity;
  if (!hasPermission(ctx, realm, ROUTE_PERMISSIONS[matchedRoute(ctx)] ?? 'realm-admin'))
    throw forbidden();
  return admin;
}

/**
 * The caller may grant each of `roles` of `realm` (map it, unmap it, add or remove it as a
 * composite): Keycloak's RolePermissions.requireMapRole / requireMapComposite → checkAdminRoles
 * (permissions.ts canGrantRole). A master admin may grant any role.
 * @throws AdminError 403
 */
export function requireGrant(
  ctx: Context,
  realm: string,
  roles: { name: string; clientId?: string }[],
): void {
  const admin = ctx.state.admin as AdminIdentity;
  if (admin.superAdmin) return;
  const callerRoles = rolesFor(admin, realm);
  for (const { name, clientId } of roles) {
    const own = admin.realm === realm ? admin.ownRoles : undefined;
    const held = clientId
      ? (own?.clients[clientId] ?? []).includes(name)
      : (own?.realm ?? []).includes(name);
    const allowed = canGrantRole(callerRoles, {
      name,
      held,
      // master's own admin client is `master-realm` (our master has `realm-management` too).
      realmManagement:
        clientId === 'realm-management' || (realm === 'master' && clientId === 'master-realm'),
      masterAdmin:
        realm === 'master' &&
        (!clientId || (clientId.endsWith('-realm') && clientId !== 'master-realm')),
    });
    if (!allowed) throw forbidden();
  }
}

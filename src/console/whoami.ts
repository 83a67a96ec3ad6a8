/**
 * `GET /admin/{realm}/console/whoami?currentRealm=` (Keycloak 26 AdminConsole.whoAmI), what the
 * Admin Console asks first: who the signed-in administrator is and which admin roles they hold in
 * the realm being viewed. Keycloak's answer: `userId`, `realm` (the login realm), `displayName`
 * (first and last name, else the username), `locale`, `createRealm` (master users holding
 * `create-realm`), `realm_access` `{ [currentRealm]: role names }` and `temporary` (the bootstrap
 * admin's `is_temporary_admin` attribute). The roles are, for a master user, those of the realm's
 * admin client in master that the user holds (every realm-management role name for an `admin`,
 * whose composite holds them all); for a realm user, the `realm-management` client roles held.
 * Errors as Keycloak's: 401 without a live token of the path's realm, 404 for an unknown
 * `currentRealm` ("Realm not found"), 403 with no role there ("No realm access").
 */
import type { Context } from 'koa';
import type { AdminDeps } from '../admin/context.ts';
import type { AdminIdentity } from '../admin/auth.ts';
import { AdminError, notFound, unauthorized } from '../admin/errors.ts';
import { findRealm } from '../store/realms.ts';
import { findUserById } from '../store/users.ts';
import { RealmModel } from '../model/model.ts';
import { REALM_MANAGEMENT_ROLES } from '../realm/defaults.ts';

export interface WhoAmIRepresentation {
  userId: string;
  realm: string;
  displayName: string;
  locale: string;
  createRealm: boolean;
  realm_access: Record<string, string[]>;
  temporary: boolean;
}

const trimmed = (s: string | undefined) => (s && s.trim() !== '' ? s : undefined);

/** Keycloak's display name: first and last name when either is set, else the username. */
export function displayName(user: { username: string; firstName?: string; lastName?: string }) {
  const first = trimmed(user.firstName);
  const last = trimmed(user.lastName);
  if (!first && !last) return user.username;
  return [user.firstName, user.lastName].filter((s) => s !== undefined && s !== '').join(' ');
}

/** The whoami answer. @throws AdminError 401 / 403 / 404 */
export async function whoAmI(deps: AdminDeps, ctx: Context): Promise<WhoAmIRepresentation> {
  const admin = ctx.state.admin as AdminIdentity;
  const loginRealm = String(ctx.params.realm);
  // The token must be one of the console's realm (AdminConsole authenticates against that realm).
  if (admin.realm !== loginRealm) throw unauthorized();
  const stored = await findRealm(deps.db, loginRealm);
  const userId = admin.authDetails.userId;
  const user = stored && userId ? await findUserById(deps.db, stored.id, userId) : undefined;
  if (!stored || !user) throw unauthorized();
  const query = ctx.query.currentRealm;
  const currentRealm = typeof query === 'string' && query !== '' ? query : loginRealm;
  if (!(await findRealm(deps.db, currentRealm))) throw notFound('Realm not found');
  const roles = new RealmModel(stored.doc, stored.version).effectiveRoles(user);
  let access: string[];
  let createRealm = false;
  if (loginRealm === 'master') {
    createRealm = roles.realm.includes('create-realm') || roles.realm.includes('admin');
    access = roles.realm.includes('admin') ? [...REALM_MANAGEMENT_ROLES] : [];
  } else {
    access = currentRealm === loginRealm ? [...(roles.clients['realm-management'] ?? [])] : [];
  }
  if (access.length === 0) throw new AdminError(403, { error: 'No realm access' });
  return {
    userId: user.id,
    realm: loginRealm,
    displayName: displayName(user),
    locale: user.attributes?.locale?.[0] ?? String(stored.doc.defaultLocale ?? 'en'),
    createRealm,
    realm_access: { [currentRealm]: access },
    temporary: user.attributes?.is_temporary_admin?.[0] === 'true',
  };
}

/**
 * The Admin Console's own endpoints (Keycloak's rest/admin-ui-ext module, AdminExtResource under
 * `/admin/realms/{realm}/ui-ext`), the ones its pages call that this server has data for:
 * - `realms/names` (UIRealmsResource): `[{name, displayName}]` of the realms the caller may
 *   view or holds an admin role of, sorted by name, `first` (0) / `max` (10) / `search`;
 * - the role pickers `available-roles/...`, `effective-roles-all/...`, `effective-roles/...`
 *   (ui-ext-roles.ts);
 * - `brute-force-user` (BruteForceUsersResource): the users search with each user's
 *   `bruteForceStatus` when the realm is brute-force protected.
 */
import type Router from '@koa/router';
import { listRealms } from '../store/realms.ts';
import { searchUsers } from '../store/users.ts';
import { loginFailures } from '../realm/brute-force.ts';
import { realmScope, type AdminDeps } from './context.ts';
import { canAdminister, hasPermission, type AdminIdentity } from './auth.ts';
import { uiExtRoleRoutes } from './ui-ext-roles.ts';
import { BOOL, COUNT, one, paging, TEXT } from './query-params.ts';
import { briefUserRep, userQuery, userRep } from './users.ts';
import { userAccess } from './permissions.ts';
import { rolesFor } from './auth.ts';

export function uiExtRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/ui-ext/realms/names', async (ctx) => {
    await realmScope(deps, ctx);
    const admin = ctx.state.admin as AdminIdentity;
    const search = (one(ctx.query, 'search', TEXT) ?? '').toLowerCase();
    const first = one(ctx.query, 'first', COUNT) ?? 0;
    const max = one(ctx.query, 'max', COUNT) ?? 10;
    ctx.body = (await listRealms(deps.db))
      .filter((r) => canAdminister(admin, r.name) && r.name.toLowerCase().includes(search))
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
      .slice(first, first + max)
      .map((r) => ({
        name: r.name,
        displayName: (r.doc as unknown as { displayName?: string }).displayName ?? '',
      }));
  });
  uiExtRoleRoutes(router, deps);
  router.get('/:realm/ui-ext/brute-force-user', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const brief = one(ctx.query, 'briefRepresentation', BOOL) === true;
    const roles = rolesFor(ctx.state.admin as AdminIdentity, realm.name);
    if (!hasPermission(ctx, realm.name, 'users.view')) {
      ctx.body = [];
      return;
    }
    const users = await searchUsers(deps.db, realm.id, {
      ...userQuery(ctx.query),
      ...paging(ctx.query),
    });
    const protectedRealm =
      (realm.doc as unknown as { bruteForceProtected?: boolean }).bruteForceProtected === true;
    ctx.body = await Promise.all(
      users.map(async (u) => ({
        ...(brief ? briefUserRep(u, userAccess(roles)) : userRep(u, userAccess(roles))),
        ...(protectedRealm
          ? { bruteForceStatus: await loginFailures(deps.db, realm.id, u.id) }
          : {}),
      })),
    );
  });
}

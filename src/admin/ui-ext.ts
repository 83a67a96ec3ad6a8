/**
 * The Admin Console's own endpoints (Keycloak's rest/admin-ui-ext module, AdminExtResource under
 * `/admin/realms/{realm}/ui-ext`), the ones its pages call that this server has data for:
 * - `realms/names` (UIRealmsResource): `[{name, displayName}]` of the realms the caller may
 *   view or holds an admin role of, sorted by name, `first` (0) / `max` (10) / `search`;
 * - `available-roles/{users|groups}/{id}` and `effective-roles/{users|groups}/{id}`
 *   (AvailableRoleMappingResource, EffectiveRoleMappingResource through RoleMappingResource.mapping):
 *   client roles as ClientRole `{id, role, client (clientId), clientId (client's id), description}`
 *   that the holder does not have directly (available) or has effectively (effective), each one
 *   the caller may grant (RolePermissions.canMapRole); available also takes `first`/`max`/`search`;
 * - `brute-force-user` (BruteForceUsersResource): the users search with each user's
 *   `bruteForceStatus` when the realm is brute-force protected.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { RealmDocument } from '../realm/representation.ts';
import { RealmModel, type EffectiveRoles } from '../realm/model.ts';
import { listRealms, type StoredRealm } from '../store/realms.ts';
import { findUserById, searchUsers } from '../store/users.ts';
import { loginFailures } from '../realm/brute-force.ts';
import { notFound } from './errors.ts';
import { realmScope, type AdminDeps } from './context.ts';
import { canAdminister, hasPermission, requireGrant, type AdminIdentity } from './auth.ts';
import { groupOf } from './groups.ts';
import { BOOL, COUNT, one, paging, TEXT } from './query-params.ts';
import { briefUserRep, userQuery, userRep } from './users.ts';
import { userAccess } from './permissions.ts';
import { rolesFor } from './auth.ts';

interface Holding {
  direct: EffectiveRoles;
  effective: EffectiveRoles;
}

/** The direct and effective roles of the user or group `:id`. @throws AdminError 404 */
async function holding(
  deps: AdminDeps,
  realm: StoredRealm,
  kind: string,
  id: string,
): Promise<Holding> {
  if (kind === 'users') {
    const user = await findUserById(deps.db, realm.id, id);
    if (!user) throw notFound('User not found');
    const effective = new RealmModel(realm.doc, realm.version).effectiveRoles(user);
    return { direct: { realm: user.realmRoles, clients: user.clientRoles }, effective };
  }
  const placed = groupOf(realm.doc, id);
  const direct = {
    realm: placed.group.realmRoles ?? [],
    clients: placed.group.clientRoles ?? {},
  };
  // As role-mappings.ts: a group holds its own and its parents' roles, not the default role.
  const model = new RealmModel({ ...realm.doc, defaultRole: { name: '\u0000' } }, realm.version);
  const parentPath = placed.parent ? placed.path.slice(0, -placed.group.name.length - 1) : '';
  const effective = model.effectiveRoles({
    realmRoles: direct.realm,
    clientRoles: direct.clients,
    groups: parentPath ? [parentPath] : [],
  });
  return { direct, effective };
}

/** Every client role of the realm as ClientRole, `keep` ones the caller may grant. */
function clientRoles(ctx: Context, doc: RealmDocument, keep: (c: string, r: string) => boolean) {
  return doc.clients.flatMap((client) =>
    (doc.roles.client[client.clientId] ?? [])
      .filter((role) => keep(client.clientId, role.name))
      .filter((role) => {
        try {
          requireGrant(ctx, doc.realm, [{ name: role.name, clientId: client.clientId }]);
          return true;
        } catch {
          return false;
        }
      })
      .map((role) => ({
        id: role.id,
        role: role.name,
        client: client.clientId,
        clientId: client.id,
        ...(role.description !== undefined ? { description: role.description } : {}),
      })),
  );
}

function roleRoutes(router: Router, deps: AdminDeps): void {
  for (const kind of ['users', 'groups']) {
    router.get(`/:realm/ui-ext/available-roles/${kind}/:id`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const { direct } = await holding(deps, realm, kind, ctx.params.id);
      const search = one(ctx.query, 'search', TEXT) ?? '';
      const first = one(ctx.query, 'first', COUNT) ?? 0;
      const max = one(ctx.query, 'max', COUNT) ?? 10;
      ctx.body = clientRoles(ctx, realm.doc, (c, r) => !(direct.clients[c] ?? []).includes(r))
        .filter((cr) => cr.client.includes(search) || cr.role.includes(search))
        .slice(first, first + max);
    });
    router.get(`/:realm/ui-ext/effective-roles/${kind}/:id`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const { effective } = await holding(deps, realm, kind, ctx.params.id);
      ctx.body = clientRoles(ctx, realm.doc, (c, r) => (effective.clients[c] ?? []).includes(r));
    });
  }
}

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
  roleRoutes(router, deps);
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

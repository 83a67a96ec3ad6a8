/**
 * Roles by id (`/admin/realms/{realm}/roles-by-id/{role-id}`), Keycloak's RoleByIdResource: get,
 * update (description and attributes, as roles.ts), delete, and the role's composites
 * (role-composites.ts). Unknown id: 404 "Could not find role with id".
 */
import type Router from '@koa/router';
import { updateRealmDoc } from '../store/realms.ts';
import { commit, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';
import { deleteRole, roleById, roleRep, updatedRole, withRole } from './roles.ts';
import { compositeRoutes } from './role-composites.ts';
import { requirePermission } from './auth.ts';
import type { Context } from 'koa';
import type { RealmDocument } from '../model/representation.ts';

/**
 * The role `:id` names, after RoleByIdResource's check on its container: view (GET) or manage
 * (other methods) of the realm for a realm role, of the clients for a client role
 * (RolePermissions.requireView / requireManage(container)). @throws AdminError 403 / 404
 */
function checkedRole(doc: RealmDocument, ctx: Context) {
  const located = roleById(doc, ctx.params.id);
  const read = ctx.method === 'GET';
  requirePermission(
    ctx,
    doc.realm,
    located.clientId
      ? read
        ? 'clients.view'
        : 'clients.manage'
      : read
        ? 'realm.view'
        : 'realm.manage',
  );
  return located;
}

export function roleByIdRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/roles-by-id/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const { role, containerId, clientId } = checkedRole(realm.doc, ctx);
    ctx.body = roleRep(role, containerId, Boolean(clientId));
  });
  router.put('/:realm/roles-by-id/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody(ctx);
    await commit(deps, realm.name, (tx) =>
      updateRealmDoc(tx, realm.name, (doc) => {
        const located = checkedRole(doc, ctx);
        return withRole(doc, located, updatedRole(located.role, body));
      }),
    );
    noContent(ctx);
  });
  router.delete('/:realm/roles-by-id/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await commit(deps, realm.name, (tx) => deleteRole(tx, realm, (doc) => checkedRole(doc, ctx)));
    noContent(ctx);
  });
  compositeRoutes(router, deps, '/:realm/roles-by-id/:id', checkedRole);
}

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

export function roleByIdRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/roles-by-id/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const { role, containerId, clientId } = roleById(realm.doc, ctx.params.id);
    ctx.body = roleRep(role, containerId, Boolean(clientId));
  });
  router.put('/:realm/roles-by-id/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody(ctx);
    await commit(deps, realm.name, (tx) =>
      updateRealmDoc(tx, realm.name, (doc) => {
        const located = roleById(doc, ctx.params.id);
        return withRole(doc, located, updatedRole(located.role, body));
      }),
    );
    noContent(ctx);
  });
  router.delete('/:realm/roles-by-id/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await commit(deps, realm.name, (tx) =>
      deleteRole(tx, realm, (doc) => roleById(doc, ctx.params.id)),
    );
    noContent(ctx);
  });
  compositeRoutes(router, deps, '/:realm/roles-by-id/:id', (doc, ctx) =>
    roleById(doc, ctx.params.id),
  );
}

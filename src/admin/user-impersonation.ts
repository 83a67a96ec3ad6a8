/**
 * `POST /admin/realms/{realm}/users/{id}/impersonation`, refused as a Keycloak 26 server with
 * the IMPERSONATION feature disabled answers it: UserResource.impersonate starts with
 * `ProfileHelper.requireFeature(Profile.Feature.IMPERSONATION)`, a WebApplicationException
 * "Feature not enabled" with 501 Not Implemented, which Keycloak's error handler sends as
 * `{"error": "Feature not enabled"}`. This server has no impersonation: it would need a login
 * session made for another user through an impersonate action token (ImpersonateActionToken),
 * which the login flow here does not implement (docs/keycloak-compatibility.md). The route
 * checks the `impersonation` role first (route-permissions.ts: UserPermissions.requireImpersonate)
 * and the user's existence ("User not found"), so an admin without the role still gets 403, and
 * the console hides its Impersonate action (the user's `access.impersonate` is false).
 * @throws AdminError 404 "User not found", 501 "Feature not enabled"
 */
import type Router from '@koa/router';
import { findUserById } from '../store/users.ts';
import { AdminError, notFound } from './errors.ts';
import { realmScope, type AdminDeps } from './context.ts';

export function userImpersonationRoutes(router: Router, deps: AdminDeps): void {
  router.post('/:realm/users/:id/impersonation', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    if (!(await findUserById(deps.db, realm.id, ctx.params.id))) throw notFound('User not found');
    throw new AdminError(501, { error: 'Feature not enabled' });
  });
}

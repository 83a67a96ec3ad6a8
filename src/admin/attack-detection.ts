/**
 * Brute-force detection state for admins (Keycloak AttackDetectionResource):
 * `GET/DELETE /admin/realms/{realm}/attack-detection/brute-force/users/{id}` and
 * `DELETE .../brute-force/users` (clear every user's lockout).
 */
import type Router from '@koa/router';
import { clearLoginFailures, loginFailures } from '../realm/brute-force.ts';
import { noContent, realmScope, type AdminDeps } from './context.ts';

export function attackDetectionRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/attack-detection/brute-force/users/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = await loginFailures(deps.db, realm.id, ctx.params.id);
  });
  router.delete('/:realm/attack-detection/brute-force/users/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await clearLoginFailures(deps.db, realm.id, ctx.params.id);
    noContent(ctx);
  });
  router.delete('/:realm/attack-detection/brute-force/users', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await clearLoginFailures(deps.db, realm.id);
    noContent(ctx);
  });
}

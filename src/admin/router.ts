/**
 * The admin REST API under `/admin/realms` (Keycloak "Admin REST API"; the subset
 * @keycloak/keycloak-admin-client uses for realms, clients, users, roles, keys and components).
 * Bearer authentication by admin token (admin/auth.ts); errors in Keycloak's shapes (admin/errors.ts).
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { AdminError } from './errors.ts';
import { adminAuthentication } from './auth.ts';
import { ComponentError } from '../keys/providers.ts';
import type { AdminDeps } from './context.ts';
import { realmRoutes } from './realms.ts';
import { clientRoutes } from './clients.ts';
import { userRoutes } from './users.ts';
import { roleRoutes } from './roles.ts';
import { keyRoutes } from './keys.ts';
import { attackDetectionRoutes } from './attack-detection.ts';
import { eventRoutes, recordAdminEvents } from './events.ts';

async function adminErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (err instanceof AdminError) {
      ctx.status = err.status;
      ctx.body = err.body;
    } else if (err instanceof ComponentError) {
      ctx.status = err.status;
      ctx.body = err.field ? { field: err.field, errorMessage: err.message } : { errorMessage: err.message };
    } else if ((err as { status?: number }).status === 400) {
      ctx.status = 400;
      ctx.body = { errorMessage: 'Cannot parse the JSON' };
    } else if ((err as { status?: number }).status === 413) {
      ctx.status = 413;
      ctx.body = { errorMessage: 'Request entity too large' };
    } else {
      throw err;
    }
  }
}

export function adminRouter(deps: AdminDeps): Router {
  const router = new Router({ prefix: '/admin/realms' });
  router.use(adminErrors);
  router.use(adminAuthentication(deps.registry));
  router.use(recordAdminEvents(deps));
  router.use(bodyParser({ enableTypes: ['json'], jsonLimit: '2mb', encoding: 'utf-8' }));
  realmRoutes(router, deps);
  keyRoutes(router, deps);
  clientRoutes(router, deps);
  roleRoutes(router, deps);
  userRoutes(router, deps);
  attackDetectionRoutes(router, deps);
  eventRoutes(router, deps);
  return router;
}

/**
 * The HTTP application (Koa), composed of its parts under server/: the request log and error
 * answers (server/request-log.ts, server/errors.ts), the management port (server/management.ts),
 * static resources, health probes and metrics (server/health.ts), Keycloak's realm routes
 * (`/realms/{realm}/...`, server/realm-routes.ts) dispatched to the realm's oidc-provider
 * instance and the login interaction, the consoles and the admin REST API (`/admin/realms`).
 * Errors become protocol errors: JSON `{"error","error_description"}` for APIs, an error page for
 * browsers; a store or signer that is down answers 503; never a stack trace.
 */
import Koa from 'koa';
import Router from '@koa/router';
import type { SqlClient } from './store/sql.ts';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { RealmRegistry } from './runtime/registry.ts';
import { accountApi } from './account/router.ts';
import { adminRouter } from './admin/router.ts';
import { consoleRouter } from './console/router.ts';
import { accountConsolePage } from './console/account-page.ts';
import { loadConsoleBuild } from './console/assets.ts';
import { RateLimits } from './rate-limit.ts';
import { fanOutRealmChanges, type RedisConnections } from './redis.ts';
import { createServices, type Services } from './services.ts';
import { proxyHeaders } from './proxy-headers.ts';
import { publicOrigin } from './public-origin.ts';
import { requestLog } from './server/request-log.ts';
import { managementPortOnly } from './server/management.ts';
import { resourceRoutes } from './server/resources.ts';
import { healthRoutes } from './server/health.ts';
import { realmRoutes } from './server/realm-routes.ts';

export { isUnavailable } from './server/errors.ts';
export { isManagementPath } from './server/management.ts';

export interface Server {
  app: Koa;
  registry: RealmRegistry;
  /** The services the server runs on (those given, and those made from `config`). */
  services: Services;
}

/**
 * @param options the composition root's services (services.ts: back ends, signing threads,
 *   metrics, event writer), each made from `config` when not given; the realms' signers, the
 *   admin API, readiness and /metrics use these.
 */
export function createServer(
  config: Config,
  db: SqlClient,
  log: Logger,
  options: { redis?: RedisConnections } & Partial<Services> = {},
): Server {
  const services = createServices(config, db, log, options);
  const { backends, metrics } = services;
  const app = new Koa();
  app.use(proxyHeaders(app, config));
  app.use(publicOrigin(config.baseUrl));
  // This server's ML-DSA signing threads (SIGNING_THREADS).
  services.signingThreads.start();
  const registry = new RealmRegistry(db, config, log, services);
  const limits = new RateLimits(options.redis?.client);
  // Realm and key changes reach every process at once; without Redis, within the 1 s version check.
  if (options.redis) fanOutRealmChanges(options.redis, registry);
  // oidc-provider runs on this app's context (koa-mount), so signed cookies use this app's keys.
  app.keys = registry.cookieKeys;
  const router = new Router();
  // The account REST API (account/router.ts); its `html` option is the hook for the Account Console page.
  const handleAccount = accountApi({
    html: accountConsolePage(config.baseUrl, loadConsoleBuild()),
  });

  app.use(requestLog(log, metrics));
  // With MANAGEMENT_PORT, health and metrics are served there alone, and nothing else is.
  if (config.managementPort !== undefined) app.use(managementPortOnly(config.managementPort));

  resourceRoutes(router);
  healthRoutes(router, { db, registry, backends, metrics, redis: options.redis });
  realmRoutes(router, { registry, limits, account: handleAccount });

  const admin = adminRouter({
    db,
    registry,
    kek: config.keyEncryptionKey,
    baseUrl: config.baseUrl,
    log,
    events: services.events,
  });
  // The Admin and Account Consoles (console/ built into dist/console; docs/consoles.md).
  const consoles = consoleRouter({
    db,
    registry,
    kek: config.keyEncryptionKey,
    baseUrl: config.baseUrl,
    log,
    events: services.events,
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(consoles.routes());
  app.use(admin.routes());
  app.use(admin.allowedMethods());
  app.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.body = { error: 'HTTP 404 Not Found' };
    }
  });
  return { app, registry, services };
}

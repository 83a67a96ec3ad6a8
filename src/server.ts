/**
 * The HTTP application (Koa): Keycloak's realm routes (`/realms/{realm}/...`) dispatched to the
 * realm's oidc-provider instance, the login interaction, the admin REST API (`/admin/realms`),
 * static resources for the pages, and health probes. Errors become protocol errors: JSON `{"error","error_description"}` for APIs,
 * an error page for browsers; a store or signer that is down answers 503; never a stack trace.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import type { SqlClient } from './store/sql.ts';
import { StoreUnavailableError } from './store/sql.ts';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { RealmRegistry, type RealmRuntime } from './realm/registry.ts';
import { handleLoginAction } from './interaction/login.ts';
import { handleFlowAction } from './interaction/flow-actions.ts';
import { handleRegistrationsEndpoint } from './interaction/registration.ts';
import { handleKeycloakJs } from './interaction/keycloak-js.ts';
import { accountApi } from './account/router.ts';
import { renderStandaloneError, VIEWS_DIR } from './interaction/pages.ts';
import { SignerUnavailableError } from './signer/signer.ts';
import { KEYCLOAK_ROUTES, LOGIN_ACTIONS, PROTOCOL } from './oidc/routes.ts';
import { unwrapForTokenEndpoint } from './oidc/keycloak-tokens.ts';
import { adminRouter } from './admin/router.ts';
import { consoleRouter } from './console/router.ts';
import { accountConsolePage } from './console/account-page.ts';
import { loadConsoleBuild } from './console/assets.ts';
import { RateLimits } from './rate-limit.ts';
import { applyRequestLimits, parseTokenForm } from './request-limits.ts';
import { fanOutRealmChanges, type RedisConnections } from './redis.ts';
import { Backends } from './signer/backends.ts';
import { counterFor, httpRequests, metricsResponse, routeOf } from './metrics.ts';
import { startSigningThreads } from './jose/ml-dsa-threads.ts';
import { proxyHeaders } from './proxy-headers.ts';
import { publicOrigin } from './public-origin.ts';

const wantsHtml = (ctx: Context) => ctx.accepts('json', 'html') === 'html';

function realmNotFound(ctx: Context): void {
  if (wantsHtml(ctx)) {
    renderStandaloneError(ctx, 'Page not found', 404);
    return;
  }
  ctx.status = 404;
  ctx.body = { error: 'Realm does not exist' };
}

export function isUnavailable(err: unknown): boolean {
  return err instanceof StoreUnavailableError || err instanceof SignerUnavailableError;
}

/**
 * Introspection and revocation take our JWT-wrapped tokens (oidc/keycloak-tokens.ts): verify the
 * JWT here and hand oidc-provider the record id, marked as verified for this request only. An
 * invalid JWT becomes an id that matches nothing, so introspection answers `{"active":false}`
 * and revocation 200, as RFC 7662 §2.2 and RFC 7009 §2.2 require.
 */
async function unwrapTokenParam(ctx: Context, runtime: RealmRuntime): Promise<void> {
  await parseTokenForm(ctx, async () => undefined);
  const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body;
  // keycloak-connect sends its credentials twice (Basic header and client_id/client_secret in the
  // body); Keycloak takes the header. oidc-provider refuses two mechanisms, so keep the header.
  if (body && typeof body.client_secret === 'string' && /^Basic /i.test(ctx.get('authorization'))) {
    delete body.client_secret;
    delete body.client_id;
  }
  const token = body?.token;
  if (!body || typeof token !== 'string' || token.split('.').length !== 3) return;
  body.token =
    (await unwrapForTokenEndpoint(runtime.rc, token, ctx.state as Record<PropertyKey, unknown>)) ??
    `invalid-${randomUUID()}`;
}

/**
 * Readiness entry for Redis: the state of its two connections, commands (rate limits) and the
 * subscriber (realm-changed fan-out); no command is sent, so a probe costs Redis nothing.
 */
function redisHealth(redis: RedisConnections): {
  name: string;
  status: 'UP' | 'DOWN';
  reason?: string;
} {
  const { status: commands } = redis.client;
  const { status: subscriber } = redis.subscriber;
  if (commands === 'ready' && subscriber === 'ready') return { name: 'redis', status: 'UP' };
  return {
    name: 'redis',
    status: 'DOWN',
    reason: `connections: commands ${commands}, subscriber ${subscriber}; rate limits per process, realm changes within the 1 s version check`,
  };
}

export interface Server {
  app: Koa;
  registry: RealmRegistry;
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Paths of the management interface (MANAGEMENT_PORT): health probes and metrics. */
export const isManagementPath = (path: string) =>
  path === '/metrics' || path.startsWith('/health/');

/**
 * @param options.backends the process's signing back ends (made from config.keyBackends when not
 *   given); the realms' signers, the admin API and readiness use these.
 */
export function createServer(
  config: Config,
  db: SqlClient,
  log: Logger,
  options: { redis?: RedisConnections; backends?: Backends } = {},
): Server {
  const backends = options.backends ?? new Backends(config.keyBackends, log);
  const app = new Koa();
  app.use(proxyHeaders(app, config));
  app.use(publicOrigin(config.baseUrl));
  // This process's ML-DSA signing threads (SIGNING_THREADS); started once per process.
  startSigningThreads(config.signingThreads, {
    onFailure: (err) =>
      log.error(
        { err: { message: err.message } },
        'ML-DSA signing threads stopped after failing; signing on the event loop',
      ),
  });
  const registry = new RealmRegistry(db, config, log, backends);
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
  // The request line carries five fields, none of them secret (the request id, the method, the
  // path without its query, the status, the duration), so it skips the redact pass: with the
  // wildcard paths every field of every line went through it (about 2 µs and 5 KB of garbage per
  // request, measured). Every other line keeps the redact list (log.ts).
  const requestLog = log.child({}, { redact: { paths: [] } });

  app.use(async (ctx, next) => {
    const started = performance.now();
    // A caller's X-Request-Id is kept when it looks like one (up to 128 visible ASCII characters).
    const given = ctx.get('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } catch (err) {
      if (isUnavailable(err)) {
        log.warn(
          { requestId, err: { name: (err as Error).name, message: (err as Error).message } },
          'back end unavailable',
        );
        ctx.status = 503;
        ctx.set('Retry-After', '5');
        ctx.body = {
          error: 'temporarily_unavailable',
          error_description: 'The service is temporarily unavailable; retry later.',
        };
      } else if (
        typeof (err as { status?: number }).status === 'number' &&
        (err as { status: number }).status >= 400 &&
        (err as { status: number }).status < 500
      ) {
        // Body parser errors (malformed, too large, wrong charset): a protocol error, not a crash.
        ctx.status = (err as { status: number }).status;
        ctx.body = {
          error: 'invalid_request',
          error_description: ctx.status === 413 ? 'request entity too large' : 'malformed request',
        };
      } else {
        log.error({ requestId, err }, 'unhandled error');
        ctx.status = 500;
        ctx.body = {
          error: 'unknown_error',
          error_description: 'For more on this error consult the server log.',
        };
      }
    } finally {
      counterFor(httpRequests, routeOf(ctx.path), String(ctx.status)).inc();
      requestLog.info(
        {
          requestId,
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  });

  // With MANAGEMENT_PORT, health and metrics are served there alone, and nothing else is.
  if (config.managementPort !== undefined) {
    app.use(async (ctx, next) => {
      const onManagementPort = ctx.req.socket.localPort === config.managementPort;
      if (onManagementPort === isManagementPath(ctx.path)) {
        await next();
        return;
      }
      ctx.status = 404;
      ctx.body = { error: 'HTTP 404 Not Found' };
    });
  }

  for (const [file, type] of [
    ['login.css', 'text/css'],
    ['logout.js', 'application/javascript'],
  ]) {
    router.get(`/resources/${file}`, async (ctx) => {
      ctx.type = type;
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = await readFile(path.join(VIEWS_DIR, 'resources', file));
    });
  }

  router.get('/health/live', (ctx) => {
    ctx.body = { status: 'UP' };
  });
  router.get('/metrics', async (ctx) => {
    const metrics = await metricsResponse();
    ctx.status = metrics.status;
    ctx.type = metrics.type;
    ctx.body = metrics.body;
  });
  // One readiness check at a time, whoever asks: each runs a query and asks every signer back end
  // (Vault, the HSM), so a flood of probes must not multiply that load. Requests arriving while a
  // check runs share its result; the next request after it starts a fresh one.
  let readiness: Promise<{ up: boolean; checks: unknown[] }> | undefined;
  const checkReadiness = async () => {
    const store = await db.query('SELECT 1').then(
      () => ({ name: `store (${db.kind})`, status: 'UP' as const }),
      () => ({ name: `store (${db.kind})`, status: 'DOWN' as const }),
    );
    const keys = await registry.signingKeyHealth();
    const loading = registry.loadingRealms
      ? [
          {
            name: 'realms',
            status: 'DOWN' as const,
            reason: 'loading every realm and its keys (process start)',
          },
        ]
      : [];
    const required = [
      store,
      ...loading,
      ...(await backends.health(keys.backends)),
      ...keys.unavailable,
    ];
    // Redis is optional: without it this process serves on (per-process rate limits, realm changes
    // within the 1 s version check), so it is reported but does not make the process unready.
    const redis = options.redis ? [redisHealth(options.redis)] : [];
    return { up: required.every((c) => c.status === 'UP'), checks: [...required, ...redis] };
  };
  router.get('/health/ready', async (ctx) => {
    readiness ??= checkReadiness().finally(() => {
      readiness = undefined;
    });
    const { up, checks } = await readiness;
    ctx.status = up ? 200 : 503;
    ctx.body = { status: up ? 'UP' : 'DOWN', checks };
  });

  router.all('/realms/:realm{/*rest}', async (ctx, next) => {
    const name = ctx.params.realm;
    const runtime = await registry.get(name);
    if (!runtime) {
      realmNotFound(ctx);
      return;
    }
    if (!runtime.rc.realm.rep.enabled) {
      ctx.status = 403;
      ctx.body = { error: 'access_denied', error_description: 'Realm not enabled' };
      return;
    }
    const rest = ctx.path.slice(`/realms/${name}`.length);
    if ((rest === '' || rest === '/') && ctx.method === 'GET') {
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = runtime.realmInfo;
      return;
    }
    if (rest === KEYCLOAK_ROUTES.jwks && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.set('Cache-Control', `max-age=${runtime.jwksMaxAge}`);
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.type = 'application/json';
      ctx.body = runtime.jwksJson;
      return;
    }
    if (await handleKeycloakJs(ctx, runtime.rc, runtime.provider, rest)) return;
    if (await handleAccount(ctx, runtime, rest)) return;
    let answered: ((ctx: Context) => Promise<void>) | undefined;
    if (
      ctx.method === 'POST' &&
      (rest === KEYCLOAK_ROUTES.token || rest.startsWith(`${LOGIN_ACTIONS}/`))
    ) {
      const token = rest === KEYCLOAK_ROUTES.token;
      const limit = await applyRequestLimits(
        ctx,
        limits,
        runtime,
        token ? 'token' : 'login',
        token ? undefined : rest.slice(LOGIN_ACTIONS.length + 1).split('/')[0],
      );
      answered = limit.answered;
      const wait = limit.wait;
      if (wait !== undefined) {
        ctx.set('Retry-After', String(wait));
        if (rest === KEYCLOAK_ROUTES.token) {
          ctx.status = 429;
          ctx.body = {
            error: 'temporarily_unavailable',
            error_description: 'Too many requests; retry later.',
          };
        } else {
          renderStandaloneError(
            ctx,
            'Too many requests; retry later.',
            429,
            runtime.rc.realm.rep.displayName ?? runtime.rc.realm.name,
          );
        }
        return;
      }
    }
    if (rest === `${PROTOCOL}/registrations` && ctx.method === 'GET') {
      // keycloak-js register(): the authorization request, opening on the registration page.
      await handleRegistrationsEndpoint(ctx, runtime.rc, async () => {
        ctx.path = `/realms/${name}${KEYCLOAK_ROUTES.authorization}`;
        await runtime.mounted(ctx, next);
      });
      return;
    }
    if (rest.startsWith(`${LOGIN_ACTIONS}/`)) {
      const action = rest.slice(LOGIN_ACTIONS.length + 1);
      if (await handleFlowAction(ctx, runtime.rc, runtime.provider, action)) return;
      await handleLoginAction(
        ctx,
        runtime.rc,
        runtime.provider,
        rest.slice(LOGIN_ACTIONS.length + 1),
      );
      return;
    }
    if (
      ctx.method === 'POST' &&
      (rest === KEYCLOAK_ROUTES.introspection || rest === KEYCLOAK_ROUTES.revocation) &&
      ctx.is('application/x-www-form-urlencoded')
    ) {
      await unwrapTokenParam(ctx, runtime);
    }
    await runtime.mounted(ctx, next);
    await answered?.(ctx);
  });

  const admin = adminRouter({
    db,
    registry,
    kek: config.keyEncryptionKey,
    baseUrl: config.baseUrl,
    log,
  });
  // The Admin and Account Consoles (console/ built into dist/console; docs/consoles.md).
  const consoles = consoleRouter({
    db,
    registry,
    kek: config.keyEncryptionKey,
    baseUrl: config.baseUrl,
    log,
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
  return { app, registry };
}

/**
 * Keycloak's realm routes (`/realms/{realm}/...`) on @koa/router. Every matching route runs, in
 * the order registered, each passing on with `next()`: the realm is loaded (404 unknown, 403
 * disabled), then the realm document and JWKS (served from the runtime's cache), keycloak.js and
 * the account REST API, the rate limits (token endpoint, login actions), `registrations`, the login
 * actions, the token unwrapping of introspection and revocation, and last the realm's
 * oidc-provider (koa-mount), which serves the rest of `/protocol/openid-connect/*`.
 */
import type { Context, Middleware, Next } from 'koa';
import type Router from '@koa/router';
import type { RealmRegistry, RealmRuntime } from '../runtime/registry.ts';
import { handleLoginAction } from '../interaction/login.ts';
import { handleFlowAction } from '../interaction/flow-actions.ts';
import { handleRegistrationsEndpoint } from '../interaction/registration.ts';
import { handleKeycloakJs } from '../interaction/keycloak-js.ts';
import { renderStandaloneError } from '../pages.ts';
import { setLocaleSource } from '../i18n/page-locale.ts';
import { KEYCLOAK_ROUTES, LOGIN_ACTIONS, PROTOCOL } from '../routes.ts';
import type { RateLimits } from '../rate-limit.ts';
import { applyRequestLimits } from '../request-limits.ts';
import { unwrapTokenParam } from './token-param.ts';

export interface RealmRouteDeps {
  registry: RealmRegistry;
  limits: RateLimits;
  /** The account REST API (account/router.ts): true when it answered. */
  account: (ctx: Context, runtime: RealmRuntime, rest: string) => Promise<boolean>;
}

const REALM = '/realms/:realm';
const ANY = `${REALM}{/*rest}`;
const RUNTIME = Symbol('realm runtime');

type RealmState = { [RUNTIME]?: RealmRuntime };
const runtimeOf = (ctx: Context) => (ctx.state as RealmState)[RUNTIME] as RealmRuntime;
/** The path below the realm: '' for the realm itself, else `/protocol/...`, `/login-actions/...`. */
const restOf = (ctx: Context) => ctx.path.slice(`/realms/${ctx.params.realm}`.length);
const wantsHtml = (ctx: Context) => ctx.accepts('json', 'html') === 'html';

function realmNotFound(ctx: Context): void {
  if (wantsHtml(ctx)) {
    renderStandaloneError(ctx, 'Page not found', 404);
    return;
  }
  ctx.status = 404;
  ctx.body = { error: 'Realm does not exist' };
}

const loadRealm =
  (registry: RealmRegistry): Middleware =>
  async (ctx, next) => {
    const runtime = await registry.get(ctx.params.realm);
    if (!runtime) {
      realmNotFound(ctx);
      return;
    }
    if (!runtime.rc.realm.rep.enabled) {
      ctx.status = 403;
      ctx.body = { error: 'access_denied', error_description: 'Realm not enabled' };
      return;
    }
    (ctx.state as RealmState)[RUNTIME] = runtime;
    setLocaleSource(ctx, { rc: runtime.rc }); // the realm's pages in its locales (i18n/)
    await next();
  };

async function realmInfo(ctx: Context, next: Next): Promise<void> {
  // GET only: @koa/router also routes HEAD to a GET route; HEAD goes on to oidc-provider as before.
  if (ctx.method !== 'GET') return next();
  ctx.set('Cache-Control', 'no-cache');
  ctx.body = runtimeOf(ctx).realmInfo;
}

async function jwks(ctx: Context): Promise<void> {
  const runtime = runtimeOf(ctx);
  ctx.set('Cache-Control', `max-age=${runtime.jwksMaxAge}`);
  ctx.set('Access-Control-Allow-Origin', '*');
  ctx.type = 'application/json';
  ctx.body = runtime.jwksJson;
}

/** keycloak.js (interaction/keycloak-js.ts) and the account REST API, each matching its own paths. */
const keycloakJsAndAccount =
  (account: RealmRouteDeps['account']): Middleware =>
  async (ctx, next) => {
    const runtime = runtimeOf(ctx);
    const rest = restOf(ctx);
    if (await handleKeycloakJs(ctx, runtime.rc, runtime.provider, rest)) return;
    if (await account(ctx, runtime, rest)) return;
    await next();
  };

function tooManyRequests(ctx: Context, runtime: RealmRuntime, token: boolean, wait: number): void {
  ctx.set('Retry-After', String(wait));
  if (token) {
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
}

/** The realm's rate limits (request-limits.ts) on a POST to the token endpoint or a login action. */
const rateLimited =
  (limits: RateLimits, endpoint: 'token' | 'login'): Middleware =>
  async (ctx, next) => {
    const runtime = runtimeOf(ctx);
    const token = endpoint === 'token';
    const limit = await applyRequestLimits(
      ctx,
      limits,
      runtime,
      endpoint,
      token
        ? undefined
        : restOf(ctx)
            .slice(LOGIN_ACTIONS.length + 1)
            .split('/')[0],
    );
    if (limit.wait !== undefined) {
      tooManyRequests(ctx, runtime, token, limit.wait);
      return;
    }
    await next();
    await limit.answered?.(ctx);
  };

/**
 * keycloak-js register(): the authorization request, opening on the registration page. The next
 * route is the realm's oidc-provider (the last one), run on the authorization endpoint's path.
 */
async function registrations(ctx: Context, next: Next): Promise<void> {
  if (ctx.method !== 'GET') return next();
  const name = ctx.params.realm;
  await handleRegistrationsEndpoint(ctx, runtimeOf(ctx).rc, async () => {
    ctx.path = `/realms/${name}${KEYCLOAK_ROUTES.authorization}`;
    await next();
  });
}

async function loginActions(ctx: Context): Promise<void> {
  const runtime = runtimeOf(ctx);
  const action = restOf(ctx).slice(LOGIN_ACTIONS.length + 1);
  if (await handleFlowAction(ctx, runtime.rc, runtime.provider, action)) return;
  await handleLoginAction(ctx, runtime.rc, runtime.provider, action);
}

async function tokenParam(ctx: Context, next: Next): Promise<void> {
  if (ctx.is('application/x-www-form-urlencoded')) await unwrapTokenParam(ctx, runtimeOf(ctx));
  await next();
}

/** The realm's oidc-provider instance; its `next` is the app's next middleware. */
const provider: Middleware = (ctx, next) => runtimeOf(ctx).mounted(ctx, next);

export function realmRoutes(router: Router, { registry, limits, account }: RealmRouteDeps): void {
  router.all(ANY, loadRealm(registry));
  router.all(REALM, realmInfo);
  router.get(`${REALM}${KEYCLOAK_ROUTES.jwks}`, jwks);
  router.all(ANY, keycloakJsAndAccount(account));
  router.post(`${REALM}${KEYCLOAK_ROUTES.token}`, rateLimited(limits, 'token'));
  router.post(`${REALM}${LOGIN_ACTIONS}/*action`, rateLimited(limits, 'login'));
  router.all(`${REALM}${PROTOCOL}/registrations`, registrations);
  router.all(`${REALM}${LOGIN_ACTIONS}/*action`, loginActions);
  router.post(
    [`${REALM}${KEYCLOAK_ROUTES.introspection}`, `${REALM}${KEYCLOAK_ROUTES.revocation}`],
    tokenParam,
  );
  router.all(ANY, provider);
}

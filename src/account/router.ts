/**
 * The account REST API under `/realms/{realm}/account` (Keycloak 26's AccountLoader and
 * AccountRestService, what `@keycloak/keycloak-account-ui` 26 and keycloak-js `loadUserProfile`
 * call; docs/account-api.md lists the routes). As AccountLoader decides:
 * - `OPTIONS` anywhere below it: the CORS preflight (CorsPreflightService);
 * - a request that accepts `application/json` or sends `Content-Type: application/json` (the
 *   account console sends the latter on every call): the REST API, also under the versioned
 *   prefix `/account/v1alpha1` (AccountRestApiVersion);
 * - anything else (a browser asking for a page): the `html` hook of accountApi's options (the
 *   Account Console itself), else not answered here.
 * Every REST call needs the bearer token of account/auth.ts; the answer carries CORS headers for
 * the origins of the token's client (`webOrigins`, the token's `allowed-origins`), methods GET,
 * PUT, POST, DELETE, with credentials, and `Cache-Control: no-cache` (@NoCache). Errors: the
 * Keycloak bodies of account/errors.ts; a body that is not JSON, too deep or holds U+0000 or a
 * lone surrogate 400 "Cannot parse the JSON"; over 64 KiB 413.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { RealmRuntime } from '../runtime/registry.ts';
import { originAllowed } from '../oidc/claims.ts';
import { assertJsonDepth, MAX_JSON_DEPTH } from '../json-depth.ts';
import { authenticate, type AccountCaller } from './auth.ts';
import { AccountError, cannotParse, jaxrs } from './errors.ts';
import { getAccount, updateAccount } from './profile.ts';
import { deleteCredential, getCredentials } from './credentials.ts';
import { deleteSession, deleteSessions, getDevices, getSessions } from './sessions.ts';
import {
  getApplications,
  getConsent,
  getGroups,
  getLinkedAccounts,
  getSupportedLocales,
  revokeConsent,
} from './applications.ts';

/** Serves the Account Console page for a browser request; resolves false when it did not answer. */
export type AccountHtmlHook = (
  ctx: Context,
  runtime: RealmRuntime,
  rest: string,
) => Promise<boolean>;

export interface AccountApiOptions {
  /** The Account Console (HTML) for requests that do not ask for JSON. */
  html?: AccountHtmlHook;
}

type Handler = (ctx: Context, caller: AccountCaller) => Promise<void> | void;

const PREFIX = '/realms/:realm/account{/v1alpha1}';
const BODY_LIMIT = '64kb';

/** The media type list of a header, parameters dropped, lower case. */
const mediaTypes = (header: string) =>
  header
    .split(',')
    .map((t) => t.split(';')[0].trim().toLowerCase())
    .filter(Boolean);

/** AccountLoader: the REST API when the request accepts JSON or sends JSON. */
export const wantsAccountJson = (ctx: Context) =>
  mediaTypes(ctx.get('accept')).includes('application/json') ||
  mediaTypes(ctx.get('content-type'))[0] === 'application/json';

function corsOrigin(runtime: RealmRuntime, origin: string, clientId?: string): string | undefined {
  if (!origin) return undefined;
  const clients = clientId ? [runtime.rc.realm.client(clientId)] : runtime.rc.realm.clients;
  return clients.some((c) => originAllowed(c, origin)) ? origin : undefined;
}

/** The preflight: allowed for an origin one of the realm's clients lists in `webOrigins`. */
function preflight(ctx: Context, runtime: RealmRuntime): void {
  const allowed = corsOrigin(runtime, ctx.get('origin'));
  if (allowed) {
    ctx.set('Access-Control-Allow-Origin', allowed);
    ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
    ctx.set('Access-Control-Allow-Headers', 'Authorization, Accept, Content-Type');
    ctx.set('Access-Control-Max-Age', '3600');
    ctx.set('Access-Control-Allow-Credentials', 'true');
    ctx.set('Vary', 'Origin');
  }
  ctx.body = null;
  ctx.status = 200;
}

/** A string PostgreSQL text and jsonb can hold (no U+0000, no lone surrogate). */
const storable = (s: string) => !s.includes('\u0000') && s.isWellFormed();

/** A parsed body within depth, every string and key storable. @throws AccountError 400 */
function checkBody(body: unknown): void {
  try {
    assertJsonDepth(body, MAX_JSON_DEPTH);
  } catch {
    throw cannotParse();
  }
  const bad = (s: string) => !storable(s);
  const stack: unknown[] = [body];
  while (stack.length) {
    const node = stack.pop();
    if (typeof node === 'string' && bad(node)) throw cannotParse();
    if (node !== null && typeof node === 'object')
      for (const [key, value] of Object.entries(node)) {
        if (bad(key)) throw cannotParse();
        stack.push(value);
      }
  }
}

function routes(): Router {
  const router = new Router();
  const on = (method: 'get' | 'post' | 'delete', path: string, handler: Handler) =>
    router[method](`${PREFIX}${path}`, (ctx) => {
      // A path segment the store cannot hold (%00, a lone surrogate) names nothing.
      if (Object.values(ctx.params).some((v) => typeof v === 'string' && !storable(v)))
        throw jaxrs(404, 'HTTP 404 Not Found');
      return handler(ctx, ctx.state.accountCaller);
    });
  on('get', '', getAccount);
  on('post', '', updateAccount);
  on('get', '/credentials', getCredentials);
  on('delete', '/credentials/:credentialId', deleteCredential);
  on('get', '/sessions', getSessions);
  on('get', '/sessions/devices', getDevices);
  on('delete', '/sessions', deleteSessions);
  on('delete', '/sessions/:id', deleteSession);
  on('get', '/applications', getApplications);
  on('get', '/applications/:clientId/consent', getConsent);
  on('delete', '/applications/:clientId/consent', revokeConsent);
  on('get', '/groups', getGroups);
  on('get', '/linked-accounts', getLinkedAccounts);
  on('get', '/supportedLocales', getSupportedLocales);
  return router;
}

const parseJson = bodyParser({
  enableTypes: ['json'],
  jsonLimit: BODY_LIMIT,
  encoding: 'utf-8',
  parsedMethods: ['POST', 'PUT', 'DELETE'],
});

/** Authenticates, parses the body, and runs the matching route. @throws AccountError */
async function serve(ctx: Context, runtime: RealmRuntime, dispatch: ReturnType<Router['routes']>) {
  const caller = await authenticate(ctx, runtime);
  const allowed = corsOrigin(runtime, ctx.get('origin'), caller.clientId);
  if (allowed) {
    ctx.set('Access-Control-Allow-Origin', allowed);
    ctx.set('Access-Control-Allow-Credentials', 'true');
    ctx.set('Vary', 'Origin');
  }
  ctx.set('Cache-Control', 'no-cache');
  try {
    await parseJson(ctx, async () => undefined);
  } catch (err) {
    if ((err as { status?: number }).status === 413)
      throw new AccountError(413, { error: 'HTTP 413 Request Entity Too Large' });
    throw cannotParse();
  }
  const body = (ctx.request as unknown as { body?: unknown }).body;
  if (body !== undefined) checkBody(body);
  ctx.state.accountCaller = caller;
  let matched = true;
  await dispatch(ctx as never, async () => {
    matched = false;
  });
  if (!matched) throw jaxrs(404, 'HTTP 404 Not Found');
}

/**
 * The account API of every realm. Returns the handler server.ts calls for `rest` (the path after
 * `/realms/{realm}`); it resolves true when it answered the request.
 */
export function accountApi(options: AccountApiOptions = {}) {
  const dispatch = routes().routes();
  return async (ctx: Context, runtime: RealmRuntime, rest: string): Promise<boolean> => {
    if (rest !== '/account' && !rest.startsWith('/account/')) return false;
    if (ctx.method === 'OPTIONS') {
      preflight(ctx, runtime);
      return true;
    }
    if (!wantsAccountJson(ctx)) return options.html ? options.html(ctx, runtime, rest) : false;
    try {
      await serve(ctx, runtime, dispatch);
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      ctx.status = err.status;
      ctx.body = err.body;
      if (err.status === 401)
        ctx.set('WWW-Authenticate', `Bearer realm="${runtime.rc.realm.name}"`);
    }
    return true;
  };
}

/**
 * The consoles' routes, where Keycloak serves them (AdminRoot, AdminConsole, ThemeResource):
 * `/admin` and `/admin/` redirect to `/admin/master/console/`; `/admin/{realm}/console/` is the
 * Admin Console page; `/admin/serverinfo` and `/admin/{realm}/console/whoami` answer the console's
 * first questions; `/resources/console/...` are the built files (hashed names: cached a year) and
 * `/resources/{realm}/{admin|account}/{lng}` the message bundles. Without a build (dist/console
 * missing) the pages answer 404 with how to build them.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AdminDeps } from '../admin/context.ts';
import { adminAuthentication } from '../admin/auth.ts';
import { adminErrors } from '../admin/router.ts';
import { findRealm } from '../store/realms.ts';
import { consoleFile, loadConsoleBuild, type ConsoleBuild } from './assets.ts';
import { adminEnvironment, sendConsolePage } from './page.ts';
import { serverInfo } from './serverinfo.ts';
import { whoAmI } from './whoami.ts';
import { consoleApiRoutes } from './console-api.ts';

const NOT_BUILT = 'The consoles are not built: run `npm run build:console` (npm install runs it).';

function redirect(ctx: Context, location: string): void {
  ctx.status = 302;
  ctx.redirect(location);
}

async function serveFile(ctx: Context, build: ConsoleBuild, rel: string): Promise<boolean> {
  const body = await consoleFile(build, rel);
  if (!body) return false;
  ctx.type = rel.slice(rel.lastIndexOf('.'));
  // Vite's hashed file names change with their content; the others (images, messages) may change.
  ctx.set(
    'Cache-Control',
    rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
  );
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = body;
  return true;
}

/** The message bundle `[{key, value}]` for a console; English for a language it lacks. */
async function serveMessages(ctx: Context, deps: AdminDeps, build: ConsoleBuild): Promise<void> {
  const { realm, type, lng } = ctx.params;
  if (!(await findRealm(deps.db, realm))) {
    ctx.status = 404;
    ctx.body = { error: 'Realm not found' };
    return;
  }
  const lang = /^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})?$/.test(lng) ? lng : 'en';
  if (await serveFile(ctx, build, `messages/${type}/${lang}.json`)) return;
  if (!(await serveFile(ctx, build, `messages/${type}/en.json`))) {
    ctx.status = 404;
    ctx.body = { error: NOT_BUILT };
  }
}

/** The console routes; `build` defaults to dist/console read once. */
export function consoleRouter(deps: AdminDeps, build?: ConsoleBuild): Router {
  const files = build ?? loadConsoleBuild();
  // strict: `/admin/{realm}/console` (redirected) and `/admin/{realm}/console/` (the page) differ.
  const router = new Router({ strict: true });
  const auth = adminAuthentication(deps.registry, deps.db);
  router.get(['/admin', '/admin/'], (ctx) => redirect(ctx, '/admin/master/console/'));
  router.get('/admin/serverinfo', adminErrors, auth, (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = serverInfo();
  });
  router.get('/admin/:realm/console/whoami', adminErrors, auth, async (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = await whoAmI(deps, ctx);
  });
  consoleApiRoutes(router, deps, [adminErrors, auth]);
  router.get('/admin/:realm/console', (ctx) =>
    redirect(ctx, `/admin/${encodeURIComponent(ctx.params.realm)}/console/`),
  );
  router.get('/admin/:realm/console/', async (ctx) => {
    const entry = files.entries.admin;
    if (!entry) {
      ctx.status = 404;
      ctx.body = { error: NOT_BUILT };
      return;
    }
    const realm = ctx.params.realm;
    if (!(await findRealm(deps.db, realm))) {
      ctx.status = 404;
      ctx.body = { error: 'Realm not found' };
      return;
    }
    sendConsolePage(ctx, 'admin', entry, adminEnvironment(deps.baseUrl, realm, entry.script));
  });
  router.get('/resources/console/*path', async (ctx, next) => {
    const rel = ([] as string[]).concat(ctx.params.path ?? []).join('/');
    if (!(await serveFile(ctx, files, rel))) await next();
  });
  router.get('/resources/:realm/:type/:lng', async (ctx, next) => {
    if (ctx.params.type === 'admin' || ctx.params.type === 'account')
      await serveMessages(ctx, deps, files);
    else await next();
  });
  return router;
}

/**
 * What keycloak-js loads by its hardcoded paths under `/realms/{realm}/protocol/openid-connect`:
 * the session-status iframe (`login-status-iframe.html`, its `/init` origin check and the
 * `/session` lookup its script uses) and the third-party cookie check (`3p-cookies/step1.html`,
 * `step2.html`). These pages are framed by applications, so they allow any frame ancestor, and
 * run only their own scripts (CSP `script-src 'self'`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { RealmContext } from '../oidc/realm-context.ts';
import { originAllowedOrOwn } from '../oidc/claims.ts';
import { COOKIE_NAMES, PROTOCOL } from '../routes.ts';
import { VIEWS_DIR } from '../views-dir.ts';

const read = (name: string) => readFileSync(path.join(VIEWS_DIR, 'protocol', name), 'utf8');
const FILES: Record<string, [type: string, body: string]> = {
  'login-status-iframe.html': ['html', read('login-status-iframe.html')],
  'login-status-iframe.html/iframe.js': ['application/javascript', read('login-status-iframe.js')],
  '3p-cookies/step1.html': ['html', read('step1.html')],
  '3p-cookies/step1.js': ['application/javascript', read('step1.js')],
  '3p-cookies/step2.html': ['html', read('step2.html')],
  '3p-cookies/step2.js': ['application/javascript', read('step2.js')],
};
const FRAMEABLE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; frame-ancestors *";

/** The session of this browser for the realm, from oidc-provider's session cookie. */
async function browserSession(ctx: Context, provider: Provider) {
  const id = ctx.cookies.get(COOKIE_NAMES.session, { signed: true });
  if (!id) return undefined;
  const Session = provider.Session as unknown as {
    find(
      id: string,
    ): Promise<
      { accountId?: string; authorizations?: Record<string, { sid?: string }> } | undefined
    >;
  };
  return Session.find(id);
}

/** Serves the keycloak-js paths; returns false when `rest` is none of them. */
export async function handleKeycloakJs(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
  rest: string,
): Promise<boolean> {
  if (ctx.method !== 'GET' || !rest.startsWith(`${PROTOCOL}/`)) return false;
  const name = rest.slice(PROTOCOL.length + 1);
  const file = FILES[name];
  if (file) {
    ctx.type = file[0];
    ctx.set('Content-Security-Policy', FRAMEABLE_CSP);
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = file[1];
    return true;
  }
  if (name === 'login-status-iframe.html/init') {
    // 204 when the client exists and the origin is one of its webOrigins, else 403 (Keycloak's).
    const client = rc.realm.client(String(ctx.query.client_id ?? ''));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = null;
    // LoginStatusIframeEndpoint.preCheck adds the request's own origin to the valid ones.
    const origin = String(ctx.query.origin ?? '');
    ctx.status = client && originAllowedOrOwn(client, origin, rc.baseUrl) ? 204 : 403;
    return true;
  }
  if (name === 'login-status-iframe.html/session') {
    // The id the client's tokens carry as `sid`; a signed-in browser the client has no tokens of
    // yet answers with a marker, so an app without tokens sees "changed" and signs in silently.
    const session = await browserSession(ctx, provider);
    const sid = session?.accountId
      ? (session.authorizations?.[String(ctx.query.client_id ?? '')]?.sid ?? 'signed-in')
      : undefined;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { sid: sid ?? null };
    return true;
  }
  return false;
}

/**
 * Server-rendered pages (templates in views/, rendered by Eta with HTML escaping on): login,
 * logout confirmation, logged out, error. Every page is sent with a strict Content-Security-Policy
 * (no scripts, styles from this origin only) and is never framed. Error pages show Keycloak's
 * messages (messages_en.properties), never a stack trace or an internal message.
 */
import { Eta } from 'eta';
import type { Context } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { VIEWS_DIR } from './views-dir.ts';
import { pageLocale, setLocaleSource, type PageRealm } from './i18n/page-locale.ts';

const eta = new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true });

export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Renders views/{template}.eta in the request's locale (the realm and user handlers named with
 * setLocaleSource; English when none) with the page headers (CSP, no framing, no caching).
 */
export function sendPage(
  ctx: Context,
  template: string,
  data: Record<string, unknown>,
  status = 200,
  csp = PAGE_CSP,
): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Content-Security-Policy', csp);
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Cache-Control', 'no-store, must-revalidate, max-age=0');
  ctx.set('Referrer-Policy', 'no-referrer');
  // The page's locale (i18n/page-locale.ts): `msg(key, ...args)` for the bundle's texts, `text()`
  // for a message code handed over in English, `locale` for <html lang> and the chooser.
  const locale = pageLocale(ctx);
  ctx.body = eta.render(template, { ...data, msg: locale.msg, text: locale.text, locale });
}

export const realmDisplayName = (rc: PageRealm) => rc.realm.rep.displayName || rc.realm.name;

/**
 * The locale source of a page oidc-provider renders (its own Koa context): the realm, and the
 * request's `ui_locales` (authorization and RP-initiated logout requests carry it).
 */
function oidcLocaleSource(ctx: KoaContextWithOIDC, rc: PageRealm): void {
  const uiLocales = (ctx.oidc?.params as { ui_locales?: unknown } | undefined)?.ui_locales;
  setLocaleSource(ctx as unknown as Context, {
    rc,
    uiLocales: typeof uiLocales === 'string' ? uiLocales : undefined,
  });
}

/** Keycloak's error page texts for oidc-provider error codes at the browser-facing endpoints. */
function errorMessage(out: { error?: string; error_description?: string }): string {
  switch (out.error) {
    case 'invalid_redirect_uri':
      return 'Invalid parameter: redirect_uri';
    case 'invalid_client':
      return 'Client not found.';
    case 'invalid_request':
      return out.error_description?.startsWith('missing required parameter')
        ? `Missing parameters: ${out.error_description.replace(/^missing required parameter '?([^']*)'?.*$/, '$1')}`
        : `Invalid Request: ${out.error_description ?? ''}`.trim();
    case 'server_error':
      return 'An unexpected error occurred. Please try again later.';
    default:
      return out.error_description || 'An error occurred.';
  }
}

export function renderErrorPage(rc: PageRealm) {
  return async (ctx: KoaContextWithOIDC, out: { error?: string; error_description?: string }) => {
    oidcLocaleSource(ctx, rc);
    sendPage(
      ctx as unknown as Context,
      'error',
      { realmDisplayName: realmDisplayName(rc), message: errorMessage(out) },
      ctx.status || 400,
    );
  };
}

/**
 * Whether the verified `id_token_hint` names this browser's session: its `sub` is the session's
 * user and its `sid` the session's id for the hint's client. oidc-provider ends the browser's
 * session whatever the hint says, so someone else's hint must not end it unasked.
 */
function hintMatchesSession(ctx: KoaContextWithOIDC): boolean {
  const hint = (
    ctx.oidc.entities as { IdTokenHint?: { payload?: { sub?: unknown; sid?: unknown } } }
  ).IdTokenHint?.payload;
  const { session, client } = ctx.oidc;
  if (!hint || !session?.accountId || !client || typeof hint.sid !== 'string') return false;
  return hint.sub === session.accountId && hint.sid === session.sidFor(client.clientId);
}

/**
 * Logout confirmation. With a valid `id_token_hint` of this browser's session no question is
 * asked, as in Keycloak; a hint of another session (or user) gets the question (OIDC
 * RP-Initiated Logout 1.0 §2; Keycloak LogoutEndpoint's `forcedConfirmation`).
 */
export function renderLogoutPage(rc: PageRealm) {
  return async (ctx: KoaContextWithOIDC, form: string) => {
    oidcLocaleSource(ctx, rc);
    const hinted = hintMatchesSession(ctx);
    sendPage(
      ctx as unknown as Context,
      hinted ? 'logout-auto' : 'logout',
      { realmDisplayName: realmDisplayName(rc), form },
      200,
      hinted
        ? "default-src 'none'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'"
        : undefined,
    );
  };
}

export function renderLoggedOutPage(rc: PageRealm) {
  return async (ctx: KoaContextWithOIDC) => {
    oidcLocaleSource(ctx, rc);
    const client = ctx.oidc.client;
    sendPage(ctx as unknown as Context, 'logged-out', {
      realmDisplayName: realmDisplayName(rc),
      clientName: client?.clientName ?? client?.clientId,
    });
  };
}

/**
 * The device verification pages (RFC 8628 §3.3), in Keycloak's words: the user code input, its
 * confirmation, success. oidc-provider hands the forms (with their XSRF field); a wrong, expired
 * or used code comes back as `err`.
 */
export function deviceFlowPages(rc: PageRealm) {
  const send = (ctx: KoaContextWithOIDC, data: Record<string, unknown>) => {
    oidcLocaleSource(ctx, rc);
    sendPage(ctx as unknown as Context, 'device', {
      realmDisplayName: realmDisplayName(rc),
      ...data,
    });
  };
  const inputMessage = (err?: { name?: string }) => {
    if (!err) return undefined;
    if (err.name === 'ExpiredError')
      return 'The code has expired. Please go back to your device and try connecting again.';
    if (err.name === 'AbortedError')
      return 'Device login was denied. Please go back to your device.';
    if (
      err.name === 'NotFoundError' ||
      err.name === 'NoCodeError' ||
      err.name === 'AlreadyUsedError'
    )
      return 'Invalid code, please try again.';
    return 'An unexpected error occurred. Please try again later.';
  };
  return {
    // The input carries Keycloak's id; oidc-provider names the field `user_code`.
    userCodeInputSource: async (
      ctx: KoaContextWithOIDC,
      form: string,
      _out?: unknown,
      err?: { name?: string },
    ) =>
      send(ctx, {
        step: 'input',
        form: form.replace(
          'type="text" name="user_code"',
          'type="text" id="device-user-code" name="user_code"',
        ),
        message: inputMessage(err),
      }),
    userCodeConfirmSource: async (
      ctx: KoaContextWithOIDC,
      form: string,
      client: { clientId: string; clientName?: string },
      _deviceInfo: unknown,
      userCode: string,
    ) =>
      send(ctx, {
        step: 'confirm',
        form,
        clientName: client.clientName ?? client.clientId,
        userCode,
      }),
    successSource: async (ctx: KoaContextWithOIDC) => send(ctx, { step: 'success' }),
  };
}

export function renderStandaloneError(
  ctx: Context,
  message: string,
  status: number,
  realmName = '',
): void {
  sendPage(ctx, 'error', { realmDisplayName: realmName, message }, status);
}

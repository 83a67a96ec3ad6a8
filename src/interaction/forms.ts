/**
 * What the registration, reset-credentials and action-token pages share: the form body (16 KB at
 * most, strings only), the interaction a page belongs to (bound to the browser by oidc-provider's
 * path-scoped KC_INTERACTION cookie, which is what makes their POSTs CSRF-safe), and the info page
 * (Keycloak's info.ftl).
 */
import type { Context } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type { Provider } from 'oidc-provider';
import type { RealmContext } from '../oidc/realm-context.ts';
import { LOGIN_ACTIONS } from '../oidc/routes.ts';
import { realmDisplayName, renderStandaloneError, sendPage } from './pages.ts';
import { loginLocaleSource } from './login-locale.ts';

const parse = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

/** Longest value a field of these forms may hold (longer ones are refused as invalid). */
export const MAX_FIELD = 255;

/** The form fields as strings (a repeated or missing field is ''). */
export async function readForm(ctx: Context): Promise<Record<string, string>> {
  await parse(ctx, async () => undefined);
  const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : '']),
  );
}

/** `/realms/{realm}/login-actions/{uid}`: the login page of an interaction. */
export const interactionBase = (rc: RealmContext, uid: string) =>
  `/realms/${encodeURIComponent(rc.realm.name)}${LOGIN_ACTIONS}/${encodeURIComponent(uid)}`;

/** Keycloak's loginTimeout text, for a page whose interaction is gone or is not this browser's. */
export const LOGIN_TIMEOUT = 'Your login attempt timed out.  Login will start from the beginning.';

/**
 * The interaction `uid` of this browser, or undefined after answering Keycloak's timeout page.
 * Its pages follow the login's locale (interaction/login-locale.ts: the pick, `ui_locales`).
 */
export async function browserInteraction(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
  uid: string,
) {
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid === uid) {
      await loginLocaleSource(ctx, rc, details, ctx.path);
      return details;
    }
  } catch {
    // no interaction cookie, or the interaction expired
  }
  renderStandaloneError(ctx, LOGIN_TIMEOUT, 400, realmDisplayName(rc));
  return undefined;
}

/** Keycloak's info page: a title, a message and maybe a link. */
export function infoPage(
  ctx: Context,
  rc: RealmContext,
  page: {
    title: string;
    message: string;
    link?: { href: string; text: string };
    form?: { action: string; button: string };
    items?: string[];
    error?: boolean;
  },
  status = 200,
): void {
  sendPage(ctx, 'action-info', { realmDisplayName: realmDisplayName(rc), ...page }, status);
}

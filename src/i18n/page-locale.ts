/**
 * The locale of a page served by this request (Keycloak's DefaultLocaleSelectorProvider, via
 * locale-select.ts) and what the page's templates get: `msg()`, `lang`, the locale chooser.
 * Handlers tell it what they know with `setLocaleSource` (the realm, the user of the login, the
 * authorization request's `ui_locales`, the locale picked earlier in this login); pages.ts reads
 * it when it renders. A `kc_locale` query naming a supported locale is the user's pick: it sets
 * the `KEYCLOAK_LOCALE` cookie on the realm's path (DefaultLocaleUpdaterProvider.updateLocaleCookie:
 * `/realms/{realm}/`, HttpOnly, session cookie, Secure over HTTPS).
 */
import type { Context } from 'koa';
import type { RealmModel } from '../model/model.ts';
import { localeName } from './bundles.ts';
import {
  findLocale,
  i18nEnabled,
  selectLocale,
  supportedLocales,
  type LocaleSettings,
} from './locale-select.ts';
import { messagesFor, type Messages } from './messages.ts';

export const LOCALE_COOKIE = 'KEYCLOAK_LOCALE';
export const KC_LOCALE_PARAM = 'kc_locale';

/** The part of a realm's runtime (oidc/realm-context.ts RealmContext) a page's locale reads. */
export interface PageRealm {
  realm: RealmModel;
}

/** What a handler knows about the page's locale. */
export interface LocaleSource {
  rc?: PageRealm;
  user?: { attributes?: Record<string, unknown> };
  uiLocales?: string;
  /** The locale picked earlier in this login (kept in the interaction, login.ts). */
  requested?: string;
  /** Where the chooser's links go when this request is a POST (the page's GET address). */
  chooserBase?: string;
}

export interface ChooserEntry {
  locale: string;
  label: string;
  href: string;
}

/** What templates get: the messages, `lang`, and the chooser (undefined: none shown). */
export interface PageLocale extends Messages {
  lang: string;
  currentName: string;
  chooser?: ChooserEntry[];
}

const KEY = 'qsignLocale';

/** The realm's locale settings and its `localizationTexts`. */
export function localeSettings(rc: PageRealm): LocaleSettings & { localizationTexts?: unknown } {
  const rep = rc.realm.rep as Record<string, unknown>;
  return {
    internationalizationEnabled: rep.internationalizationEnabled,
    supportedLocales: rep.supportedLocales,
    defaultLocale: rep.defaultLocale,
    localizationTexts: rep.localizationTexts,
  };
}

/** Adds what this handler knows to the request's locale source. */
export function setLocaleSource(ctx: Context, source: LocaleSource): void {
  const state = ctx.state as Record<string, unknown>;
  state[KEY] = { ...(state[KEY] as LocaleSource | undefined), ...source };
}

const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);
const asString = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** The supported locale a `kc_locale` query names, when the realm has i18n on; else undefined. */
export function requestedLocale(ctx: Context, rc: PageRealm): string | undefined {
  const rep = localeSettings(rc);
  const wanted = asString(first(ctx.query[KC_LOCALE_PARAM]));
  if (!wanted || !i18nEnabled(rep)) return undefined;
  return findLocale(supportedLocales(rep), wanted);
}

function chooserHref(ctx: Context, base: string | undefined, locale: string): string {
  const url = new URL(ctx.method === 'GET' || !base ? ctx.originalUrl : base, 'http://x');
  url.searchParams.set(KC_LOCALE_PARAM, locale);
  return url.pathname + url.search;
}

/**
 * The KEYCLOAK_LOCALE cookie on the realm's path, for the session (DefaultLocaleUpdaterProvider
 * .updateLocaleCookie). `locale` must be one the realm supports (the callers match it first).
 */
export function setLocaleCookie(ctx: Context, realmName: string, locale: string): void {
  ctx.cookies.set(LOCALE_COOKIE, locale, {
    path: `/realms/${encodeURIComponent(realmName)}/`,
    httpOnly: true,
    secure: ctx.secure,
    sameSite: 'lax',
    overwrite: true,
  });
}

/**
 * The page locale of this request. Sets the KEYCLOAK_LOCALE cookie when the request picks one.
 */
export function pageLocale(ctx: Context): PageLocale {
  const source = ((ctx.state as Record<string, unknown>)[KEY] ?? {}) as LocaleSource;
  const rc = source.rc;
  if (!rc) {
    const m = messagesFor('en');
    return { ...m, lang: 'en', currentName: localeName('en') };
  }
  const rep = localeSettings(rc);
  const picked = requestedLocale(ctx, rc);
  if (picked) setLocaleCookie(ctx, rc.realm.name, picked);
  const locale = selectLocale(rep, {
    userRequested: picked ?? source.requested,
    userAttribute: asString(first(source.user?.attributes?.locale)),
    uiLocales: source.uiLocales,
    cookie: ctx.cookies.get(LOCALE_COOKIE),
    acceptLanguages: ctx.acceptsLanguages(),
  });
  const messages = messagesFor(locale, rep.localizationTexts);
  const supported = supportedLocales(rep);
  const chooser =
    i18nEnabled(rep) && supported.length > 1
      ? supported.map((l) => ({
          locale: l,
          label: localeName(l),
          href: chooserHref(ctx, source.chooserBase, l),
        }))
      : undefined;
  return { ...messages, lang: locale, currentName: localeName(locale), chooser };
}

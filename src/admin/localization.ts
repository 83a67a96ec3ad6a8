/**
 * The realm's own texts (Keycloak RealmLocalizationResource, services/.../resources/admin/
 * RealmLocalizationResource.java), which override the login pages' and emails' messages (i18n/):
 * - `GET /admin/realms/{realm}/localization`: the locales that have texts, sorted (any admin role);
 * - `GET .../localization/{locale}`: the locale's texts, `{}` when none (any admin role: isAdmin);
 * - `GET .../localization/{locale}/{key}`: one text as text/plain, 404 when none (any admin role);
 * - `POST .../localization/{locale}` (JSON object of strings): adds or replaces those texts
 *   (createOrUpdateRealmLocalizationTexts, manage-realm);
 * - `PUT .../localization/{locale}/{key}` (text/plain body): sets one text (manage-realm);
 * - `DELETE .../localization/{locale}` and `.../{locale}/{key}`: remove, 404 when there is
 *   nothing to remove (manage-realm).
 * Stored in the realm's representation as `localizationTexts` (imported and exported with it).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { updateRealmDoc } from '../store/realms.ts';
import type { RealmDocument } from '../model/representation.ts';
import { badRequest, notFound } from './errors.ts';
import { commit, jsonBody, noContent, realmScope, storable, type AdminDeps } from './context.ts';

type Texts = Record<string, Record<string, string>>;

/** Longest key and text accepted (Keycloak's REALM_LOCALIZATIONS columns: VALUE is text, KEY 255). */
const MAX_KEY = 255;
const MAX_TEXT = 32_768;
const MAX_TEXTS_PER_LOCALE = 5_000;

const textsOf = (doc: unknown): Texts => {
  const texts = (doc as { localizationTexts?: unknown }).localizationTexts;
  return texts && typeof texts === 'object' ? (texts as Texts) : {};
};

function checkKey(key: string, what: string): void {
  if (!key || key.length > MAX_KEY || !storable(key))
    throw badRequest(`${what} must be 1 to ${MAX_KEY} characters`);
}

function checkText(text: unknown): string {
  if (typeof text !== 'string') throw badRequest('localization texts must be strings');
  if (text.length > MAX_TEXT || !storable(text))
    throw badRequest(`a localization text must be at most ${MAX_TEXT} characters`);
  return text;
}

/** Changes the realm's texts in one transaction; `change` gets a copy. */
async function changeTexts(
  deps: AdminDeps,
  realm: string,
  change: (texts: Texts) => Texts,
): Promise<void> {
  await commit(deps, realm, (tx) =>
    updateRealmDoc(tx, realm, (doc) => {
      const copy: Texts = Object.fromEntries(
        Object.entries(textsOf(doc)).map(([l, t]) => [l, { ...t }]),
      );
      return { ...doc, localizationTexts: change(copy) } as RealmDocument;
    }),
  );
}

const textParser = bodyParser({
  enableTypes: ['text'],
  textLimit: '64kb',
  encoding: 'utf-8',
  parsedMethods: ['PUT'],
});

/** The text/plain body (the router's parser reads JSON only and leaves this stream unread). */
async function plainBody(ctx: Context): Promise<string> {
  if (!ctx.is('text/plain')) throw badRequest('the text must be sent as text/plain');
  (ctx.request as { body?: unknown }).body = undefined;
  await textParser(ctx, async () => undefined);
  const body = (ctx.request as { body?: unknown }).body;
  return typeof body === 'string' ? body : '';
}

function readRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/localization', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = Object.keys(textsOf(realm.doc)).sort();
  });
  router.get('/:realm/localization/:locale', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const texts = textsOf(realm.doc);
    ctx.body = Object.hasOwn(texts, ctx.params.locale) ? texts[ctx.params.locale] : {};
  });
  router.get('/:realm/localization/:locale/:key', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const texts = textsOf(realm.doc);
    const { locale, key } = ctx.params;
    if (!Object.hasOwn(texts, locale) || !Object.hasOwn(texts[locale], key))
      throw notFound('Localization text not found');
    ctx.type = 'text/plain';
    ctx.body = texts[locale][key];
  });
}

function writeRoutes(router: Router, deps: AdminDeps): void {
  router.post('/:realm/localization/:locale', async (ctx) => {
    await realmScope(deps, ctx);
    const { locale } = ctx.params;
    checkKey(locale, 'locale');
    const body = jsonBody(ctx);
    const entries = Object.entries(body).map(([k, v]) => {
      checkKey(k, 'key');
      return [k, checkText(v)] as const;
    });
    await changeTexts(deps, ctx.params.realm, (texts) => {
      const merged = { ...(Object.hasOwn(texts, locale) ? texts[locale] : {}) };
      for (const [k, v] of entries) merged[k] = v;
      if (Object.keys(merged).length > MAX_TEXTS_PER_LOCALE)
        throw badRequest(`at most ${MAX_TEXTS_PER_LOCALE} texts per locale`);
      return { ...texts, [locale]: merged };
    });
    noContent(ctx);
  });
  router.put('/:realm/localization/:locale/:key', async (ctx) => {
    await realmScope(deps, ctx);
    const { locale, key } = ctx.params;
    checkKey(locale, 'locale');
    checkKey(key, 'key');
    const text = checkText(await plainBody(ctx));
    await changeTexts(deps, ctx.params.realm, (texts) => {
      const forLocale = { ...(Object.hasOwn(texts, locale) ? texts[locale] : {}), [key]: text };
      if (Object.keys(forLocale).length > MAX_TEXTS_PER_LOCALE)
        throw badRequest(`at most ${MAX_TEXTS_PER_LOCALE} texts per locale`);
      return { ...texts, [locale]: forLocale };
    });
    noContent(ctx);
  });
  router.delete('/:realm/localization/:locale', async (ctx) => {
    await realmScope(deps, ctx);
    const { locale } = ctx.params;
    await changeTexts(deps, ctx.params.realm, (texts) => {
      if (!Object.hasOwn(texts, locale))
        throw notFound(`No localization texts for locale ${locale} found.`);
      delete texts[locale];
      return texts;
    });
    noContent(ctx);
  });
  router.delete('/:realm/localization/:locale/:key', async (ctx) => {
    await realmScope(deps, ctx);
    const { locale, key } = ctx.params;
    await changeTexts(deps, ctx.params.realm, (texts) => {
      if (!Object.hasOwn(texts, locale) || !Object.hasOwn(texts[locale], key))
        throw notFound('Localization text not found');
      delete texts[locale][key];
      return texts;
    });
    noContent(ctx);
  });
}

export function localizationRoutes(router: Router, deps: AdminDeps): void {
  readRoutes(router, deps);
  writeRoutes(router, deps);
}

/**
 * Which locale a page or email is shown in: Keycloak's DefaultLocaleSelectorProvider.resolveLocale
 * (services/src/main/java/org/keycloak/locale/DefaultLocaleSelectorProvider.java), pure.
 * With internationalisation off it is English. Otherwise the first of these that names a
 * supported locale: the locale the user picked in this login (`kc_locale`, Keycloak's
 * USER_REQUEST_LOCALE auth note), the user's `locale` attribute, the client's `ui_locales`
 * (space-separated, the first supported one), the `KEYCLOAK_LOCALE` cookie, the Accept-Language
 * header (in the browser's order of preference); else the realm's `defaultLocale`, else English.
 */

/** The realm's settings (RealmRepresentation internationalizationEnabled, supportedLocales, defaultLocale). */
export interface LocaleSettings {
  internationalizationEnabled?: unknown;
  supportedLocales?: unknown;
  defaultLocale?: unknown;
}

/** What the request and the user say; every field optional. */
export interface LocaleHints {
  /** `kc_locale` of this request, or the one picked earlier in this login. */
  userRequested?: string;
  /** The user's `locale` attribute (first value). */
  userAttribute?: string;
  /** The authorization request's `ui_locales` (space-separated BCP 47 tags). */
  uiLocales?: string;
  /** The `KEYCLOAK_LOCALE` cookie. */
  cookie?: string;
  /** Accept-Language tags, most preferred first. */
  acceptLanguages?: readonly string[];
}

export const DEFAULT_LOCALE = 'en';

interface Tag {
  language: string;
  country: string;
}

/** Language and region of a BCP 47 tag (Java's Locale.forLanguageTag, enough for matching). */
function parseTag(tag: string): Tag {
  const parts = tag.trim().replace(/_/g, '-').split('-');
  const language = (parts[0] ?? '').toLowerCase();
  const region = parts.slice(1).find((p) => /^([a-z]{2}|\d{3})$/i.test(p));
  return { language, country: (region ?? '').toUpperCase() };
}

/**
 * A BCP 47-like tag (letters, digits, `-`, `_`; 35 characters at most): what may go into the
 * KEYCLOAK_LOCALE cookie and a page's `lang`. A realm entry that is not one is ignored.
 */
export const isLocaleTag = (tag: unknown): tag is string =>
  typeof tag === 'string' && /^[A-Za-z0-9]{1,8}([-_][A-Za-z0-9]{1,8}){0,4}$/.test(tag);

/** The realm's supported locales (well-formed tags only). */
export function supportedLocales(settings: LocaleSettings): string[] {
  const list = settings.supportedLocales;
  return Array.isArray(list) ? list.filter(isLocaleTag) : [];
}

/** Whether the realm shows more than English (`internationalizationEnabled`). */
export const i18nEnabled = (settings: LocaleSettings) =>
  settings.internationalizationEnabled === true;

/**
 * DefaultLocaleSelectorProvider.findBestMatchingLocale: for each wanted tag in turn, a supported
 * locale of the same language whose region is equal, or where exactly one of the two has a region
 * (`de` finds `de-CH`, `de-AT` finds `de`); the same region wins over a differing one.
 */
export function findLocale(supported: readonly string[], ...wanted: (string | undefined)[]) {
  for (const want of wanted) {
    if (!want) continue;
    const search = parseTag(want);
    if (!search.language) continue;
    let result: string | undefined;
    for (const candidate of supported) {
      const c = parseTag(candidate);
      if (c.language !== search.language) continue;
      const oneWithoutRegion = (c.country === '') !== (search.country === '');
      if (c.country === search.country) return candidate;
      if (oneWithoutRegion && result === undefined) result = candidate;
    }
    if (result !== undefined) return result;
  }
  return undefined;
}

/** DefaultLocaleSelectorProvider.resolveLocale (see the module comment for the order). */
export function selectLocale(settings: LocaleSettings, hints: LocaleHints): string {
  if (!i18nEnabled(settings)) return DEFAULT_LOCALE;
  const supported = supportedLocales(settings);
  const found =
    findLocale(supported, hints.userRequested) ??
    findLocale(supported, hints.userAttribute) ??
    findLocale(supported, ...(hints.uiLocales ?? '').split(' ')) ??
    findLocale(supported, hints.cookie) ??
    findLocale(supported, ...(hints.acceptLanguages ?? []));
  if (found) return found;
  const realmDefault = settings.defaultLocale;
  return isLocaleTag(realmDefault) ? realmDefault : DEFAULT_LOCALE;
}

/**
 * Message lookup for one locale, as Keycloak's themes resolve `${msg("key", args)}`: the realm's
 * own texts (RealmRepresentation `localizationTexts`, RealmLocalizationResource) before the
 * bundle's, the locale before its language (`de-CH` → `de`) before English; a key found nowhere
 * is shown as itself. Texts are formatted as Java MessageFormat (format.ts).
 */
import { BUNDLES } from './bundles.ts';
import { DEFAULT_LOCALE } from './locale-select.ts';
import { formatMessage } from './format.ts';

/** `msg(key, ...args)`: the formatted text. */
export type Msg = (key: string, ...args: unknown[]) => string;

/** The realm's `localizationTexts`: locale → key → text. */
export type LocalizationTexts = Record<string, Record<string, string>>;

export interface Messages {
  locale: string;
  msg: Msg;
  /**
   * A message given either as a key or as the English text code produced (e.g. "Invalid username
   * or password.", or a password-policy text with its number): in this locale when it is one of
   * the bundle's English messages, else unchanged.
   */
  text(message: string): string;
}

/** The realm's texts of one locale, strings only (anything else in a realm file is ignored). */
function realmTexts(texts: unknown, locale: string): Record<string, string> | undefined {
  if (!texts || typeof texts !== 'object' || !Object.hasOwn(texts, locale)) return undefined;
  const forLocale = (texts as Record<string, unknown>)[locale];
  return forLocale && typeof forLocale === 'object'
    ? (forLocale as Record<string, string>)
    : undefined;
}

/** The locales a lookup tries, most specific first. */
function chain(locale: string): string[] {
  const language = locale.split(/[-_]/)[0];
  return [...new Set([locale, language, DEFAULT_LOCALE])];
}

const collapse = (s: string) => s.replace(/ {2,}/g, ' ');

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** English texts as patterns ({n} → a capture), longest first: for `text()`. */
const ENGLISH_PATTERNS: readonly { key: string; re: RegExp; indexes: number[] }[] = Object.entries(
  BUNDLES.en,
)
  .map(([key, pattern]) => {
    const literal = collapse(formatMessage(pattern.replace(/\{(\d+)\}/g, '\u0000$1\u0000')));
    const indexes: number[] = [];
    const source = literal
      .split(/\u0000(\d+)\u0000/)
      .map((part, i) => {
        if (i % 2 === 0) return escapeRegExp(part);
        indexes.push(Number(part));
        return '(.+?)';
      })
      .join('');
    return { key, re: new RegExp(`^${source}$`, 's'), indexes };
  })
  .sort((a, b) => b.re.source.length - a.re.source.length);

/** The messages of `locale`, with the realm's `localizationTexts` overriding the bundles. */
export function messagesFor(locale: string, localizationTexts?: unknown): Messages {
  const locales = chain(locale);
  const lookup = (key: string): string | undefined => {
    for (const l of locales) {
      const own = realmTexts(localizationTexts, l);
      if (own && Object.hasOwn(own, key) && typeof own[key] === 'string') return own[key];
      const bundle = BUNDLES[l];
      if (bundle && Object.hasOwn(bundle, key)) return bundle[key];
    }
    return undefined;
  };
  const msg: Msg = (key, ...args) => {
    const pattern = lookup(key);
    return pattern === undefined ? key : formatMessage(pattern, args);
  };
  const text = (message: string): string => {
    if (Object.hasOwn(BUNDLES.en, message)) return msg(message);
    const plain = collapse(message);
    for (const { key, re, indexes } of ENGLISH_PATTERNS) {
      const m = re.exec(plain);
      if (!m) continue;
      const args: string[] = [];
      indexes.forEach((index, i) => (args[index] = m[i + 1]));
      return msg(key, ...args);
    }
    return message;
  };
  return { locale, msg, text };
}

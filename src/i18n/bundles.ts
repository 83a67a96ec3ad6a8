/**
 * The message bundles this server ships (one file per locale under i18n/messages/) and each
 * locale's name in its own language (Keycloak's `locale_xx` messages, shown by the login
 * theme's locale chooser).
 */
import { en } from './messages/en.ts';
import { de } from './messages/de.ts';
import { fr } from './messages/fr.ts';
import { es } from './messages/es.ts';
import { ko } from './messages/ko.ts';
import { ja } from './messages/ja.ts';

export const BUNDLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  en,
  de,
  fr,
  es,
  ko,
  ja,
};

/** Keycloak's locale_de, locale_fr… texts. */
const LOCALE_NAMES: Readonly<Record<string, string>> = {
  en: 'English',
  de: 'Deutsch',
  fr: 'Français',
  es: 'Español',
  ko: '한국어',
  ja: '日本語',
};

/** A locale's name in its own language ("Deutsch"); Intl's name for one we have no bundle for. */
export function localeName(tag: string): string {
  if (Object.hasOwn(LOCALE_NAMES, tag)) return LOCALE_NAMES[tag];
  try {
    const name = new Intl.DisplayNames([tag], { type: 'language' }).of(tag);
    return name ? name.charAt(0).toLocaleUpperCase(tag) + name.slice(1) : tag;
  } catch {
    return tag;
  }
}

/**
 * The login pages' localisation (src/i18n/): the locale order of Keycloak's
 * DefaultLocaleSelectorProvider (services/src/main/java/org/keycloak/locale/
 * DefaultLocaleSelectorProvider.java, resolveLocale / getUserLocale / findBestMatchingLocale),
 * Java MessageFormat formatting as Keycloak's MessageFormatterMethod does it, the bundles
 * (every English key in each locale, same placeholders), and the realm's localizationTexts
 * overriding them (RealmLocalizationResource texts beat theme messages).
 */
import { describe, expect, it } from 'vitest';
import { findLocale, selectLocale } from '../../src/i18n/locale-select.ts';
import { formatMessage, placeholders } from '../../src/i18n/format.ts';
import { BUNDLES, localeName } from '../../src/i18n/bundles.ts';
import { messagesFor } from '../../src/i18n/messages.ts';

const realm = {
  internationalizationEnabled: true,
  supportedLocales: ['en', 'de', 'fr', 'es', 'ja'],
  defaultLocale: 'es',
};

describe('selectLocale (DefaultLocaleSelectorProvider.resolveLocale)', () => {
  const all = {
    userRequested: 'fr',
    userAttribute: 'de',
    uiLocales: 'ja',
    cookie: 'en',
    acceptLanguages: ['es'],
  };

  it('is English when internationalisation is off, whatever is asked or the default (Locale.ENGLISH)', () => {
    expect(selectLocale({ ...realm, internationalizationEnabled: false }, all)).toBe('en');
    expect(selectLocale({ defaultLocale: 'de' }, { userRequested: 'de' })).toBe('en');
  });

  it("takes each source in getUserLocale's order: kc_locale pick, user attribute, ui_locales, cookie, Accept-Language", () => {
    expect(selectLocale(realm, all)).toBe('fr');
    expect(selectLocale(realm, { ...all, userRequested: undefined })).toBe('de');
    expect(
      selectLocale(realm, { ...all, userRequested: undefined, userAttribute: undefined }),
    ).toBe('ja');
    expect(selectLocale(realm, { cookie: 'en', acceptLanguages: ['es'] })).toBe('en');
    expect(selectLocale(realm, { acceptLanguages: ['ko', 'de'] })).toBe('de');
  });

  it('skips a source naming an unsupported locale (findLocale returns null)', () => {
    expect(selectLocale(realm, { userRequested: 'ko', userAttribute: 'xx', cookie: 'fr' })).toBe(
      'fr',
    );
  });

  it('takes the first supported of the space-separated ui_locales (getClientSelectedLocale split(" "))', () => {
    expect(selectLocale(realm, { uiLocales: 'ko pt de fr' })).toBe('de');
  });

  it("falls back to the realm's defaultLocale, then English", () => {
    expect(selectLocale(realm, { acceptLanguages: ['*'] })).toBe('es');
    expect(selectLocale({ ...realm, defaultLocale: undefined }, {})).toBe('en');
  });
});

describe('malformed realm settings', () => {
  it('ignores a supported locale or default that is no language tag (it would go into a cookie)', () => {
    const odd = {
      internationalizationEnabled: true,
      supportedLocales: ['de;x=1', 'fr'],
      defaultLocale: 'a b',
    };
    expect(selectLocale(odd, { userRequested: 'de;x=1', cookie: 'fr' })).toBe('fr');
    expect(selectLocale(odd, {})).toBe('en');
  });
});

describe('findLocale (findBestMatchingLocale)', () => {
  it('matches the language when exactly one side has a region, and prefers the same region', () => {
    expect(findLocale(['de-CH'], 'de')).toBe('de-CH');
    expect(findLocale(['de'], 'de-AT')).toBe('de');
    expect(findLocale(['de', 'de-AT'], 'de-AT')).toBe('de-AT');
    expect(findLocale(['de-CH'], 'de-AT')).toBeUndefined();
    expect(findLocale(['pt-BR', 'pt'], 'pt-PT')).toBe('pt');
  });
});

describe('formatMessage (java.text.MessageFormat)', () => {
  it("replaces {n}, turns '' into one apostrophe and keeps quoted text literal", () => {
    expect(formatMessage('Sign in to {0}', ['Demo'])).toBe('Sign in to Demo');
    expect(formatMessage("Passwords don''t match.")).toBe("Passwords don't match.");
    expect(formatMessage("'{0}' is {0}", ['x'])).toBe('{0} is x');
    expect(formatMessage('{1} and {0}', ['a', 'b'])).toBe('b and a');
    expect(formatMessage('missing {0}')).toBe('missing {0}');
  });
});

describe('bundles', () => {
  const en = BUNDLES.en;
  for (const locale of ['de', 'fr', 'es', 'ko', 'ja']) {
    it(`${locale} has every English key, no other, and the same placeholders`, () => {
      const bundle = BUNDLES[locale];
      expect(Object.keys(bundle).sort()).toEqual(Object.keys(en).sort());
      for (const [key, text] of Object.entries(en))
        expect([key, placeholders(bundle[key])]).toEqual([key, placeholders(text)]);
    });
  }

  it("names each locale in its own language (Keycloak's locale_xx)", () => {
    expect(localeName('de')).toBe('Deutsch');
    expect(localeName('fr')).toBe('Français');
    expect(localeName('ja')).toBe('日本語');
    expect(localeName('ko')).toBe('한국어');
  });
});

describe('messagesFor', () => {
  it('looks up the locale, then its language, then English, else shows the key (advancedMsg)', () => {
    expect(messagesFor('de').msg('doLogIn')).toBe('Anmelden');
    expect(messagesFor('de-CH').msg('doLogIn')).toBe('Anmelden');
    expect(messagesFor('pt').msg('doLogIn')).toBe('Sign In');
    expect(messagesFor('de').msg('noSuchKey')).toBe('noSuchKey');
    expect(messagesFor('en').msg('loginTitle', 'Demo')).toBe('Sign in to Demo');
  });

  it("lets the realm's localizationTexts override the bundle, for its locale only", () => {
    const texts = { de: { loginAccountTitle: 'Willkommen bei {0}' }, fr: { doLogIn: 7 } };
    const de = messagesFor('de', texts);
    expect(de.msg('loginAccountTitle', 'Demo')).toBe('Willkommen bei Demo');
    expect(de.msg('doLogIn')).toBe('Anmelden');
    expect(messagesFor('en', texts).msg('loginAccountTitle')).toBe('Sign in to your account');
    // A non-string value in a realm file is ignored.
    expect(messagesFor('fr', texts).msg('doLogIn')).toBe('Se connecter');
  });

  it('translates an English message the code produced, with its parameters', () => {
    const de = messagesFor('de');
    expect(de.text('Invalid username or password.')).toBe(
      'Ungültiger Benutzername oder ungültiges Passwort.',
    );
    expect(de.text('Invalid password: minimum length 12.')).toBe(
      'Ungültiges Passwort: mindestens 12 Zeichen.',
    );
    expect(de.text('Your login attempt timed out.  Login will start from the beginning.')).toBe(
      de.msg('loginTimeout'),
    );
    expect(de.text('Some realm text')).toBe('Some realm text');
  });
});

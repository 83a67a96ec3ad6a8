/**
 * The login pages' languages over real HTTP (Keycloak's DefaultLocaleSelectorProvider and
 * DefaultLocaleUpdaterProvider, services/src/main/java/org/keycloak/locale/): `ui_locales` of the
 * authorization request, `kc_locale` picking a locale and setting the KEYCLOAK_LOCALE cookie on
 * the realm's path (later logins keep it, the user's `locale` attribute takes it: Keycloak's
 * UpdateUserLocaleAction), Accept-Language, a realm with internationalisation off staying English,
 * the realm file's `localizationTexts` beating the bundles, and the admin RealmLocalizationResource
 * (its reads for any admin role, its changes for manage-realm only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { adminCall, masterAdmin, passwordToken } from '../helpers/admin.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { mailLink, startSmtp, type TestSmtp } from '../helpers/smtp.ts';

const CB = 'http://localhost:4000/cb';
const client = {
  clientId: 'web',
  publicClient: true,
  directAccessGrantsEnabled: true,
  redirectUris: ['http://localhost:4000/*'],
};
const I18N = {
  realm: 'i18n',
  registrationAllowed: true,
  internationalizationEnabled: true,
  supportedLocales: ['en', 'de', 'fr', 'ja'],
  defaultLocale: 'en',
  localizationTexts: { ja: { loginAccountTitle: 'ようこそテストへ' } },
  clients: [client],
  users: [
    { username: 'alice', credentials: [{ value: 'alice-password' }] },
    {
      username: 'viewer',
      credentials: [{ value: 'viewer-password' }],
      clientRoles: { 'realm-management': ['view-realm'] },
    },
    {
      username: 'manager',
      credentials: [{ value: 'manager-password' }],
      clientRoles: { 'realm-management': ['manage-realm'] },
    },
  ],
};
const PLAIN = {
  realm: 'plain',
  internationalizationEnabled: false,
  supportedLocales: ['en', 'de'],
  defaultLocale: 'de',
  clients: [client],
};

/** A realm whose emails go to the test SMTP server: one German user, one with no locale (default fr). */
const mailRealm = (smtp: TestSmtp) => ({
  realm: 'i18nmail',
  displayName: 'Mail Realm',
  internationalizationEnabled: true,
  supportedLocales: ['en', 'de', 'fr'],
  defaultLocale: 'fr',
  resetPasswordAllowed: true,
  smtpServer: { host: '127.0.0.1', port: String(smtp.port), from: 'sso@example.org' },
  clients: [client],
  users: [
    { username: 'hans', email: 'hans@example.org', attributes: { locale: ['de'] } },
    { username: 'eve', email: 'eve@example.org' },
    { username: 'rita', email: 'rita@example.org' },
  ],
});

let server: TestServer;
let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [I18N, PLAIN, mailRealm(smtp)],
    env: { SMTP_ALLOWED_HOSTS: smtp.hostPort },
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

const authUrl = (realm: string, extra: Record<string, string> = {}) =>
  `${server.baseUrl}/realms/${realm}/protocol/openid-connect/auth?${new URLSearchParams({
    client_id: 'web',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: CB,
    ...extra,
  })}`;

/** Opens the login page of a new authorization request; returns its URL and HTML. */
async function loginPage(browser: TestBrowser, url: string, init: RequestInit = {}) {
  let current = url;
  let res = await browser.fetch(current, init);
  for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i += 1) {
    current = new URL(res.headers.get('location')!, current).toString();
    res = await browser.fetch(current, init);
  }
  return { url: current, html: await res.text(), res };
}

const heading = (html: string) => /<h1 id="page-title">([^<]*)<\/h1>/.exec(html)?.[1];
const lang = (html: string) => /<html lang="([^"]*)">/.exec(html)?.[1];

describe('locale of the login page', () => {
  it('follows ui_locales (the first supported one), with <html lang> and the chooser', async () => {
    const { html } = await loginPage(new TestBrowser(), authUrl('i18n', { ui_locales: 'ko de' }));
    expect(heading(html)).toBe('Bei Ihrem Konto anmelden');
    expect(lang(html)).toBe('de');
    expect(html).toContain('<summary id="kc-current-locale-link">Deutsch</summary>');
    for (const name of ['English', 'Deutsch', 'Français', '日本語']) expect(html).toContain(name);
    expect(html).toMatch(/href="\/realms\/i18n\/login-actions\/[^"?]+\?kc_locale=fr"/);
  });

  it('follows Accept-Language when nothing else names a locale', async () => {
    const { html } = await loginPage(new TestBrowser(), authUrl('i18n'), {
      headers: { 'accept-language': 'es;q=1, fr-CA;q=0.8, en;q=0.5' },
    });
    expect(heading(html)).toBe('Connexion à votre compte');
  });

  it('kc_locale sets the KEYCLOAK_LOCALE cookie on the realm path; later logins stay in it; the user gets the locale', async () => {
    const browser = new TestBrowser();
    const first = await loginPage(browser, authUrl('i18n'));
    expect(heading(first.html)).toBe('Sign in to your account');
    const picked = await browser.fetch(`${first.url}?kc_locale=fr`);
    const setCookie = picked.headers.getSetCookie().find((c) => c.startsWith('KEYCLOAK_LOCALE='));
    expect(setCookie).toMatch(/^KEYCLOAK_LOCALE=fr; path=\/realms\/i18n\/;.*httponly/i);
    const pickedHtml = await picked.text();
    expect(heading(pickedHtml)).toBe('Connexion à votre compte');
    // A wrong password: the page after the POST keeps the pick (the login's USER_REQUEST_LOCALE).
    const action = /<form id="kc-form-login" action="([^"]+)"/.exec(pickedHtml)![1];
    const wrong = await browser.fetch(
      new URL(action.replace(/&amp;/g, '&'), server.baseUrl).toString(),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'alice', password: 'nope' }),
      },
    );
    expect(await wrong.text()).toContain('Nom d&#39;utilisateur ou mot de passe invalide.');
    const ok = await browser.fetch(
      new URL(action.replace(/&amp;/g, '&'), server.baseUrl).toString(),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'alice', password: 'alice-password' }),
      },
    );
    expect(ok.status).toBe(303);
    // The next login of this browser (new authorization request) is French by the cookie.
    const again = await loginPage(
      new TestBrowserWith(browser),
      authUrl('i18n', { prompt: 'login' }),
    );
    expect(heading(again.html)).toBe('Connexion à votre compte');
    const kc = await masterAdmin(server.baseUrl);
    const [alice] = await kc.users.find({ realm: 'i18n', username: 'alice', exact: true });
    expect(alice.attributes?.locale).toEqual(['fr']);
  });

  it('a realm with internationalisation off is English whatever is asked (no cookie, no chooser)', async () => {
    const browser = new TestBrowser();
    const { url, html } = await loginPage(browser, authUrl('plain', { ui_locales: 'de' }), {
      headers: { 'accept-language': 'de' },
    });
    expect(heading(html)).toBe('Sign in to your account');
    expect(lang(html)).toBe('en');
    expect(html).not.toContain('kc-locale');
    const picked = await browser.fetch(`${url}?kc_locale=de`);
    expect(picked.headers.getSetCookie().some((c) => c.startsWith('KEYCLOAK_LOCALE='))).toBe(false);
    expect(heading(await picked.text())).toBe('Sign in to your account');
  });

  it("shows the realm file's localizationTexts over the bundle", async () => {
    const { html } = await loginPage(new TestBrowser(), authUrl('i18n', { ui_locales: 'ja' }));
    expect(heading(html)).toBe('ようこそテストへ');
    expect(html).toContain('>ログイン</button>');
  });
});

describe('kc_locale on the authorization URL, ui_locales on the other pages', () => {
  // Keycloak's AuthorizationEndpoint calls LocaleUtil.processLocaleParam: the request's kc_locale
  // is the user's pick (USER_REQUEST_LOCALE, before the client's ui_locales) and sets the cookie.
  it('kc_locale on the authorization request picks the locale, over ui_locales, and sets the cookie', async () => {
    const browser = new TestBrowser();
    const { html } = await loginPage(
      browser,
      authUrl('i18n', { kc_locale: 'fr', ui_locales: 'de' }),
    );
    expect(heading(html)).toBe('Connexion à votre compte');
    expect(lang(html)).toBe('fr');
    // The next authorization of this browser, without kc_locale, is French by the cookie.
    const again = await loginPage(browser, authUrl('i18n'));
    expect(heading(again.html)).toBe('Connexion à votre compte');
    // An unsupported one is ignored (the client's ui_locales then applies).
    const other = await loginPage(
      new TestBrowser(),
      authUrl('i18n', { kc_locale: 'ko', ui_locales: 'de' }),
    );
    expect(heading(other.html)).toBe('Bei Ihrem Konto anmelden');
  });

  it("the registration and reset-password pages follow the login's ui_locales", async () => {
    const browser = new TestBrowser();
    const { url } = await loginPage(browser, authUrl('i18n', { ui_locales: 'de' }));
    const register = await (await browser.fetch(`${url}/registration`)).text();
    expect(heading(register)).toBe('Registrierung');
    expect(lang(register)).toBe('de');
    const mail = new TestBrowser();
    const start = await loginPage(mail, authUrl('i18nmail', { ui_locales: 'de' }));
    const reset = await (await mail.fetch(`${start.url}/reset-credentials`)).text();
    expect(heading(reset)).toBe('Passwort vergessen?');
  });

  it('the emailed action-token page follows the ui_locales of the login it was sent from', async () => {
    const browser = new TestBrowser();
    // i18nmail's defaultLocale is fr; rita has no locale attribute; the login asks for German.
    const start = await loginPage(browser, authUrl('i18nmail', { ui_locales: 'de' }));
    const sent = await browser.fetch(`${start.url}/reset-credentials`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'rita' }),
    });
    expect(sent.status).toBe(200);
    const link = mailLink(await smtp.next('rita@example.org'));
    const page = await (await browser.fetch(link)).text();
    expect(heading(page)).toBe('Passwort ändern');
    expect(lang(page)).toBe('de');
  });
});

/** The same cookie jar as another browser (a second tab). */
class TestBrowserWith extends TestBrowser {
  constructor(other: TestBrowser) {
    super();
    (this as { jar: unknown }).jar = other.jar;
  }
}

describe('admin localization texts (RealmLocalizationResource)', () => {
  const put = (token: string, p: string, text: string) =>
    fetch(`${server.baseUrl}/admin/realms${p}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: text,
    });

  it('round trip: POST a map, PUT a key as text/plain, read, see it on the page, delete', async () => {
    const token = await passwordToken(server.baseUrl, 'i18n', 'manager', 'manager-password');
    const call = (m: string, p: string, b?: unknown) => adminCall(server.baseUrl, token, m, p, b);
    expect((await call('POST', '/i18n/localization/de', { doLogIn: "Los geht''s" })).status).toBe(
      204,
    );
    expect((await put(token, '/i18n/localization/de/loginAccountTitle', 'Hallo {0}')).status).toBe(
      204,
    );
    expect((await call('GET', '/i18n/localization')).body).toEqual(['de', 'ja']);
    expect((await call('GET', '/i18n/localization/de')).body).toEqual({
      doLogIn: "Los geht''s",
      loginAccountTitle: 'Hallo {0}',
    });
    const key = await call('GET', '/i18n/localization/de/loginAccountTitle');
    expect([key.status, key.text]).toEqual([200, 'Hallo {0}']);
    expect((await call('GET', '/i18n/localization/de/nothing')).status).toBe(404);

    const { html } = await loginPage(new TestBrowser(), authUrl('i18n', { ui_locales: 'de' }));
    // Java MessageFormat: '' is one apostrophe (escaped by the template).
    expect(html).toContain('>Los geht&#39;s</button>');
    expect(heading(html)).toBe('Hallo {0}');

    expect((await call('DELETE', '/i18n/localization/de/doLogIn')).status).toBe(204);
    expect((await call('DELETE', '/i18n/localization/de/doLogIn')).status).toBe(404);
    expect((await call('DELETE', '/i18n/localization/de')).status).toBe(204);
    expect((await call('DELETE', '/i18n/localization/de')).status).toBe(404);
    expect((await call('GET', '/i18n/localization/de')).body).toEqual({});
    const after = await loginPage(new TestBrowser(), authUrl('i18n', { ui_locales: 'de' }));
    expect(heading(after.html)).toBe('Bei Ihrem Konto anmelden');
  });

  it('a view-realm admin reads but may not change them (403)', async () => {
    const token = await passwordToken(server.baseUrl, 'i18n', 'viewer', 'viewer-password');
    const call = (m: string, p: string, b?: unknown) => adminCall(server.baseUrl, token, m, p, b);
    expect((await call('GET', '/i18n/localization/ja')).body).toEqual({
      loginAccountTitle: 'ようこそテストへ',
    });
    expect((await call('POST', '/i18n/localization/ja', { doLogIn: 'x' })).status).toBe(403);
    expect((await put(token, '/i18n/localization/ja/doLogIn', 'x')).status).toBe(403);
    expect((await call('DELETE', '/i18n/localization/ja')).status).toBe(403);
    const user = await passwordToken(server.baseUrl, 'i18n', 'alice', 'alice-password');
    expect((await adminCall(server.baseUrl, user, 'GET', '/i18n/localization')).status).toBe(403);
  });

  it('refuses bad input with an admin error body', async () => {
    const token = await passwordToken(server.baseUrl, 'i18n', 'manager', 'manager-password');
    const bad = await adminCall(server.baseUrl, token, 'POST', '/i18n/localization/de', {
      doLogIn: 5,
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toHaveProperty('errorMessage');
    const json = await fetch(`${server.baseUrl}/admin/realms/i18n/localization/de/doLogIn`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '"x"',
    });
    expect(json.status).toBe(400);
  });

  it('exports the texts with the realm', async () => {
    const kc = await masterAdmin(server.baseUrl);
    const exported = await adminCall(
      server.baseUrl,
      kc.accessToken!,
      'POST',
      '/i18n/partial-export',
    );
    expect((exported.body as { localizationTexts?: unknown }).localizationTexts).toEqual({
      ja: { loginAccountTitle: 'ようこそテストへ' },
    });
  });
});

describe('emails in the user locale (FreeMarkerEmailTemplateProvider)', () => {
  it("uses the user's locale attribute, else the realm's defaultLocale", async () => {
    const kc = await masterAdmin(server.baseUrl);
    const id = async (username: string) =>
      (await kc.users.find({ realm: 'i18nmail', username, exact: true }))[0].id!;
    const call = (p: string, body?: unknown) =>
      adminCall(server.baseUrl, kc.accessToken!, 'PUT', p, body);
    expect((await call(`/i18nmail/users/${await id('hans')}/send-verify-email`)).status).toBe(204);
    const german = await smtp.next('hans@example.org');
    expect(german.subject).toBe('E-Mail-Adresse bestätigen');
    expect(german.text).toContain('Mit dieser E-Mail-Adresse wurde ein Konto bei Mail Realm');
    expect(german.text).toContain('Dieser Link läuft in 12 Stunden ab.');
    expect(german.html).toContain('<html lang="de">');
    const eve = await id('eve');
    expect(
      (await call(`/i18nmail/users/${eve}/execute-actions-email`, ['UPDATE_PASSWORD'])).status,
    ).toBe(204);
    const french = await smtp.next('eve@example.org');
    expect(french.subject).toBe('Mettre à jour votre compte');
    expect(french.text).toContain('les actions suivantes : Changer le mot de passe.');
  });
});

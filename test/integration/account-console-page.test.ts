/**
 * The Account Console's server side without a browser: the page at `/realms/{realm}/account/`
 * and its deep links for a browser, the REST API kept for JSON callers (Keycloak's AccountLoader
 * split), the environment document of AccountConsole.getMainPage / the account theme's index.ftl,
 * the login-status iframe's same-origin rule (LoginStatusIframeEndpoint.preCheck adds the request's
 * own origin), and `kc_action` (Keycloak's application-initiated actions: the action's page for
 * the signed-in user, `kc_action_status=cancelled|success` and `kc_action` on the way back).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { PKCE_CHALLENGE } from '../helpers/authorization.ts';
import { CONSOLE_DIST } from '../../src/console/assets.ts';
import { hotp, keyOf } from '../helpers/otp.ts';

/**
 * A realm whose UPDATE_PASSWORD action has `max_auth_age` 0 (Keycloak's required action config,
 * Constants.MAX_AUTH_AGE_KEY; RequiredActionProvider.getMaxAuthAge): an AIA then needs a login
 * younger than this second (OIDCLoginProtocol.isReAuthRequiredForKcAction: authTime + 0 < now).
 */
const HOTP_SECRET = 'cmVhdXRoLWhvdHAtc2VjcmV0';
const REAUTH_REALM = {
  realm: 'reauth',
  requiredActions: [
    {
      alias: 'CONFIGURE_TOTP',
      name: 'Configure OTP',
      providerId: 'CONFIGURE_TOTP',
      enabled: true,
      priority: 10,
      config: {},
    },
    {
      alias: 'UPDATE_PASSWORD',
      name: 'Update Password',
      providerId: 'UPDATE_PASSWORD',
      enabled: true,
      priority: 30,
      config: { max_auth_age: '0' },
    },
  ],
  users: [
    { username: 'bob', enabled: true, credentials: [{ type: 'password', value: 'bob-password' }] },
    {
      username: 'carol',
      enabled: true,
      credentials: [
        { type: 'password', value: 'carol-password' },
        {
          type: 'otp',
          secretData: JSON.stringify({ value: HOTP_SECRET }),
          credentialData:
            '{"subType":"hotp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}',
        },
      ],
    },
  ],
};

const REALM = 'acme';
const built = existsSync(path.join(CONSOLE_DIST, '.vite', 'manifest.json'));
let server: TestServer;
let account: string;

function authUrl(extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    client_id: 'account-console',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${account}/`,
    code_challenge: PKCE_CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  });
  return `${server.baseUrl}/realms/${REALM}/protocol/openid-connect/auth?${query}`;
}

/** Follows same-origin redirects until a page is served or the client's redirect URI is reached. */
async function follow(browser: TestBrowser, url: string) {
  let current = url;
  let response = await browser.fetch(current);
  for (let i = 0; i < 10 && response.status >= 300 && response.status < 400; i += 1) {
    current = new URL(response.headers.get('location')!, current).toString();
    if (current.startsWith(`${account}/?`)) return { url: current, response: undefined };
    response = await browser.fetch(current);
  }
  return { url: current, response };
}

describe('account console page and kc_action', () => {
  beforeAll(async () => {
    server = await startServer({
      realms: [
        REAUTH_REALM,
        {
          realm: REALM,
          registrationEmailAsUsername: false,
          editUsernameAllowed: true,
          users: [
            {
              username: 'alice',
              enabled: true,
              email: 'alice@example.com',
              firstName: 'Alice',
              lastName: 'Liddell',
              credentials: [{ type: 'password', value: 'alice-pw' }],
              realmRoles: ['default-roles-acme'],
            },
          ],
        },
      ],
    });
    account = `${server.baseUrl}/realms/${REALM}/account`;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it.runIf(built)(
    'serves the console page with the environment document for a browser',
    async () => {
      for (const deep of ['/', '/account-security/signing-in']) {
        const res = await fetch(`${account}${deep}`, { headers: { accept: 'text/html' } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
        const html = await res.text();
        const json = /<script id="environment" type="application\/json">([^<]*)<\/script>/.exec(
          html,
        )?.[1];
        const env = JSON.parse(json!);
        // AccountConsole.getMainPage / index.ftl: authUrl with a trailing slash, baseUrl the console root.
        expect(env).toMatchObject({
          serverBaseUrl: server.baseUrl,
          authUrl: `${server.baseUrl}/`,
          realm: REALM,
          clientId: 'account-console',
          baseUrl: `${account}/`,
          locale: 'en',
          features: {
            isRegistrationEmailAsUsername: false,
            isEditUserNameAllowed: true,
            isLinkedAccountsEnabled: false,
            isMyResourcesEnabled: false,
            deleteAccountAllowed: false,
          },
        });
        expect(html).not.toMatch(/(src|href)="https?:/);
      }
      const bare = await fetch(account, { headers: { accept: 'text/html' }, redirect: 'manual' });
      expect([bare.status, bare.headers.get('location')]).toEqual([
        302,
        `/realms/${REALM}/account/`,
      ]);
    },
  );

  it('keeps the REST API for a JSON caller', async () => {
    const res = await fetch(`${account}/`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'HTTP 401 Unauthorized' });
  });

  it('login-status iframe init: the server origin is valid for an existing client only', async () => {
    const init = (clientId: string, origin: string) =>
      fetch(
        `${server.baseUrl}/realms/${REALM}/protocol/openid-connect/login-status-iframe.html/init?${new URLSearchParams({ client_id: clientId, origin })}`,
      ).then((r) => r.status);
    expect(await init('account-console', server.baseUrl)).toBe(204);
    expect(await init('account-console', 'https://evil.example')).toBe(403);
    expect(await init('no-such-client', server.baseUrl)).toBe(403);
  });

  it('kc_action runs the action for the signed-in user and returns kc_action_status', async () => {
    const browser = new TestBrowser();
    const login = await signIn(browser, authUrl(), server.baseUrl, 'alice', 'alice-pw');
    expect(new URL(login.url).searchParams.get('code')).toBeTruthy();

    // UPDATE_PASSWORD without a password step: the action's page, then cancel.
    const aia = await follow(browser, authUrl({ kc_action: 'UPDATE_PASSWORD' }));
    expect(aia.response?.status).toBe(200);
    const page = await aia.response!.text();
    expect(page).toContain('required-action/UPDATE_PASSWORD');
    expect(page).not.toContain('kc-form-login');
    const abort = new URL('abort', `${aia.url.replace(/\/?$/, '/')}`).toString();
    const cancelled = await follow(browser, abort);
    const back = new URL(cancelled.url).searchParams;
    expect([back.get('kc_action_status'), back.get('kc_action')]).toEqual([
      'cancelled',
      'UPDATE_PASSWORD',
    ]);
    expect(back.get('code')).toBeTruthy();

    // CONFIGURE_TOTP shows the enrolment page.
    const totp = await follow(browser, authUrl({ kc_action: 'CONFIGURE_TOTP' }));
    expect(await totp.response!.text()).toContain('kc-totp-settings-form');

    // An alias this server does not run is ignored: straight back, no status.
    const other = await follow(browser, authUrl({ kc_action: 'delete_account' }));
    const plain = new URL(other.url).searchParams;
    expect(plain.get('code')).toBeTruthy();
    expect(plain.has('kc_action_status')).toBe(false);
  });

  describe('kc_action after max_auth_age (re-authentication)', () => {
    const reauthAccount = () => `${server.baseUrl}/realms/reauth/account/`;
    const reauthUrl = (extra: Record<string, string> = {}) =>
      authUrl(extra)
        .replace(`/realms/${REALM}/`, '/realms/reauth/')
        .replace(encodeURIComponent(`${account}/`), encodeURIComponent(reauthAccount()));
    const post = (browser: TestBrowser, url: string, form: Record<string, string>) =>
      browser.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
    const actionOf = (html: string, id: string) =>
      new URL(
        new RegExp(`<form id="${id}" action="([^"]+)"`).exec(html)![1].replace(/&amp;/g, '&'),
        server.baseUrl,
      ).toString();
    /** Opens the AIA once the login is older than max_auth_age 0 (a later second on the clock). */
    async function openAia(browser: TestBrowser, loginSecond: number) {
      await vi.waitFor(() => expect(Math.floor(Date.now() / 1000)).toBeGreaterThan(loginSecond), {
        timeout: 5_000,
        interval: 50,
      });
      let current = reauthUrl({ kc_action: 'UPDATE_PASSWORD' });
      let res = await browser.fetch(current);
      for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i += 1) {
        current = new URL(res.headers.get('location')!, current).toString();
        res = await browser.fetch(current);
      }
      return { url: current, res, html: await res.text() };
    }

    it('asks for the password before the new-password form, and refuses the form before it', async () => {
      const browser = new TestBrowser();
      const login = await signIn(browser, reauthUrl(), server.baseUrl, 'bob', 'bob-password');
      expect(new URL(login.url).searchParams.get('code')).toBeTruthy();
      const loginSecond = Math.floor(Date.now() / 1000);
      const aia = await openAia(browser, loginSecond);
      // Keycloak's login.ftl for the known user, with Messages.REAUTHENTICATE; not the action.
      expect(aia.html).toContain('kc-form-login');
      expect(aia.html).toContain('Please re-authenticate to continue');
      expect(aia.html).toContain('id="kc-attempted-username">bob<');
      expect(aia.html).not.toContain('password-new');
      // The action's form posted straight away changes nothing (the password page again).
      const base = aia.url.replace(/\/$/, '');
      const early = await post(browser, `${base}/required-action/UPDATE_PASSWORD`, {
        'password-new': 'hijacked-password-1',
        'password-confirm': 'hijacked-password-1',
      });
      expect(await early.text()).toContain('kc-form-login');
      // A wrong password: Keycloak's invalidUserMessage, still the password page.
      const wrong = await post(browser, actionOf(aia.html, 'kc-form-login'), { password: 'nope' });
      const wrongHtml = await wrong.text();
      expect(wrongHtml).toContain('Invalid username or password.');
      expect(wrongHtml).not.toContain('password-new');
      // The right one: the action's page, with resetPasswordMessage (not the activation text of
      // an admin's required action: FreeMarkerLoginFormsProvider isRequestedByAdmin).
      const right = await post(browser, actionOf(wrongHtml, 'kc-form-login'), {
        password: 'bob-password',
      });
      const page = await right.text();
      expect(page).toContain('kc-passwd-update-form');
      expect(page).toContain('You need to change your password.');
      expect(page).not.toContain('activate your account');
      // Cancel still returns kc_action_status=cancelled with a code.
      const cancelled = await browser.fetch(`${base}/abort`);
      const back = new URL(cancelled.headers.get('location')!, base);
      let to = back.toString();
      let res = cancelled;
      for (let i = 0; i < 10 && !to.startsWith(reauthAccount()); i += 1) {
        res = await browser.fetch(to);
        to = new URL(res.headers.get('location')!, to).toString();
      }
      const params = new URL(to).searchParams;
      expect([params.get('kc_action_status'), params.get('kc_action')]).toEqual([
        'cancelled',
        'UPDATE_PASSWORD',
      ]);
      // The early POST did not change the password.
      const again = await signIn(
        new TestBrowser(),
        reauthUrl(),
        server.baseUrl,
        'bob',
        'bob-password',
      );
      expect(new URL(again.url).searchParams.get('code')).toBeTruthy();
    });

    it('asks for the OTP code too when the user has one', async () => {
      const key = keyOf(HOTP_SECRET);
      const browser = new TestBrowser();
      const first = await signIn(browser, reauthUrl(), server.baseUrl, 'carol', 'carol-password');
      const otpDone = await post(browser, actionOf(first.page!, 'kc-otp-login-form'), {
        otp: hotp(key, 0),
      });
      expect(otpDone.status).toBe(303);
      // Follow the resume redirect: the session exists once the code is issued.
      let to = new URL(otpDone.headers.get('location')!, server.baseUrl).toString();
      for (let i = 0; i < 10 && !to.startsWith(reauthAccount()); i += 1) {
        const res = await browser.fetch(to);
        to = new URL(res.headers.get('location')!, to).toString();
      }
      expect(new URL(to).searchParams.get('code')).toBeTruthy();
      const loginSecond = Math.floor(Date.now() / 1000);
      const aia = await openAia(browser, loginSecond);
      expect(aia.html).toContain('kc-form-login');
      const pwd = await post(browser, actionOf(aia.html, 'kc-form-login'), {
        password: 'carol-password',
      });
      const otpPage = await pwd.text();
      expect(otpPage).toContain('kc-otp-login-form');
      expect(otpPage).not.toContain('password-new');
      const code = await post(browser, actionOf(otpPage, 'kc-otp-login-form'), {
        otp: hotp(key, 1),
      });
      expect(await code.text()).toContain('kc-passwd-update-form');
    });
  });
});

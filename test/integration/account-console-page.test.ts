/**
 * The Account Console's server side without a browser: the page at `/realms/{realm}/account/`
 * and its deep links for a browser, the REST API kept for JSON callers (Keycloak's AccountLoader
 * split), the environment document of AccountConsole.getMainPage / the account theme's index.ftl,
 * the login-status iframe's same-origin rule (LoginStatusIframeEndpoint.preCheck adds the request's
 * own origin), and `kc_action` (Keycloak's application-initiated actions: the action's page for
 * the signed-in user, `kc_action_status=cancelled|success` and `kc_action` on the way back).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { PKCE_CHALLENGE } from '../helpers/authorization.ts';
import { CONSOLE_DIST } from '../../src/console/assets.ts';

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
});

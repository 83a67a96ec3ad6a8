/**
 * The OIDC protocol and login side of issue 15, each finding reproduced through HTTP against a
 * running server (the test fails on commit b8503ba):
 * - wildcard redirect URIs (Keycloak RedirectUtils.verifyRedirectUri, stricter where noted in
 *   docs/protocol-security.md);
 * - `offline_access` refresh tokens need the `offline_access` role (Keycloak TokenManager,
 *   UserSessionManager.isOfflineTokenAllowed: 400 `not_allowed` "Offline tokens not allowed for the user or client");
 * - logout with someone else's `id_token_hint` asks first (OIDC RP-Initiated Logout 1.0 §2;
 *   Keycloak LogoutEndpoint: `forcedConfirmation` when the hint's session is not the browser's);
 * - the password grant answers an unknown, locked-out or service-account user as a wrong password;
 * - a user with an `otp` credential is refused (no silent 2FA downgrade);
 * - odd realm names and the bearer-only `realm-management` client get 4xx answers, not 500;
 * - the shipped master realm locks an account after Keycloak's default 30 failures.
 * Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { asJson } from '../helpers/json.ts';
import { FIXTURES, REPO, type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';

const GUARD = {
  realm: 'guard',
  bruteForceProtected: true,
  failureFactor: 2,
  waitIncrementSeconds: 600,
  maxFailureWaitSeconds: 600,
  // The default role without `offline_access`: users hold it only when mapped to it.
  roles: { realm: [{ name: 'default-roles-guard', composite: true, composites: { realm: [] } }] },
  clients: [
    // No pkce.code.challenge.method: as in Keycloak, PKCE is then optional for this client.
    {
      clientId: 'wild',
      publicClient: true,
      redirectUris: ['http://localhost:4000*'],
      directAccessGrantsEnabled: true,
      attributes: { 'post.logout.redirect.uris': '+' },
    },
    {
      clientId: 'app',
      publicClient: true,
      redirectUris: [
        'http://localhost:4001/app/*',
        'http://127.0.0.1/native',
        'com.example.app:/oauth2redirect',
        'http://localhost:4002/exact?x=1',
      ],
      directAccessGrantsEnabled: true,
    },
    {
      clientId: 'svc',
      secret: 'svc-secret',
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
    },
    {
      clientId: 'tv',
      publicClient: true,
      standardFlowEnabled: false,
      attributes: { 'oauth2.device.authorization.grant.enabled': 'true' },
    },
  ],
  users: [
    { username: 'plain', credentials: [{ value: 'plain-pw' }] },
    {
      username: 'offliner',
      credentials: [{ value: 'offliner-pw' }],
      realmRoles: ['offline_access'],
    },
    { username: 'victim', credentials: [{ value: 'victim-pw' }] },
    { username: 'attacker', credentials: [{ value: 'attacker-pw' }] },
    { username: 'lockme', credentials: [{ value: 'lockme-pw' }] },
    // Written by hand: an otp credential and no `totp` flag (Keycloak's exports carry both).
    {
      username: 'twofactor',
      credentials: [
        { value: 'twofactor-pw' },
        {
          type: 'otp',
          secretData: '{"value":"4Jn5HLu96t4oxRTVNO8u"}',
          credentialData:
            '{"subType":"totp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}',
        },
      ],
    },
  ],
};
const REALMS = [
  path.join(REPO, 'realms', 'master.json'),
  path.join(FIXTURES, 'adaptive-authn-adaptive-kc26.5.7.json'),
];
const INVALID = { error: 'invalid_grant', error_description: 'Invalid user credentials' };

const stores = await testStores();

describe.each(stores)('protocol security on $name', (store) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startStoreServer(store, { master: false, realmFiles: REALMS, realms: [GUARD] });
  }, 60_000);
  afterAll(() => server?.close());

  const P = (realm: string) => `${server.baseUrl}/realms/${realm}/protocol/openid-connect`;
  const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });
  const passwordGrant = async (
    realm: string,
    clientId: string,
    username: string,
    password: string,
    scope = 'openid',
  ) => {
    const res = await post(`${P(realm)}/token`, {
      grant_type: 'password',
      client_id: clientId,
      username,
      password,
      scope,
    });
    return { status: res.status, body: await res.json().then(asJson) };
  };
  const authUrl = (clientId: string, redirectUri: string, extra: Record<string, string> = {}) =>
    `${P('guard')}/auth?${new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: redirectUri, ...extra })}`;
  /** The authorization endpoint's first answer for a redirect URI (no login yet). */
  const authorize = (clientId: string, redirectUri: string) =>
    fetch(authUrl(clientId, redirectUri), { redirect: 'manual', headers: { accept: 'text/html' } });

  describe('redirect URIs (Keycloak RedirectUtils, stricter where documented)', () => {
    it('a `*` right after the port is a path wildcard: userinfo, other hosts and ports are refused with 400', async () => {
      for (const evil of [
        'http://localhost:4000@evil.example/cb',
        'http://localhost:4000:x@evil.example/cb',
        'http://localhost:4000.evil.example/cb',
        'http://localhost:40001/cb',
        'https://localhost:4000/cb',
      ]) {
        const res = await authorize('wild', evil);
        expect(res.status, evil).toBe(400);
        expect(res.headers.get('location'), evil).toBeNull();
        expect(await res.text(), evil).toContain('Invalid parameter: redirect_uri');
      }
    });

    it('no fragment, no dot segments, no backslash, no OIDC response parameter in the query; malformed is 400, not 500', async () => {
      for (const bad of [
        'http://localhost:4000/cb#frag',
        'http://localhost:4000/cb/../../x',
        'http://localhost:4000/./cb',
        'http://localhost:4000/%2e%2e/x',
        'http://localhost:4000\\@evil.example/',
        'http://localhost:4000/cb?code=stolen',
        'http://localhost:4000/cb?state=x',
        'http://[::1',
        'http://',
        '::::',
        'http://localhost:4000/\u0000',
        `http://localhost:4000/${'a'.repeat(5000)}%`,
      ]) {
        const res = await authorize('wild', bad);
        expect(res.status, bad).toBe(400);
        expect(res.headers.get('location'), bad).toBeNull();
      }
      for (const bad of [
        'http://localhost:4001/app/../admin',
        'http://localhost:4001/app/%2E%2E/admin',
        'http://localhost:4001/application',
      ]) {
        expect((await authorize('app', bad)).status, bad).toBe(400);
      }
    });

    it('what Keycloak allows still works: path wildcard, the wildcard\'s base without "/", queries, loopback ports, custom schemes, exact with query', async () => {
      for (const [clientId, good] of [
        ['wild', 'http://localhost:4000/cb'],
        ['wild', 'http://localhost:4000'],
        ['wild', 'http://LOCALHOST:4000/cb?x=1'],
        ['app', 'http://localhost:4001/app'],
        ['app', 'http://localhost:4001/app/x/y?z=1'],
        ['app', 'http://127.0.0.1:53123/native'],
        ['app', 'com.example.app:/oauth2redirect'],
        ['app', 'http://localhost:4002/exact?x=1'],
      ]) {
        const res = await authorize(clientId, good);
        expect(res.status, good).toBe(303);
        expect(res.headers.get('location'), good).toContain('/login-actions/');
      }
      expect((await authorize('app', 'http://localhost:4002/exact?x=2')).status).toBe(400);
      expect((await authorize('app', 'http://127.0.0.1:53123/other')).status).toBe(400);
    });

    it('the attack end to end: no code is ever sent to evil.example', async () => {
      const browser = new TestBrowser();
      const result = await signIn(
        browser,
        authUrl('wild', 'http://localhost:4000@evil.example/cb'),
        server.baseUrl,
        'victim',
        'victim-pw',
      ).catch(() => ({ url: 'no login form' }));
      expect(result.url).not.toContain('evil.example');
    });
  });

  describe('offline_access needs the offline_access role (Keycloak TokenManager)', () => {
    const NOT_ALLOWED = {
      error: 'not_allowed',
      error_description: 'Offline tokens not allowed for the user or client',
    };

    it('password grant: refused for a user without the role, an Offline token for one with it', async () => {
      expect(
        await passwordGrant('guard', 'wild', 'plain', 'plain-pw', 'openid offline_access'),
      ).toEqual({ status: 400, body: NOT_ALLOWED });
      const ok = await passwordGrant(
        'guard',
        'wild',
        'offliner',
        'offliner-pw',
        'openid offline_access',
      );
      expect(ok.status).toBe(200);
      expect(decodeJwt(ok.body.refresh_token).typ).toBe('Offline');
      // Without offline_access the user gets an ordinary refresh token.
      const online = await passwordGrant('guard', 'wild', 'plain', 'plain-pw');
      expect(online.status).toBe(200);
      expect(decodeJwt(online.body.refresh_token).typ).toBe('Refresh');
    });

    it('code flow: the code exchange is refused for a user without the role', async () => {
      const codeFor = async (username: string, password: string) => {
        const done = await signIn(
          new TestBrowser(),
          authUrl('app', 'http://localhost:4001/app/cb', {
            scope: 'openid offline_access',
            prompt: 'consent',
          }),
          server.baseUrl,
          username,
          password,
        );
        const code = new URL(done.url).searchParams.get('code');
        expect(code, done.url).toBeTruthy();
        return post(`${P('guard')}/token`, {
          grant_type: 'authorization_code',
          client_id: 'app',
          code: code!,
          redirect_uri: 'http://localhost:4001/app/cb',
        });
      };
      const refused = await codeFor('plain', 'plain-pw');
      expect({ status: refused.status, body: await refused.json() }).toEqual({
        status: 400,
        body: NOT_ALLOWED,
      });
      const allowed = await codeFor('offliner', 'offliner-pw');
      const body = asJson(await allowed.json());
      expect(allowed.status, JSON.stringify(body)).toBe(200);
      expect(decodeJwt(body.refresh_token).typ).toBe('Offline');
    });
  });

  describe('offline_access in the device flow (RFC 8628)', () => {
    it('the device code exchange is refused for a user without the role', async () => {
      const deviceToken = async (username: string, password: string) => {
        const device = asJson(
          await (
            await post(`${P('guard')}/auth/device`, {
              client_id: 'tv',
              scope: 'openid offline_access',
            })
          ).json(),
        );
        const browser = new TestBrowser();
        const form = { 'content-type': 'application/x-www-form-urlencoded' };
        const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)![1];
        const input = await (await browser.fetch(device.verification_uri)).text();
        const confirmPage = await (
          await browser.fetch(device.verification_uri, {
            method: 'POST',
            headers: form,
            body: new URLSearchParams({ xsrf: xsrfOf(input), user_code: device.user_code }),
          })
        ).text();
        const confirmed = await browser.fetch(device.verification_uri, {
          method: 'POST',
          headers: form,
          body: new URLSearchParams({
            xsrf: xsrfOf(confirmPage),
            user_code: device.user_code,
            confirm: 'yes',
          }),
        });
        const login = await signIn(
          browser,
          new URL(confirmed.headers.get('location')!, device.verification_uri).toString(),
          server.baseUrl,
          username,
          password,
        );
        expect(login.page).toContain('Device Login Successful');
        const res = await post(`${P('guard')}/token`, {
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          client_id: 'tv',
          device_code: device.device_code,
        });
        return { status: res.status, body: asJson(await res.json()) };
      };
      expect(await deviceToken('plain', 'plain-pw')).toEqual({
        status: 400,
        body: {
          error: 'not_allowed',
          error_description: 'Offline tokens not allowed for the user or client',
        },
      });
      const allowed = await deviceToken('offliner', 'offliner-pw');
      expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
      expect(decodeJwt(allowed.body.refresh_token).typ).toBe('Offline');
    });
  });

  describe('logout with id_token_hint (RP-Initiated Logout 1.0 §2, Keycloak LogoutEndpoint)', () => {
    const signedIn = async (username: string, password: string) => {
      const browser = new TestBrowser();
      const done = await signIn(
        browser,
        authUrl('wild', 'http://localhost:4000/cb'),
        server.baseUrl,
        username,
        password,
      );
      const code = new URL(done.url).searchParams.get('code')!;
      const tokens = asJson(
        await (
          await post(`${P('guard')}/token`, {
            grant_type: 'authorization_code',
            client_id: 'wild',
            code,
            redirect_uri: 'http://localhost:4000/cb',
          })
        ).json(),
      );
      return { browser, idToken: tokens.id_token as string };
    };
    const logoutPage = async (browser: TestBrowser, idToken: string) =>
      (
        await browser.fetch(
          `${P('guard')}/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'http://localhost:4000/' })}`,
        )
      ).text();

    it("someone else's hint: the victim is asked, and stays signed in until they confirm", async () => {
      const victim = await signedIn('victim', 'victim-pw');
      const attacker = await signedIn('attacker', 'attacker-pw');
      const page = await logoutPage(victim.browser, attacker.idToken);
      expect(page).toContain('Do you want to log out?');
      expect(page).not.toContain('logout.js');
      // The victim's session is still there: a new authorization request needs no password.
      const sso = await victim.browser.follow(
        authUrl('wild', 'http://localhost:4000/cb'),
        server.baseUrl,
      );
      expect(new URL(sso.url).searchParams.get('code')).toBeTruthy();
    });

    it('the own hint: no question, as in Keycloak', async () => {
      const me = await signedIn('victim', 'victim-pw');
      const page = await logoutPage(me.browser, me.idToken);
      expect(page).toContain('You are being signed out.');
      expect(page).toContain('<script src="/resources/logout.js"></script>');
    });
  });

  describe('the password grant does not tell which accounts exist', () => {
    it('unknown, wrong password, service account and locked out: the same status and body', async () => {
      const wrong = await passwordGrant('guard', 'wild', 'plain', 'not-it');
      expect(wrong).toEqual({ status: 401, body: INVALID });
      expect(await passwordGrant('guard', 'wild', 'no-such-user', 'x')).toEqual(wrong);
      expect(await passwordGrant('guard', 'wild', 'service-account-svc', 'x')).toEqual(wrong);
      for (let i = 0; i < 2; i += 1)
        expect(await passwordGrant('guard', 'wild', 'lockme', 'bad')).toEqual(wrong);
      expect(await passwordGrant('guard', 'wild', 'lockme', 'lockme-pw')).toEqual(wrong);
    });
  });

  describe('a user with an otp credential needs the code: the password alone never logs in', () => {
    it("password grant: no `totp` is Keycloak's ValidateOTP 401; a wrong password still gets the generic answer", async () => {
      expect(await passwordGrant('adaptive', 'admin-cli', 'user', 'user')).toEqual({
        status: 401,
        body: INVALID,
      });
      expect(await passwordGrant('adaptive', 'admin-cli', 'user', 'wrong')).toEqual({
        status: 401,
        body: INVALID,
      });
    });

    it('a hand-written realm file: the otp credential alone marks the user, on the login page and the password grant', async () => {
      const page = await signIn(
        new TestBrowser(),
        authUrl('wild', 'http://localhost:4000/cb'),
        server.baseUrl,
        'twofactor',
        'twofactor-pw',
      );
      expect(page.url).not.toContain('code=');
      expect(page.page).toContain('name="otp"');
      expect(await passwordGrant('guard', 'wild', 'twofactor', 'twofactor-pw')).toEqual({
        status: 401,
        body: INVALID,
      });
    });

    it("the admin API shows the flag (Keycloak's `totp`), and an update of the user keeps it", async () => {
      const admin = (await passwordGrant('master', 'admin-cli', 'admin', 'admin-test-password'))
        .body.access_token as string;
      const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
      const [user] = asJson(
        await (
          await fetch(`${server.baseUrl}/admin/realms/guard/users?username=twofactor&exact=true`, {
            headers,
          })
        ).json(),
      );
      expect(user.totp).toBe(true);
      const put = await fetch(`${server.baseUrl}/admin/realms/guard/users/${user.id}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ ...user, firstName: 'Two', totp: false }),
      });
      expect(put.status).toBe(204);
      expect((await passwordGrant('guard', 'wild', 'twofactor', 'twofactor-pw')).status).toBe(401);
    });

    it('browser login (fixture, account-console with its ${authBaseUrl} rootUrl): the OTP page, and no code is issued', async () => {
      const url = `${P('adaptive')}/auth?${new URLSearchParams({ client_id: 'account-console', response_type: 'code', scope: 'openid', redirect_uri: `${server.baseUrl}/realms/adaptive/account/`, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`;
      const result = await signIn(new TestBrowser(), url, server.baseUrl, 'user', 'user');
      expect(result.url).not.toContain('code=');
      expect(result.page).toContain('One-time code');
    });
  });

  describe('odd realm names and bearer-only clients get 4xx answers', () => {
    it('NUL, invalid UTF-8, long and strange realm names', async () => {
      for (const name of [
        '%00',
        'a%00b',
        '%ff',
        '%c3%28',
        '%2e%2e',
        'a%2Fb',
        'x'.repeat(10_000),
        '%F0%9F%98%80',
      ]) {
        for (const rest of [
          '/x',
          '',
          '/protocol/openid-connect/certs',
          '/.well-known/openid-configuration',
        ]) {
          const res = await fetch(`${server.baseUrl}/realms/${name}${rest}`);
          expect(res.status, `${name.slice(0, 20)}${rest}`).toBeGreaterThanOrEqual(400);
          expect(res.status, `${name.slice(0, 20)}${rest}`).toBeLessThan(500);
        }
      }
      const admin = await fetch(`${server.baseUrl}/admin/realms/%00/users`);
      expect(admin.status).toBeLessThan(500);
    });

    it('client_credentials for realm-management (bearer-only, no secret): an unknown client, 401 invalid_client', async () => {
      const basic = (secret: string) => ({
        authorization: `Basic ${Buffer.from(`realm-management:${secret}`).toString('base64')}`,
      });
      const res = await post(
        `${P('guard')}/token`,
        { grant_type: 'client_credentials' },
        basic('x'),
      );
      expect({ status: res.status, body: await res.json() }).toEqual({
        status: 401,
        body: {
          error: 'invalid_client',
          error_description: 'Invalid client or Invalid client credentials',
        },
      });
      const empty = await post(
        `${P('guard')}/token`,
        { grant_type: 'client_credentials' },
        basic(''),
      );
      expect(empty.status).toBeGreaterThanOrEqual(400);
      expect(empty.status).toBeLessThan(500);
      const form = await post(`${P('guard')}/token`, {
        grant_type: 'client_credentials',
        client_id: 'realm-management',
        client_secret: 'x',
      });
      expect(form.status).toBeLessThan(500);
      const broker = await post(`${P('master')}/token`, {
        grant_type: 'client_credentials',
        client_id: 'broker',
      });
      expect(broker.status).toBeLessThan(500);
    });
  });

  describe('the shipped master realm', () => {
    it("locks an account after Keycloak's default failureFactor (30) failures, even for the right password", async () => {
      // A user of master other than the bootstrap admin (other tests log in as admin).
      const login = await passwordGrant('master', 'admin-cli', 'admin', 'admin-test-password');
      const token = login.body.access_token as string;
      const created = await fetch(`${server.baseUrl}/admin/realms/master/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          username: 'operator2',
          enabled: true,
          credentials: [{ type: 'password', value: 'operator2-pw', temporary: false }],
        }),
      });
      expect(created.status).toBe(201);
      expect((await passwordGrant('master', 'admin-cli', 'operator2', 'operator2-pw')).status).toBe(
        200,
      );
      for (let i = 0; i < 30; i += 1)
        expect((await passwordGrant('master', 'admin-cli', 'operator2', `guess-${i}`)).status).toBe(
          401,
        );
      expect(await passwordGrant('master', 'admin-cli', 'operator2', 'operator2-pw')).toEqual({
        status: 401,
        body: INVALID,
      });
      // The browser login answers it as a wrong password too.
      const page = await signIn(
        new TestBrowser(),
        `${P('master')}/auth?${new URLSearchParams({ client_id: 'security-admin-console', response_type: 'code', scope: 'openid', redirect_uri: `${server.baseUrl}/admin/master/console/`, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`,
        server.baseUrl,
        'operator2',
        'operator2-pw',
      );
      expect(page.page).toContain('Invalid username or password.');
    });

    it('sets per-IP limits on the login form and the token endpoint', async () => {
      const master = asJson(
        JSON.parse(readFileSync(path.join(REPO, 'realms', 'master.json'), 'utf8')),
      );
      expect(Number(master.attributes['qsign.rateLimit.login.perIp'])).toBeGreaterThan(0);
      expect(Number(master.attributes['qsign.rateLimit.token.perIp'])).toBeGreaterThan(0);
      expect(master).toMatchObject({
        bruteForceProtected: true,
        failureFactor: 30,
        waitIncrementSeconds: 60,
        maxFailureWaitSeconds: 900,
        maxDeltaTimeSeconds: 43200,
        permanentLockout: false,
      });
    });
  });
});

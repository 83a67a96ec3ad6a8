/**
 * Keycloak's session limits, with short realm settings (seconds): refresh_expires_in and the
 * refresh token's `exp` as Keycloak's TokenManager computes them from SessionExpirationUtils
 * (the earlier of the client session's idle and max timestamps), a password-grant refresh chain
 * that ends at ssoSessionMaxLifespan, the SSO cookie refused after ssoSessionIdleTimeout, remember
 * me (a persistent cookie and ssoSessionIdleTimeoutRememberMe; without it a browser-session
 * cookie), offline sessions (offlineSessionIdleTimeout, offlineSessionMaxLifespan), and `acr`
 * "1" after a login, "0" when the SSO cookie answered (Keycloak AcrProtocolMapper.getAcr).
 * Waits are for conditions (a session past its limit), never asserted durations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, formAction } from '../helpers/browser.ts';
import { until } from '../helpers/load.ts';

const CALLBACK = 'http://localhost:4000/cb';
const users = [
  {
    username: 'bob',
    enabled: true,
    realmRoles: ['offline_access'],
    credentials: [{ type: 'password', value: 'bob-password' }],
  },
];
const clients = [
  { clientId: 'cli', publicClient: true, directAccessGrantsEnabled: true },
  {
    clientId: 'cli-short',
    publicClient: true,
    directAccessGrantsEnabled: true,
    attributes: { 'client.session.idle.timeout': '2', 'client.session.max.lifespan': '1' },
  },
  { clientId: 'web', publicClient: true, redirectUris: ['http://localhost:4000/*'] },
];
let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [
      { realm: 'limits', ssoSessionIdleTimeout: 3, ssoSessionMaxLifespan: 5, clients, users },
      {
        realm: 'remember',
        rememberMe: true,
        ssoSessionIdleTimeout: 2,
        ssoSessionIdleTimeoutRememberMe: 600,
        ssoSessionMaxLifespan: 600,
        clients,
        users,
      },
      {
        realm: 'offline-long',
        ssoSessionMaxLifespan: 2,
        offlineSessionIdleTimeout: 3,
        clients,
        users,
      },
      {
        realm: 'offline',
        offlineSessionIdleTimeout: 4,
        offlineSessionMaxLifespanEnabled: true,
        offlineSessionMaxLifespan: 6,
        clients,
        users,
      },
    ],
  });
});
afterAll(async () => {
  await server?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Math.floor(Date.now() / 1000);

async function token(realm: string, form: Record<string, string>) {
  const res = await fetch(`${server.baseUrl}/realms/${realm}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const password = (realm: string, clientId = 'cli', scope = 'openid') =>
  token(realm, {
    grant_type: 'password',
    client_id: clientId,
    username: 'bob',
    password: 'bob-password',
    scope,
  });
const refresh = (realm: string, rt: unknown, clientId = 'cli') =>
  token(realm, { grant_type: 'refresh_token', client_id: clientId, refresh_token: String(rt) });

describe('refresh tokens', () => {
  it('an offline session refreshed within offlineSessionIdleTimeout outlives it (no max lifespan)', async () => {
    const first = await password('offline-long', 'cli', 'openid offline_access');
    expect(first.status).toBe(200);
    const start = Number(decodeJwt(String(first.body.refresh_token)).iat);
    await until(() => now() >= start + 2, 10_000);
    const second = await refresh('offline-long', first.body.refresh_token);
    expect(second.status).toBe(200);
    // Past start + 3 (the idle time, and the grant's first lifetime), refreshed in time: it goes on.
    await until(() => now() >= start + 4, 10_000);
    const third = await refresh('offline-long', second.body.refresh_token);
    expect(third.status).toBe(200);
  });

  it('refresh_expires_in is min(idle, remaining max); the chain ends at ssoSessionMaxLifespan', async () => {
    const first = await password('limits');
    expect(first.status).toBe(200);
    const loginTime = Number(decodeJwt(String(first.body.access_token)).iat);
    // Keycloak: exp = min(now + ssoSessionIdleTimeout (3), login + ssoSessionMaxLifespan (5)).
    expect(first.body.refresh_expires_in).toBe(3);
    let rt = first.body.refresh_token;
    // (Times are whole seconds: refresh in the second after login + 2, before exp = login + 3.)
    await until(() => now() >= loginTime + 2, 10_000);
    const second = await refresh('limits', rt);
    expect(second.status).toBe(200);
    const exp = Number(decodeJwt(String(second.body.refresh_token)).exp);
    expect(exp).toBeLessThanOrEqual(loginTime + 5);
    expect(second.body.refresh_expires_in).toBeLessThanOrEqual(3);
    rt = second.body.refresh_token;
    // Keep refreshing within the idle time until the max lifespan has passed.
    await until(() => now() >= exp, 10_000);
    const last = await refresh('limits', rt);
    expect(last.status).toBe(400);
    // (Keycloak's text is "Token is not active"; here the expired JWT is "Invalid refresh token".)
    expect(last.body.error).toBe('invalid_grant');
  });

  it('a refresh token unused for ssoSessionIdleTimeout is refused', async () => {
    const first = await password('limits');
    const exp = Number(decodeJwt(String(first.body.refresh_token)).exp);
    await until(() => now() > exp, 10_000);
    const late = await refresh('limits', first.body.refresh_token);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
  });

  it('client.session.idle.timeout and client.session.max.lifespan shorten the client session', async () => {
    const first = await password('limits', 'cli-short');
    // Keycloak: idle = client attribute (2), max = min(chain start + client max (1), login + 5).
    expect(first.body.refresh_expires_in).toBe(1);
  });

  it('offline tokens: offlineSessionIdleTimeout, and offlineSessionMaxLifespan when enabled', async () => {
    const first = await password('offline', 'cli', 'openid offline_access');
    expect(first.status).toBe(200);
    expect(decodeJwt(String(first.body.refresh_token)).typ).toBe('Offline');
    // min(now + offlineSessionIdleTimeout (4), start + offlineSessionMaxLifespan (6)).
    expect(first.body.refresh_expires_in).toBe(4);
    const start = Number(decodeJwt(String(first.body.refresh_token)).iat);
    await sleep(3_000);
    const second = await refresh('offline', first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(Number(decodeJwt(String(second.body.refresh_token)).exp)).toBeLessThanOrEqual(start + 6);
  });
});

const authUrl = (realm: string) =>
  `${server.baseUrl}/realms/${realm}/protocol/openid-connect/auth?${new URLSearchParams({
    client_id: 'web',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: CALLBACK,
  })}`;

/** The login form page, or the client redirect when the SSO cookie answered. */
async function authorize(browser: TestBrowser, realm: string) {
  const start = await browser.follow(authUrl(realm), server.baseUrl);
  return start.response ? { page: await start.response.text() } : { redirect: start.url };
}

async function login(browser: TestBrowser, page: string, rememberMe: boolean) {
  const form: Record<string, string> = { username: 'bob', password: 'bob-password' };
  if (rememberMe) form.rememberMe = 'on';
  const posted = await browser.fetch(formAction(page, server.baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  const done = await browser.follow(
    new URL(posted.headers.get('location')!, server.baseUrl).toString(),
    server.baseUrl,
  );
  return done.url;
}

async function codeTokens(realm: string, redirect: string) {
  return token(realm, {
    grant_type: 'authorization_code',
    client_id: 'web',
    code: new URL(redirect).searchParams.get('code')!,
    redirect_uri: CALLBACK,
  });
}

async function sessionCookie(browser: TestBrowser, realm: string) {
  const cookies = await browser.jar.getCookies(`${server.baseUrl}/realms/${realm}/`);
  return cookies.find((c) => c.key === 'KC_SESSION');
}

describe('browser sessions', () => {
  it('acr is "1" after the login and "0" from the SSO cookie; the cookie ends after the idle time', async () => {
    const browser = new TestBrowser();
    const first = await authorize(browser, 'limits');
    const redirect = await login(browser, first.page!, false);
    const fresh = await codeTokens('limits', redirect);
    expect(decodeJwt(String(fresh.body.access_token)).acr).toBe('1');
    const sso = await authorize(browser, 'limits');
    expect(sso.redirect).toBeDefined();
    const reused = await codeTokens('limits', sso.redirect!);
    expect(decodeJwt(String(reused.body.access_token)).acr).toBe('0');
    const exp = Number(decodeJwt(String(reused.body.refresh_token)).exp);
    // Idle past ssoSessionIdleTimeout (3 s): the login page again.
    await until(() => now() > exp + 1, 10_000);
    const after = await authorize(browser, 'limits');
    expect(after.page).toContain('kc-form-login');
  });

  it('remember me: the checkbox, a persistent cookie and ssoSessionIdleTimeoutRememberMe', async () => {
    const remembered = new TestBrowser();
    const plain = new TestBrowser();
    const page = await authorize(remembered, 'remember');
    expect(page.page).toContain('id="rememberMe"');
    expect((await authorize(new TestBrowser(), 'limits')).page).not.toContain('id="rememberMe"');
    await login(remembered, page.page!, true);
    await login(plain, (await authorize(plain, 'remember')).page!, false);
    const loggedIn = now();
    // Keycloak: a browser-session cookie without remember me, a persistent one with it.
    expect((await sessionCookie(plain, 'remember'))?.expires).toBe('Infinity');
    expect((await sessionCookie(remembered, 'remember'))?.expires).toBeInstanceOf(Date);
    // Past ssoSessionIdleTimeout (2 s), within ssoSessionIdleTimeoutRememberMe (600 s).
    await until(() => now() > loggedIn + 3, 10_000);
    expect((await authorize(plain, 'remember')).page).toContain('kc-form-login');
    expect((await authorize(remembered, 'remember')).redirect).toBeDefined();
  });
});

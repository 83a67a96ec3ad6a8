/// <reference lib="dom" />
/**
 * keycloak-js 26 in a real browser (Debian's Chromium, driven by playwright-core): a small SPA
 * logs in through our login page by its accessible names, reads its ML-DSA-65 token, refreshes
 * it, loads userinfo and the account profile, signs a second app in by silent check-sso (SSO),
 * and logs out. A screenshot of the login page is saved to test-results/login-page.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { decodeProtectedHeader } from 'jose';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { launchChromium, chromiumAvailable } from '../helpers/chromium.ts';

const available = chromiumAvailable('keycloak-js browser tests');

let server: TestServer;
let spa: http.Server;
let spaUrl = '';
let browser: Browser;

function serveSpa(idpUrl: string): http.Server {
  const files: Record<string, [string, string]> = {
    '/': [
      'text/html',
      readFileSync(path.join(REPO, 'test/e2e/spa/index.html'), 'utf8').replace(
        '<script type="module"',
        `<script>window.IDP_URL=${JSON.stringify(idpUrl)};window.IDP_REALM="e2e";</script><script type="module"`,
      ),
    ],
    '/app.js': [
      'application/javascript',
      readFileSync(path.join(REPO, 'test/e2e/spa/app.js'), 'utf8'),
    ],
    '/keycloak.js': [
      'application/javascript',
      readFileSync(path.join(REPO, 'node_modules/keycloak-js/lib/keycloak.js'), 'utf8'),
    ],
    '/silent-check-sso.html': [
      'text/html',
      readFileSync(path.join(REPO, 'test/e2e/spa/silent-check-sso.html'), 'utf8'),
    ],
  };
  return http.createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]];
    if (!file) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', file[0]);
    res.end(file[1]);
  });
}

beforeAll(async () => {
  if (!available) return;
  spa = http.createServer();
  await new Promise<void>((r) => spa.listen(0, '127.0.0.1', r));
  spaUrl = `http://127.0.0.1:${(spa.address() as AddressInfo).port}`;
  const realm = {
    realm: 'e2e',
    displayName: 'E2E Realm',
    defaultSignatureAlgorithm: 'ML-DSA-65',
    clients: ['spa', 'spa2'].map((clientId) => ({
      clientId,
      publicClient: true,
      redirectUris: [`${spaUrl}/*`],
      webOrigins: ['+'],
      attributes: { 'pkce.code.challenge.method': 'S256', 'post.logout.redirect.uris': '+' },
    })),
    users: [
      {
        username: 'alice',
        email: 'alice@example.com',
        firstName: 'Alice',
        lastName: 'Liddell',
        credentials: [{ value: 'alice' }],
        // The default role holds account/view-profile and manage-account: loadUserProfile's
        // account API needs the `account` audience they give the token (Keycloak's AccountLoader).
        realmRoles: ['offline_access', 'default-roles-e2e'],
      },
    ],
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qsign-e2e-')), 'e2e.json');
  writeFileSync(file, JSON.stringify(realm));
  server = await startServer({ realmFiles: [file] });
  const handler = serveSpa(server.baseUrl);
  spa.on('request', (req, res) => handler.emit('request', req, res));
  browser = await launchChromium([
    '--disable-quic',
    '--disable-component-update',
    '--disable-sync',
  ]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  spa?.close();
  await server?.close();
});

const state = (page: Page) =>
  page.evaluate(async () => {
    const w = window as unknown as {
      ready: Promise<boolean>;
      kc: {
        token?: string;
        refreshToken?: string;
        tokenParsed?: Record<string, unknown>;
        sessionId?: string;
      };
      initError?: string;
    };
    const authenticated = await w.ready;
    return {
      authenticated,
      token: w.kc.token,
      refreshToken: w.kc.refreshToken,
      tokenParsed: w.kc.tokenParsed,
      sessionId: w.kc.sessionId,
      initError: w.initError,
    };
  });

describe.skipIf(!available)('keycloak-js in Chromium', () => {
  it('logs in through the login page, refreshes, loads userinfo and profile, shares the session, logs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('requestfailed', (r) =>
      failures.push(`${r.method()} ${r.url()} ${r.failure()?.errorText}`),
    );
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') failures.push(`console: ${m.text()}`);
    });
    await page.goto(`${spaUrl}/?onLoad=login-required`);
    await page.getByLabel('Username or email').waitFor();
    mkdirSync(path.join(REPO, 'test-results'), { recursive: true });
    await page.screenshot({
      path: path.join(REPO, 'test-results', 'login-page.png'),
      fullPage: true,
    });
    expect(await page.title()).toBe('Sign in to E2E Realm');
    await page.getByLabel('Username or email').fill('alice');
    await page.getByLabel('Password').fill('alice');
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.waitForURL(`${spaUrl}/**`);
    const signedIn = await state(page);
    expect(signedIn.initError, failures.join('\n')).toBeUndefined();
    expect(signedIn.authenticated).toBe(true);
    expect(decodeProtectedHeader(signedIn.token!).alg).toBe('ML-DSA-65');
    expect(signedIn.tokenParsed).toMatchObject({
      preferred_username: 'alice',
      azp: 'spa',
      typ: 'Bearer',
      realm_access: { roles: expect.arrayContaining(['offline_access']) },
    });
    expect(signedIn.sessionId).toEqual(expect.any(String));
    expect(await page.locator('#status').textContent()).toBe('signed in as alice');

    const refreshed = await page.evaluate(async () => {
      const kc = (
        window as unknown as { kc: { updateToken(s: number): Promise<boolean>; token?: string } }
      ).kc;
      const before = kc.token;
      const done = await kc.updateToken(-1);
      return { done, changed: kc.token !== before };
    });
    expect(refreshed).toEqual({ done: true, changed: true });

    const loaded = await page.evaluate(async () => {
      const kc = (
        window as unknown as {
          kc: {
            loadUserInfo(): Promise<Record<string, unknown>>;
            loadUserProfile(): Promise<Record<string, unknown>>;
          };
        }
      ).kc;
      return { info: await kc.loadUserInfo(), profile: await kc.loadUserProfile() };
    });
    expect(loaded.info).toMatchObject({ preferred_username: 'alice', email: 'alice@example.com' });
    expect(loaded.profile).toMatchObject({
      username: 'alice',
      firstName: 'Alice',
      lastName: 'Liddell',
      email: 'alice@example.com',
    });

    // A second app of the realm: silent check-sso through an iframe signs it in without a password.
    const second = await context.newPage();
    const log2: string[] = [];
    second.on('console', (m) => log2.push(`console ${m.type()}: ${m.text()}`));
    second.on('framenavigated', (f) => log2.push(`nav: ${f.url()}`));
    await second.goto(`${spaUrl}/?onLoad=check-sso&client=spa2`);
    const sso = await state(second);
    expect(sso.initError).toBeUndefined();
    expect(sso.authenticated, log2.join('\n')).toBe(true);
    expect(sso.tokenParsed).toMatchObject({ azp: 'spa2', preferred_username: 'alice' });

    // Logout with id_token_hint and post_logout_redirect_uri: back to the app, session gone for all apps.
    await page.evaluate(() =>
      (
        window as unknown as { kc: { logout(o: { redirectUri: string }): Promise<void> } }
      ).kc.logout({ redirectUri: `${location.origin}/?onLoad=check-sso` }),
    );
    await page.waitForURL(`${spaUrl}/?onLoad=check-sso**`);
    expect((await state(page)).authenticated).toBe(false);
    const third = await context.newPage();
    await third.goto(`${spaUrl}/?onLoad=check-sso&client=spa2`);
    expect((await state(third)).authenticated).toBe(false);
    await context.close();
  });

  it('check-sso without a session answers login_required; an unregistered post_logout_redirect_uri is refused', async () => {
    const auth = new URL(`${server.baseUrl}/realms/e2e/protocol/openid-connect/auth`);
    auth.search = new URLSearchParams({
      client_id: 'spa',
      response_type: 'code',
      scope: 'openid',
      prompt: 'none',
      redirect_uri: `${spaUrl}/cb`,
      state: 's',
      code_challenge: 'A'.repeat(43),
      code_challenge_method: 'S256',
    }).toString();
    const res = await fetch(auth, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('login_required');
    expect(back.searchParams.get('iss')).toBe(`${server.baseUrl}/realms/e2e`);
    const logout = await fetch(
      `${server.baseUrl}/realms/e2e/protocol/openid-connect/logout?client_id=spa&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`,
      { headers: { accept: 'text/html' }, redirect: 'manual' },
    );
    expect(logout.status).toBe(400);
    expect(logout.headers.get('location')).toBeNull();
  });

  it("the session iframe answers only to the client's web origins", async () => {
    const ok = await fetch(
      `${server.baseUrl}/realms/e2e/protocol/openid-connect/login-status-iframe.html/init?client_id=spa&origin=${encodeURIComponent(spaUrl)}`,
    );
    expect(ok.status).toBe(204);
    const bad = await fetch(
      `${server.baseUrl}/realms/e2e/protocol/openid-connect/login-status-iframe.html/init?client_id=spa&origin=${encodeURIComponent('https://evil.example')}`,
    );
    expect(bad.status).toBe(403);
    // The actual CORS request from an origin outside webOrigins gets no CORS headers (so the browser hides the answer).
    const foreign = await fetch(`${server.baseUrl}/realms/e2e/protocol/openid-connect/token`, {
      method: 'POST',
      headers: {
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'spa',
        refresh_token: 'x.y.z',
      }),
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const own = await fetch(`${server.baseUrl}/realms/e2e/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { origin: spaUrl, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'spa',
        refresh_token: 'x.y.z',
      }),
    });
    expect(own.headers.get('access-control-allow-origin')).toBe(spaUrl);
  });
});

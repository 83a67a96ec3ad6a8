/**
 * The consent screen of clients with `consentRequired` (Keycloak login-oauth-grant.ftl, its
 * messages_en.properties texts), stored consents and their admin API
 * (@keycloak/keycloak-admin-client users.listConsents / revokeConsent, Keycloak UserResource
 * shapes), `prompt=consent`, and `offline_access` through `prompt=consent` without the loop back
 * to the login page. A real browser (Debian Chromium) takes the screenshot
 * test-results/consent-page.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { chromium } from 'playwright-core';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { REQUIRE_ALL } from '../helpers/components.ts';
import { TestBrowser, formAction } from '../helpers/browser.ts';

const CALLBACK = 'http://localhost:4000/cb';
let server: TestServer;
let userId = '';

beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [
      {
        realm: 'consent',
        clients: [
          {
            clientId: 'needs-consent',
            name: 'Photo Printer',
            publicClient: true,
            consentRequired: true,
            redirectUris: ['http://localhost:4000/*'],
          },
          { clientId: 'plain', publicClient: true, redirectUris: ['http://localhost:4000/*'] },
        ],
        users: [
          {
            username: 'alice',
            enabled: true,
            realmRoles: ['offline_access'],
            credentials: [{ type: 'password', value: 'alice-password' }],
          },
        ],
      },
    ],
  });
  const kc = await masterAdmin(server.baseUrl);
  kc.setConfig({ realmName: 'consent' });
  userId = (await kc.users.find({ username: 'alice', exact: true }))[0].id!;
});
afterAll(async () => {
  await server?.close();
});

const authUrl = (clientId: string, extra: Record<string, string> = {}) =>
  `${server.baseUrl}/realms/consent/protocol/openid-connect/auth?${new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: CALLBACK,
    ...extra,
  })}`;

/** Follows the flow from `url`; answers the login form, returns the page or the client redirect. */
async function run(browser: TestBrowser, url: string) {
  let current = await browser.follow(url, server.baseUrl);
  if (current.response) {
    const html = await current.response.text();
    if (!html.includes('kc-form-login')) return { url: current.url, html };
    const posted = await browser.fetch(formAction(html, server.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'alice', password: 'alice-password' }),
    });
    expect(posted.status).toBe(303);
    current = await browser.follow(
      new URL(posted.headers.get('location')!, server.baseUrl).toString(),
      server.baseUrl,
    );
    if (current.response) return { url: current.url, html: await current.response.text() };
  }
  return { url: current.url, html: undefined };
}

async function answerConsent(browser: TestBrowser, html: string, button: 'accept' | 'cancel') {
  const action = /<form id="kc-form-consent" action="([^"]+)"/
    .exec(html)![1]
    .replace(/&amp;/g, '&');
  const posted = await browser.fetch(new URL(action, server.baseUrl).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ [button]: button === 'accept' ? 'yes' : 'no' }),
  });
  expect(posted.status).toBe(303);
  return browser.follow(
    new URL(posted.headers.get('location')!, server.baseUrl).toString(),
    server.baseUrl,
  );
}

const listedScopes = (html: string) =>
  [...html.matchAll(/<li><span>([^<]*)<\/span><\/li>/g)].map((m) => m[1]);

async function exchange(code: string, clientId: string) {
  const res = await fetch(`${server.baseUrl}/realms/consent/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      redirect_uri: CALLBACK,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('consent', () => {
  it('asks once for the client scopes, stores the consent, asks again for a new scope', async () => {
    const browser = new TestBrowser();
    const first = await run(browser, authUrl('needs-consent'));
    // Keycloak's texts: oauthGrantTitle, oauthGrantRequest, the built-in scopes' consent texts
    // (default client scopes profile, email, roles; web-origins, acr and basic are not displayed).
    expect(first.html).toContain('Grant Access to Photo Printer');
    expect(first.html).toContain('Do you grant these access privileges?');
    expect(listedScopes(first.html!).sort()).toEqual(
      ['Email address', 'User profile', 'User roles'].sort(),
    );
    const done = await answerConsent(browser, first.html!, 'accept');
    const code = new URL(done.url).searchParams.get('code');
    expect(code).toBeTruthy();
    expect((await exchange(code!, 'needs-consent')).status).toBe(200);

    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'consent' });
    const consents = await kc.users.listConsents({ id: userId });
    expect(consents).toEqual([
      {
        clientId: 'needs-consent',
        grantedClientScopes: ['email', 'profile', 'roles'],
        createdDate: expect.any(Number),
        lastUpdatedDate: expect.any(Number),
        additionalGrants: [],
      },
    ]);

    // A new browser (a new login): the same scopes ask nothing.
    const again = await run(new TestBrowser(), authUrl('needs-consent'));
    expect(new URL(again.url).searchParams.get('code')).toBeTruthy();

    // An optional scope not granted yet: only it is asked for.
    const phone = await run(new TestBrowser(), authUrl('needs-consent', { scope: 'openid phone' }));
    expect(listedScopes(phone.html!)).toEqual(['Phone number']);
  });

  it('prompt=consent shows the screen even with a stored consent', async () => {
    const browser = new TestBrowser();
    const first = await run(browser, authUrl('needs-consent'));
    if (first.html) await answerConsent(browser, first.html, 'accept');
    const asked = await run(browser, authUrl('needs-consent', { prompt: 'consent' }));
    expect(asked.html).toContain('Do you grant these access privileges?');
    expect(listedScopes(asked.html!)).toContain('User profile');
  });

  it('No answers the client access_denied and stores nothing', async () => {
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'consent' });
    await kc.users.revokeConsent({ id: userId, clientId: 'needs-consent' }).catch(() => undefined);
    const browser = new TestBrowser();
    const page = await run(browser, authUrl('needs-consent', { state: 's1' }));
    const denied = await answerConsent(browser, page.html!, 'cancel');
    const params = new URL(denied.url).searchParams;
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe('s1');
    expect(await kc.users.listConsents({ id: userId })).toEqual([]);
  });

  it('revokeConsent removes the consent: the next login asks again; a second revoke is 404', async () => {
    const browser = new TestBrowser();
    const page = await run(browser, authUrl('needs-consent'));
    await answerConsent(browser, page.html!, 'accept');
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'consent' });
    await kc.users.revokeConsent({ id: userId, clientId: 'needs-consent' });
    expect(await kc.users.listConsents({ id: userId })).toEqual([]);
    const asked = await run(new TestBrowser(), authUrl('needs-consent'));
    expect(asked.html).toContain('Do you grant these access privileges?');
    // Keycloak UserResource.revokeConsent: 404 "Consent nor offline token not found".
    const res = await fetch(
      `${server.baseUrl}/admin/realms/consent/users/${userId}/consents/needs-consent`,
      { method: 'DELETE', headers: { authorization: `Bearer ${await kc.getAccessToken()}` } },
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Consent nor offline token not found' });
  });

  it('offline_access with prompt=consent on a client without consent: tokens, no loop', async () => {
    const browser = new TestBrowser();
    const done = await run(
      browser,
      authUrl('plain', { scope: 'openid offline_access', prompt: 'consent' }),
    );
    const code = new URL(done.url).searchParams.get('code');
    expect(done.url.startsWith(CALLBACK)).toBe(true);
    const tokens = await exchange(code!, 'plain');
    expect(tokens.status).toBe(200);
    expect(decodeJwt(String(tokens.body.refresh_token)).typ).toBe('Offline');
    // With the SSO cookie, again: answered without any page (before the fix, the login page was
    // shown again at every such request).
    const sso = await browser.follow(
      authUrl('plain', { scope: 'openid offline_access', prompt: 'consent' }),
      server.baseUrl,
    );
    expect(sso.response).toBeUndefined();
    expect(new URL(sso.url).searchParams.get('code')).toBeTruthy();
  });

  it('offline_access on a consent client is listed on the screen ("Offline Access")', async () => {
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'consent' });
    await kc.users.revokeConsent({ id: userId, clientId: 'needs-consent' }).catch(() => undefined);
    const browser = new TestBrowser();
    const page = await run(
      browser,
      authUrl('needs-consent', { scope: 'openid offline_access', prompt: 'consent' }),
    );
    expect(listedScopes(page.html!)).toContain('Offline Access');
    const done = await answerConsent(browser, page.html!, 'accept');
    const tokens = await exchange(new URL(done.url).searchParams.get('code')!, 'needs-consent');
    expect(decodeJwt(String(tokens.body.refresh_token)).typ).toBe('Offline');
    const [consent] = await kc.users.listConsents({ id: userId });
    expect(consent.grantedClientScopes).toContain('offline_access');
  });
});

const CHROMIUM = '/usr/bin/chromium';
describe.skipIf(!existsSync(CHROMIUM) && !REQUIRE_ALL)('consent page in Chromium', () => {
  it('renders the screen (screenshot test-results/consent-page.png) and Yes returns a code', async () => {
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'consent' });
    await kc.users.revokeConsent({ id: userId, clientId: 'needs-consent' }).catch(() => undefined);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      let callback = '';
      await page.route('http://localhost:4000/**', async (route) => {
        callback = route.request().url();
        await route.fulfill({ status: 200, body: 'ok' });
      });
      await page.goto(authUrl('needs-consent'));
      await page.fill('#username', 'alice');
      await page.fill('#password', 'alice-password');
      await page.click('#kc-login');
      await page.waitForSelector('#kc-oauth-scopes');
      mkdirSync(path.join(REPO, 'test-results'), { recursive: true });
      await page.screenshot({ path: path.join(REPO, 'test-results', 'consent-page.png') });
      expect(await page.textContent('h1')).toBe('Grant Access to Photo Printer');
      await page.click('#kc-login');
      await page.waitForURL(/localhost:4000/);
      expect(new URL(callback).searchParams.get('code')).toBeTruthy();
    } finally {
      await browser.close();
    }
  }, 120_000);
});

/// <reference lib="dom" />
/**
 * keycloak-js 26 in Chromium against Keycloak's protocol behaviour of issue 18: a hash-routed app
 * keeps its route through login (response_mode=fragment, Keycloak's FragmentRedirectUriBuilder),
 * logout by GET and by POST (`logoutMethod: 'POST'`) for a client without
 * `post.logout.redirect.uris` (Keycloak's fallback to the redirect URIs), the implicit flow for a
 * client with `implicitFlowEnabled`, and keycloak-js in generic OIDC mode (`oidcProvider`) with
 * the check-login iframe on, which needs discovery's `check_session_iframe`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { launchChromium, chromiumAvailable } from '../helpers/chromium.ts';

const available = chromiumAvailable('keycloak-js protocol browser tests');

let server: TestServer;
let spa: http.Server;
let spaUrl = '';
let browser: Browser;

function spaFiles(idpUrl: string): Record<string, [string, string]> {
  const html = readFileSync(path.join(REPO, 'test/e2e/spa/index.html'), 'utf8')
    .replace('/app.js', '/app-options.js')
    .replace(
      '<script type="module"',
      `<script>window.IDP_URL=${JSON.stringify(idpUrl)};window.IDP_REALM="kcjs";</script><script type="module"`,
    );
  return {
    '/': ['text/html', html],
    '/app-options.js': [
      'application/javascript',
      readFileSync(path.join(REPO, 'test/e2e/spa/app-options.js'), 'utf8'),
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
}

beforeAll(async () => {
  if (!available) return;
  spa = http.createServer();
  await new Promise<void>((r) => spa.listen(0, '127.0.0.1', r));
  spaUrl = `http://127.0.0.1:${(spa.address() as AddressInfo).port}`;
  server = await startServer({
    realms: [
      {
        realm: 'kcjs',
        clients: [
          // No post.logout.redirect.uris: Keycloak accepts the redirect URIs for logout.
          {
            clientId: 'plain',
            publicClient: true,
            redirectUris: [`${spaUrl}/*`],
            webOrigins: ['+'],
            attributes: { 'pkce.code.challenge.method': 'S256' },
          },
          {
            clientId: 'imp',
            publicClient: true,
            implicitFlowEnabled: true,
            redirectUris: [`${spaUrl}/*`],
            webOrigins: ['+'],
          },
        ],
        users: [{ username: 'alice', credentials: [{ value: 'alice' }] }],
      },
    ],
  });
  const files = spaFiles(server.baseUrl);
  spa.on('request', (req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]];
    if (!file) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', file[0]);
    res.end(file[1]);
  });
  browser = await launchChromium(['--disable-component-update', '--disable-sync']);
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
        flow?: string;
      };
      initError?: string;
    };
    const authenticated = await w.ready;
    return {
      authenticated,
      token: w.kc.token,
      refreshToken: w.kc.refreshToken,
      tokenParsed: w.kc.tokenParsed,
      initError: w.initError,
      hash: location.hash,
      iframe:
        document.querySelector('iframe[title="keycloak-session-iframe"]')?.getAttribute('src') ??
        null,
    };
  });

async function signInAt(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.getByLabel('Username or email').fill('alice');
  await page.getByLabel('Password').fill('alice');
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.waitForURL(`${spaUrl}/**`);
  return page;
}

const logout = (page: Page, options: Record<string, string>) =>
  page.evaluate(
    (o) =>
      (window as unknown as { kc: { logout(o: Record<string, string>): Promise<void> } }).kc.logout(
        o,
      ),
    options,
  );

describe.skipIf(!available)("keycloak-js and Keycloak's protocol behaviour", () => {
  it('a hash-routed app keeps its route through login; logout by GET without post.logout.redirect.uris', async () => {
    const context = await browser.newContext();
    const page = await signInAt(context, `${spaUrl}/?onLoad=login-required&client=plain#/orders/7`);
    const signedIn = await state(page);
    expect(signedIn.initError).toBeUndefined();
    expect(signedIn.authenticated).toBe(true);
    expect(signedIn.hash).toBe('#/orders/7');
    await logout(page, { redirectUri: `${spaUrl}/?onLoad=check-sso&client=plain` });
    await page.waitForURL(`${spaUrl}/?onLoad=check-sso**`);
    expect((await state(page)).authenticated).toBe(false);
    await context.close();
  });

  it('logout by POST (logoutMethod: "POST") ends the session and returns to the app', async () => {
    const context = await browser.newContext();
    const page = await signInAt(context, `${spaUrl}/?onLoad=login-required&client=plain`);
    expect((await state(page)).authenticated).toBe(true);
    await logout(page, {
      logoutMethod: 'POST',
      redirectUri: `${spaUrl}/?onLoad=check-sso&client=plain&after=post`,
    });
    await page.waitForURL(`${spaUrl}/?onLoad=check-sso&client=plain&after=post**`);
    expect((await state(page)).authenticated).toBe(false);
    await context.close();
  });

  it('the implicit flow for a client with implicitFlowEnabled', async () => {
    const context = await browser.newContext();
    const page = await signInAt(
      context,
      `${spaUrl}/?onLoad=login-required&client=imp&flow=implicit`,
    );
    const signedIn = await state(page);
    expect(signedIn.initError).toBeUndefined();
    expect(signedIn.authenticated).toBe(true);
    expect(signedIn.tokenParsed).toMatchObject({ azp: 'imp', preferred_username: 'alice' });
    expect(signedIn.refreshToken).toBeUndefined();
    await context.close();
  });

  it('generic OIDC mode (oidcProvider) initialises with the check-login iframe from discovery', async () => {
    const context = await browser.newContext();
    await signInAt(context, `${spaUrl}/?onLoad=login-required&client=plain`);
    const page = await context.newPage();
    await page.goto(`${spaUrl}/?onLoad=check-sso&client=plain&generic=1`);
    const generic = await state(page);
    expect(generic.initError).toBeUndefined();
    expect(generic.authenticated).toBe(true);
    expect(generic.iframe).toBe(
      `${server.baseUrl}/realms/kcjs/protocol/openid-connect/login-status-iframe.html`,
    );
    await context.close();
  });
});

/**
 * Front-channel logout (OpenID Connect Front-Channel Logout 1.0; Keycloak frontchannel-logout.ftl):
 * a client with `frontchannelLogout: true` and `frontchannel.logout.url` is an iframe on the
 * logout page with `iss` and `sid`, the page's CSP allows frames from exactly that origin, and a
 * client without the switch gets none. In Debian Chromium the iframe really calls the client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { chromium } from 'playwright-core';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { REQUIRE_ALL } from '../helpers/components.ts';
import { until } from '../helpers/load.ts';

const CALLBACK = 'http://localhost:4000/cb';
let server: TestServer;
let rp: http.Server;
let rpOrigin = '';
const calls: URL[] = [];

beforeAll(async () => {
  rp = http.createServer((req, res) => {
    calls.push(new URL(req.url ?? '/', rpOrigin));
    res.end('logged out');
  });
  await new Promise<void>((r) => rp.listen(0, '127.0.0.1', r));
  rpOrigin = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
  const client = (clientId: string, frontchannelLogout: boolean) => ({
    clientId,
    publicClient: true,
    redirectUris: ['http://localhost:4000/*'],
    frontchannelLogout,
    attributes: {
      'frontchannel.logout.url': `${rpOrigin}/fc/${clientId}`,
      'post.logout.redirect.uris': '+',
    },
  });
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [
      {
        realm: 'fc',
        clients: [client('app', true), client('quiet', false)],
        users: [
          {
            username: 'dora',
            enabled: true,
            credentials: [{ type: 'password', value: 'dora-password' }],
          },
        ],
      },
    ],
  });
});
afterAll(async () => {
  await server?.close();
  rp?.close();
});

const auth = (clientId: string) =>
  `${server.baseUrl}/realms/fc/protocol/openid-connect/auth?${new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: CALLBACK,
  })}`;

async function sid(redirect: string, clientId: string): Promise<string> {
  const res = await fetch(`${server.baseUrl}/realms/fc/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: clientId,
      code: new URL(redirect).searchParams.get('code')!,
      redirect_uri: CALLBACK,
    }),
  });
  return String(decodeJwt(String(((await res.json()) as { id_token: string }).id_token)).sid);
}

describe('front-channel logout', () => {
  it('renders an iframe per front-channel client, with iss and sid, and a CSP of its origin', async () => {
    const browser = new TestBrowser();
    const login = await signIn(browser, auth('app'), server.baseUrl, 'dora', 'dora-password');
    const appSid = await sid(login.url, 'app');
    const quiet = await browser.follow(auth('quiet'), server.baseUrl);
    await sid(quiet.url, 'quiet');
    const confirm = await browser.fetch(
      `${server.baseUrl}/realms/fc/protocol/openid-connect/logout`,
    );
    const html = await confirm.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1];
    const done = await browser.fetch(new URL(action, server.baseUrl).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    expect(done.status).toBe(200);
    const page = await done.text();
    const frames = [...page.matchAll(/<iframe class="frontchannel" src="([^"]+)"/g)].map(
      (m) => new URL(m[1].replace(/&amp;/g, '&')),
    );
    expect(frames).toHaveLength(1);
    expect(frames[0].pathname).toBe('/fc/app');
    expect(frames[0].searchParams.get('iss')).toBe(`${server.baseUrl}/realms/fc`);
    expect(frames[0].searchParams.get('sid')).toBe(appSid);
    expect(done.headers.get('content-security-policy')).toContain(`frame-src ${rpOrigin};`);
    expect(page).toContain('id="continue"');
  });
});

const CHROMIUM = '/usr/bin/chromium';
describe.skipIf(!existsSync(CHROMIUM) && !REQUIRE_ALL)('front-channel logout in Chromium', () => {
  it('the iframe calls the client with its sid', async () => {
    calls.length = 0;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.route('http://localhost:4000/**', (route) => route.fulfill({ body: 'ok' }));
      await page.goto(auth('app'));
      await page.fill('#username', 'dora');
      await page.fill('#password', 'dora-password');
      await page.click('#kc-login');
      await page.waitForURL(/localhost:4000/);
      await page.goto(`${server.baseUrl}/realms/fc/protocol/openid-connect/logout`);
      await page.click('#kc-logout');
      await page.waitForSelector('#continue');
      expect(await until(() => calls.some((u) => u.pathname === '/fc/app'), 10_000)).toBe(true);
      const call = calls.find((u) => u.pathname === '/fc/app')!;
      expect(call.searchParams.get('sid')).toBeTruthy();
    } finally {
      await browser.close();
    }
  }, 120_000);
});

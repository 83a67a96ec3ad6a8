/**
 * The locale chooser of the login pages in a real browser (Debian's Chromium, playwright-core):
 * Keycloak's login theme shows the current locale's own name and a dropdown of links carrying
 * `kc_locale` (DefaultLocaleSelectorProvider / DefaultLocaleUpdaterProvider). The test opens the
 * login page in English, picks "Deutsch", sees German texts (also after a wrong password), signs
 * in; no page breaks its Content-Security-Policy. Screenshots under test-results/login-locale/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { launchChromium, chromiumAvailable } from '../helpers/chromium.ts';

const available = chromiumAvailable('login locale browser tests');
const SHOTS = path.join(REPO, 'test-results', 'login-locale');
const CB = 'http://localhost:4000/cb';

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  if (!available) return;
  server = await startServer({
    realms: [
      {
        realm: 'browser-locale',
        displayName: 'Locale Realm',
        internationalizationEnabled: true,
        supportedLocales: ['en', 'de', 'fr', 'es', 'ko', 'ja'],
        defaultLocale: 'en',
        clients: [
          { clientId: 'web', publicClient: true, redirectUris: ['http://localhost:4000/*'] },
        ],
        users: [{ username: 'hans', credentials: [{ value: 'hans-password' }] }],
      },
    ],
  });
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

describe.skipIf(!available)('login locale in Chromium', () => {
  it('login pages locale switch', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
    });
    await context.route('http://localhost:4000/**', (r) => r.fulfill({ body: 'signed in' }));
    const auth = `${server.baseUrl}/realms/browser-locale/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: CB })}`;

    await page.goto(auth);
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.locator('#kc-current-locale-link').click(); // opens the chooser (the current locale's name)
    expect(await page.locator('#kc-current-locale-link').innerText()).toBe('English');
    await shot(page, '1-login-en-chooser');
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();

    await page.getByRole('heading', { name: 'Bei Ihrem Konto anmelden' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.locator('#kc-current-locale-link').innerText()).toBe('Deutsch');
    const cookies = await context.cookies(server.baseUrl + '/realms/browser-locale/');
    expect(cookies.find((c) => c.name === 'KEYCLOAK_LOCALE')?.value).toBe('de');
    await shot(page, '2-login-de');

    await page.getByLabel('Benutzername').fill('hans');
    await page.getByLabel('Passwort').fill('falsch');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByText('Ungültiger Benutzername oder ungültiges Passwort.').waitFor();
    await shot(page, '3-login-de-error');

    await page.getByLabel('Passwort').fill('hans-password');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL(/^http:\/\/localhost:4000\/cb\?code=/);
    expect(violations).toEqual([]);
  }, 120_000);
});

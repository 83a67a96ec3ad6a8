/// <reference lib="dom" />
/**
 * Registration and email verification in a real browser (Debian's Chromium, playwright-core): a
 * keycloak-js SPA calls `register()` (Keycloak's registrations endpoint), the user fills the
 * registration page by its labels, is refused once by the password policy, registers and lands
 * back in the SPA signed in; then the verification email an administrator sends (received by a
 * real SMTP server, smtp-server) is opened in the browser and confirmed. Screenshots of each page
 * go to test-results/ (register-page.png, register-policy-error.png, verify-email-confirm.png,
 * verify-email-done.png).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { adminCall, masterAdmin } from '../helpers/admin.ts';
import { mailLink, startSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { launchChromium, chromiumAvailable } from '../helpers/chromium.ts';

const available = chromiumAvailable('registration browser tests');
const SHOTS = path.join(REPO, 'test-results');

let server: TestServer;
let smtp: TestSmtp;
let spa: http.Server;
let spaUrl = '';
let browser: Browser;

function spaFiles(idpUrl: string): Record<string, [string, string]> {
  const read = (p: string) => readFileSync(path.join(REPO, p), 'utf8');
  return {
    '/': [
      'text/html',
      read('test/e2e/spa/index.html').replace(
        '<script type="module"',
        `<script>window.IDP_URL=${JSON.stringify(idpUrl)};window.IDP_REALM="reg";</script><script type="module"`,
      ),
    ],
    '/app.js': ['application/javascript', read('test/e2e/spa/app.js')],
    '/keycloak.js': ['application/javascript', read('node_modules/keycloak-js/lib/keycloak.js')],
    '/silent-check-sso.html': ['text/html', read('test/e2e/spa/silent-check-sso.html')],
  };
}

beforeAll(async () => {
  if (!available) return;
  spa = http.createServer();
  await new Promise<void>((r) => spa.listen(0, '127.0.0.1', r));
  spaUrl = `http://127.0.0.1:${(spa.address() as AddressInfo).port}`;
  smtp = await startSmtp();
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [
      {
        realm: 'reg',
        displayName: 'Registration Realm',
        registrationAllowed: true,
        passwordPolicy: 'length(10) and digits(1)',
        smtpServer: { host: '127.0.0.1', port: String(smtp.port), from: 'sso@example.org' },
        clients: [
          {
            clientId: 'spa',
            publicClient: true,
            redirectUris: [`${spaUrl}/*`],
            webOrigins: ['+'],
            attributes: { 'pkce.code.challenge.method': 'S256' },
          },
        ],
      },
    ],
    env: { SMTP_ALLOWED_HOSTS: smtp.hostPort },
  });
  const files = spaFiles(server.baseUrl);
  spa.on('request', (req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]];
    res.statusCode = file ? 200 : 404;
    if (file) res.setHeader('content-type', file[0]);
    res.end(file?.[1]);
  });
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  spa?.close();
  await server?.close();
  await smtp?.close();
});

describe.skipIf(!available)('registration and email verification in Chromium', () => {
  it('keycloak-js register(), the policy message, sign-in, then the emailed verification link', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${spaUrl}/?onLoad=check-sso`);
    await page.evaluate(() => (window as unknown as { ready: Promise<boolean> }).ready);
    // register() navigates away: not awaited inside the page.
    await page.evaluate(() => {
      void (window as unknown as { kc: { register(): Promise<void> } }).kc.register();
    });
    await page.getByLabel('First name').waitFor();
    expect(await page.title()).toBe('Register - Registration Realm');
    await page.getByLabel('First name').fill('Erin');
    await page.getByLabel('Last name').fill('Example');
    await page.getByLabel('Email').fill('erin@example.org');
    await page.getByLabel('Username').fill('erin');
    await page.getByLabel('Password', { exact: true }).fill('short1');
    await page.getByLabel('Confirm password').fill('short1');
    await page.screenshot({ path: path.join(SHOTS, 'register-page.png'), fullPage: true });
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByText('Invalid password: minimum length 10.').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'register-policy-error.png'), fullPage: true });
    // The form keeps what was typed, but not the passwords.
    expect(await page.getByLabel('Email').inputValue()).toBe('erin@example.org');
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await page.getByLabel('Password', { exact: true }).fill('long-enough-1');
    await page.getByLabel('Confirm password').fill('long-enough-1');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.waitForURL(`${spaUrl}/**`);
    await page.getByText('signed in as erin').waitFor();

    const kc = await masterAdmin(server.baseUrl);
    const [erin] = await kc.users.find({ realm: 'reg', username: 'erin', exact: true });
    expect(erin.emailVerified).toBe(false);
    const sent = await adminCall(
      server.baseUrl,
      (await kc.getAccessToken())!,
      'PUT',
      `/reg/users/${erin.id}/send-verify-email`,
    );
    expect(sent.status).toBe(204);
    const mail = await smtp.next('erin@example.org');
    expect(mail.subject).toBe('Verify email');
    await page.goto(mailLink(mail));
    await page.getByText('Confirm validity of e-mail address erin@example.org.').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'verify-email-confirm.png'), fullPage: true });
    await page.getByRole('button', { name: '» Click here to proceed' }).click();
    await page.getByText('Your email address has been verified.').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'verify-email-done.png'), fullPage: true });
    expect((await kc.users.findOne({ realm: 'reg', id: erin.id! }))!.emailVerified).toBe(true);
  });
});

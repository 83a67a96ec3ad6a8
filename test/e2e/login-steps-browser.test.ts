/**
 * The login's required actions and OTP in a real browser (Debian's Chromium, playwright-core),
 * driven by the pages' labels and buttons: a new user with a temporary password, CONFIGURE_TOTP,
 * TERMS_AND_CONDITIONS and UPDATE_PROFILE goes through each page (enrolling with the key read from
 * the page, the code computed by test/helpers/otp.ts), then signs in again with a code. No page
 * breaks its Content-Security-Policy (the QR code is inline SVG). A screenshot of each page is
 * saved under test-results/login-steps/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { base32Decode, keyOf, totp } from '../helpers/otp.ts';
import { launchChromium, chromiumAvailable } from '../helpers/chromium.ts';

const available = chromiumAvailable('login steps browser tests');
const SHOTS = path.join(REPO, 'test-results', 'login-steps');
const CB = 'http://localhost:4000/cb';
const PHONE = 'phone-secret-0123456789';
const TABLET = 'tablet-secret-987654321';

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  if (!available) return;
  server = await startServer({
    realms: [
      {
        realm: 'browser-steps',
        displayName: 'Steps Realm',
        requiredActions: [
          {
            alias: 'CONFIGURE_TOTP',
            name: 'Configure OTP',
            providerId: 'CONFIGURE_TOTP',
            enabled: true,
            priority: 10,
          },
          {
            alias: 'TERMS_AND_CONDITIONS',
            name: 'Terms and Conditions',
            providerId: 'TERMS_AND_CONDITIONS',
            enabled: true,
            priority: 20,
          },
          {
            alias: 'UPDATE_PASSWORD',
            name: 'Update Password',
            providerId: 'UPDATE_PASSWORD',
            enabled: true,
            priority: 30,
          },
          {
            alias: 'UPDATE_PROFILE',
            name: 'Update Profile',
            providerId: 'UPDATE_PROFILE',
            enabled: true,
            priority: 40,
          },
        ],
        clients: [
          { clientId: 'web', publicClient: true, redirectUris: ['http://localhost:4000/*'] },
        ],
        users: [
          {
            username: 'newcomer',
            requiredActions: ['CONFIGURE_TOTP', 'TERMS_AND_CONDITIONS', 'UPDATE_PROFILE'],
            credentials: [{ value: 'given-by-admin', temporary: true }],
          },
          {
            username: 'twophones',
            credentials: [
              { value: 'two-phones-pw' },
              ...[
                ['Phone', PHONE],
                ['Tablet', TABLET],
              ].map(([userLabel, value], i) => ({
                type: 'otp',
                userLabel,
                createdDate: Date.now() - 2000 + i,
                secretData: JSON.stringify({ value }),
                credentialData:
                  '{"subType":"totp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}',
              })),
            ],
          },
        ],
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

describe.skipIf(!available)('login steps in Chromium', () => {
  it('a new user goes through every required action, then signs in with a code', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
    });
    // The client's redirect_uri: answered here, so the code can be read.
    await context.route('http://localhost:4000/**', (r) => r.fulfill({ body: 'signed in' }));
    const auth = `${server.baseUrl}/realms/browser-steps/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: CB })}`;

    await page.goto(auth);
    await shot(page, '1-login');
    await page.getByLabel('Username').fill('newcomer');
    await page.getByLabel('Password').fill('given-by-admin');
    await page.getByRole('button', { name: 'Sign In' }).click();

    await page.getByRole('heading', { name: 'Mobile Authenticator Setup' }).waitFor();
    await page.getByText('Unable to scan?').click();
    await shot(page, '2-configure-totp');
    const key = base32Decode(await page.locator('#kc-totp-secret-key').innerText());
    await page.getByLabel('One-time code').fill(totp(key));
    await page.getByLabel('Device Name').fill('Test phone');
    await page.getByRole('button', { name: 'Submit' }).click();

    await page.getByRole('heading', { name: 'Terms and Conditions' }).waitFor();
    await shot(page, '3-terms');
    await page.getByRole('button', { name: 'Accept' }).click();

    await page.getByRole('heading', { name: 'Update password' }).waitFor();
    await page.getByLabel('New Password').fill('chosen-password');
    await page.getByLabel('Confirm password').fill('chosen-typo');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByText("Passwords don't match.").waitFor();
    await shot(page, '4-update-password-error');
    await page.getByLabel('New Password').fill('chosen-password');
    await page.getByLabel('Confirm password').fill('chosen-password');
    await page.getByRole('button', { name: 'Submit' }).click();

    await page.getByRole('heading', { name: 'Update Account Information' }).waitFor();
    await shot(page, '5-update-profile');
    await page.getByLabel('Email').fill('newcomer@example.com');
    await page.getByLabel('First name').fill('New');
    await page.getByLabel('Last name').fill('Comer');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/^http:\/\/localhost:4000\/cb\?code=/);

    // A second login: the password chosen above, then the OTP page.
    const second = await (await browser.newContext()).newPage();
    second.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
    });
    await second
      .context()
      .route('http://localhost:4000/**', (r) => r.fulfill({ body: 'signed in' }));
    await second.goto(auth);
    await second.getByLabel('Username').fill('newcomer');
    await second.getByLabel('Password').fill('chosen-password');
    await second.getByRole('button', { name: 'Sign In' }).click();
    await second.getByLabel('One-time code').fill('000000' === totp(key) ? '111111' : '000000');
    await second.getByRole('button', { name: 'Sign In' }).click();
    await second.getByText('Invalid authenticator code.').waitFor();
    await shot(second, '6-otp-error');
    await second.getByLabel('One-time code').fill(totp(key, Math.floor(Date.now() / 1000) + 30));
    await second.getByRole('button', { name: 'Sign In' }).click();
    await second.waitForURL(/^http:\/\/localhost:4000\/cb\?code=/);
    expect(violations).toEqual([]);
  }, 120_000);

  it('two OTP credentials: the user picks one by its label, its code signs in (login-otp.ftl)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await context.route('http://localhost:4000/**', (r) => r.fulfill({ body: 'signed in' }));
    await page.goto(
      `${server.baseUrl}/realms/browser-steps/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: CB })}`,
    );
    await page.getByLabel('Username').fill('twophones');
    await page.getByLabel('Password').fill('two-phones-pw');
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.getByLabel('Tablet').check();
    await shot(page, '7-otp-choice');
    // The phone's code while the tablet is chosen: refused (OTPFormAuthenticator checks the chosen one).
    await page.getByLabel('One-time code').fill(totp(keyOf(PHONE)));
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.getByText('Invalid authenticator code.').waitFor();
    expect(await page.getByLabel('Tablet').isChecked()).toBe(true);
    await page.getByLabel('One-time code').fill(totp(keyOf(TABLET)));
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.waitForURL(/^http:\/\/localhost:4000\/cb\?code=/);
  }, 60_000);
});

/**
 * The consent screen and "Forgot Password?" in a real browser (Debian's Chromium,
 * playwright-core), driven by the pages' labels and buttons:
 * - a client with `consentRequired` shows Keycloak's consent page (login/login-oauth-grant.ftl:
 *   "Grant Access to {client}", each requested scope's `consent.screen.text`, "Yes" / "No"); "Yes"
 *   issues the code, and the stored consent spares the next login the screen
 *   (Keycloak's OIDCLoginProtocol / AuthenticationManager.isActionRequired: no screen when every
 *   requested scope is granted); "No" returns `error=access_denied` to the client;
 * - "Forgot Password?" (`resetPasswordAllowed`): the username is posted, the mail arrives at a real
 *   SMTP server (smtp-server), its link opens the update-password page, the new password ends the
 *   login at the client with a code (Keycloak's ResetCredentialsActionTokenHandler continues the
 *   authentication session), and the old password no longer signs in.
 * Screenshots go to test-results/consent-reset/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { mailLink, startSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { launchChromium, chromiumAvailable } from '../helpers/chromium.ts';

const available = chromiumAvailable('consent / reset browser tests');
const SHOTS = path.join(REPO, 'test-results', 'consent-reset');
const REALM = 'consent-reset';
/** The client's callback: a listener of this test (its URL is set in beforeAll). */
let CB = '';
let callback: http.Server;

let server: TestServer;
let smtp: TestSmtp;
let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  callback = http.createServer((_req, res) => res.end('client callback'));
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(callback.address() as AddressInfo).port}`;
  CB = `${origin}/cb`;
  smtp = await startSmtp();
  const person = (username: string, password: string) => ({
    username,
    enabled: true,
    email: `${username}@example.org`,
    emailVerified: true,
    firstName: username,
    lastName: 'Example',
    credentials: [{ type: 'password', value: password }],
  });
  server = await startServer({
    realms: [
      {
        realm: REALM,
        displayName: 'Consent Realm',
        resetPasswordAllowed: true,
        smtpServer: { host: '127.0.0.1', port: String(smtp.port), from: 'sso@example.org' },
        clients: [
          {
            clientId: 'shop',
            name: 'The Shop',
            publicClient: true,
            consentRequired: true,
            redirectUris: [`${origin}/*`],
          },
        ],
        users: [person('dana', 'dana-password-1'), person('eli', 'eli-password-1')],
      },
    ],
    env: { SMTP_ALLOWED_HOSTS: smtp.hostPort },
  });
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await smtp?.close();
  callback?.close();
});

const authUrl = () =>
  `${server.baseUrl}/realms/${REALM}/protocol/openid-connect/auth?${new URLSearchParams({
    client_id: 'shop',
    response_type: 'code',
    scope: 'openid profile email',
    redirect_uri: CB,
  })}`;
const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** A new browser (its own cookies). */
async function newBrowser(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign In' }).click();
}

const callbackParams = (page: Page) => new URL(page.url()).searchParams;

describe.skipIf(!available)('consent screen and forgot password in Chromium', () => {
  it("the consent screen lists the scopes' consent texts; Yes issues the code and is remembered", async () => {
    const { context, page } = await newBrowser();
    await page.goto(authUrl());
    await signIn(page, 'dana', 'dana-password-1');
    await page.getByRole('heading', { name: 'Grant Access to The Shop' }).waitFor();
    // The built-in scopes' consent.screen.text: ${profileScopeConsentText}, ${emailScopeConsentText}.
    const scopes = await page.locator('#kc-oauth-scopes li').allTextContents();
    expect(scopes.map((s) => s.trim())).toEqual(
      expect.arrayContaining(['User profile', 'Email address']),
    );
    await shot(page, '1-consent');
    await page.getByRole('button', { name: 'Yes' }).click();
    await page.waitForURL(`${CB}?**`);
    expect(callbackParams(page).get('code')).toBeTruthy();

    // The same browser again: SSO and the stored consent, so no page at all before the code.
    await page.goto(authUrl());
    await page.waitForURL(`${CB}?**`);
    expect(callbackParams(page).get('code')).toBeTruthy();
    await context.close();
  });

  it('No on the consent screen returns access_denied to the client', async () => {
    const { context, page } = await newBrowser();
    await page.goto(authUrl());
    await signIn(page, 'eli', 'eli-password-1');
    await page.getByRole('heading', { name: 'Grant Access to The Shop' }).waitFor();
    await page.getByRole('button', { name: 'No' }).click();
    await page.waitForURL(`${CB}?**`);
    expect(callbackParams(page).get('error')).toBe('access_denied');
    expect(callbackParams(page).get('code')).toBeNull();
    await context.close();
  });

  it('forgot password: the mailed link, a new password, then the login goes on to the client', async () => {
    const { context, page } = await newBrowser();
    await page.goto(authUrl());
    await page.getByRole('link', { name: 'Forgot Password?' }).click();
    await page.getByRole('heading', { name: 'Forgot Your Password?' }).waitFor();
    await shot(page, '2-forgot-password');
    await page.getByLabel('Username or email').fill('dana');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page
      .getByText('You should receive an email shortly with further instructions.')
      .waitFor();
    await shot(page, '3-email-sent');

    const mail = await smtp.next('dana@example.org');
    expect(mail.subject).toBe('Reset password');
    await page.goto(mailLink(mail));
    await page.getByLabel('New Password').waitFor();
    await shot(page, '4-update-password');
    await page.getByLabel('New Password').fill('dana-new-password-2');
    await page.getByLabel('Confirm password').fill('dana-new-password-2');
    await page.getByRole('button', { name: 'Submit' }).click();
    // dana granted the consent in the first test: the login ends at the client.
    await page.waitForURL(`${CB}?**`);
    expect(callbackParams(page).get('code')).toBeTruthy();
    await context.close();

    const other = await newBrowser();
    await other.page.goto(authUrl());
    await signIn(other.page, 'dana', 'dana-password-1');
    await other.page.getByText('Invalid username or password.').waitFor();
    await shot(other.page, '5-old-password-refused');
    await signIn(other.page, 'dana', 'dana-new-password-2');
    await other.page.waitForURL(`${CB}?**`);
    expect(callbackParams(other.page).get('code')).toBeTruthy();
    await other.context.close();
  });
});

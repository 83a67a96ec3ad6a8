/// <reference lib="dom" />
/**
 * Keycloak's Account Console (@keycloak/keycloak-account-ui 26.7.4, built by console/ into
 * dist/console, served at `/realms/{realm}/account/`) in Debian's Chromium, driven by
 * playwright-core: a user logs in, edits the profile, changes the password through the console
 * (Keycloak's application-initiated action, `kc_action=UPDATE_PASSWORD`), and signs out another
 * session in Device activity. Each result is checked through the admin API. Every failed request
 * (4xx/5xx), console error and error alert is collected and the test fails on any. Screenshots go
 * to test-results/account-console/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO, startServer, MASTER_REALM_FILE, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { consoleAvailable } from '../helpers/admin-console.ts';

const available = consoleAvailable('account console tests');

const SHOTS = path.join(REPO, 'test-results', 'account-console');
const REALM = 'acme';
const PASSWORD = 'first-Password-1';
const NEW_PASSWORD = 'second-Password-2';

let server: TestServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];

function watch(p: Page): void {
  p.on('response', (response) => {
    if (response.status() >= 400) {
      problems.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    }
  });
  p.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(`console: ${message.text()}`);
  });
  p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  // A confirmation or error dialog the test did not expect.
  p.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The browser asks for `/favicon.ico`; the login pages link none. */
const EXPECTED = [/\/favicon\.ico$/];

async function expectClean(step: string): Promise<void> {
  const alerts = await page.locator('.pf-v5-c-alert.pf-m-danger').allInnerTexts();
  const unexpected = problems.filter((p) => !EXPECTED.some((e) => e.test(p)));
  problems.length = 0;
  expect({ step, alerts, problems: unexpected }).toEqual({ step, alerts: [], problems: [] });
}

async function adminUser() {
  const kc = await masterAdmin(server.baseUrl);
  const [user] = await kc.users.find({ realm: REALM, username: 'alice', exact: true });
  return { kc, user };
}

/** Polls until `check` holds (the console saves asynchronously). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function signIn(password: string): Promise<void> {
  await page.getByLabel('Username or email').fill('alice');
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign In' }).click();
}

describe.runIf(available)('account console', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer({
      realmFiles: [MASTER_REALM_FILE],
      realms: [
        {
          realm: REALM,
          enabled: true,
          users: [
            {
              username: 'alice',
              email: 'alice@example.com',
              emailVerified: true,
              firstName: 'Alice',
              lastName: 'Liddell',
              enabled: true,
              credentials: [{ type: 'password', value: PASSWORD }],
              // A realm file lists the default role explicitly (it holds account/manage-account).
              realmRoles: ['default-roles-acme'],
            },
          ],
        },
      ],
    });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch(page);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('account console logs in at /realms/{realm}/account/ and shows Personal info', async () => {
    await page.goto(`${server.baseUrl}/realms/${REALM}/account/`);
    await signIn(PASSWORD);
    try {
      await page.getByLabel('First name').waitFor({ timeout: 30_000 });
    } finally {
      await shot('01-personal-info');
    }
    expect(await page.getByLabel('First name').inputValue()).toBe('Alice');
    expect(await page.getByLabel('Last name').inputValue()).toBe('Liddell');
    await expectClean('login');
  }, 90_000);

  it('account console edits the profile (first and last name) and the admin API sees it saved', async () => {
    await page.getByLabel('First name').fill('Alicia');
    await page.getByLabel('Last name').fill('Pleasance');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Your account has been updated.').waitFor();
    await shot('02-personal-info-saved');
    await until(async () => {
      const { user } = await adminUser();
      return user.firstName === 'Alicia' && user.lastName === 'Pleasance';
    }, 'the saved profile');
    await expectClean('profile');
  }, 60_000);

  it('account console changes the password in Signing in (kc_action=UPDATE_PASSWORD) and the new one signs in', async () => {
    await page.goto(`${server.baseUrl}/realms/${REALM}/account/account-security/signing-in`);
    await page.getByText('My password').first().waitFor();
    await shot('03-signing-in');
    await expectClean('signing in');
    const returns: string[] = [];
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.url().includes('kc_action_status='))
        returns.push(request.url());
    });
    // The authorization request keycloak-js makes: Keycloak's AIA parameter.
    const aia = page.waitForRequest((r) => r.url().includes('kc_action=UPDATE_PASSWORD'));
    await page.getByRole('button', { name: 'Update' }).first().click();
    await aia;
    await page.getByLabel('New Password').fill(NEW_PASSWORD);
    await page.getByLabel('Confirm password').fill(NEW_PASSWORD);
    await shot('04-update-password');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByText('My password').first().waitFor();
    expect(new URL(page.url()).pathname).toBe(
      `/realms/${REALM}/account/account-security/signing-in`,
    );
    // OIDCLoginProtocol.authenticated: the response carries the action's outcome.
    expect(returns).toHaveLength(1);
    const back = new URL(returns[0]).searchParams;
    expect([back.get('kc_action_status'), back.get('kc_action')]).toEqual([
      'success',
      'UPDATE_PASSWORD',
    ]);
    await shot('05-signing-in-after');
    await expectClean('update password');
    const grant = await fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'admin-cli',
        username: 'alice',
        password: NEW_PASSWORD,
      }),
    });
    expect(grant.status).toBe(200);
  }, 90_000);

  it('account console shows a second session in Device activity and signs it out', async () => {
    // The second session: a password grant (a session of admin-cli, from this host).
    const grant = await fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'admin-cli',
        username: 'alice',
        password: NEW_PASSWORD,
      }),
    });
    expect(grant.status).toBe(200);
    const { kc, user } = await adminUser();
    const before = await kc.users.listSessions({ realm: REALM, id: user.id! });
    expect(before.length).toBeGreaterThanOrEqual(2);
    const others = before.filter((s) => Object.values(s.clients ?? {}).includes('admin-cli'));
    expect(others.length).toBeGreaterThanOrEqual(1);
    await page.goto(`${server.baseUrl}/realms/${REALM}/account/account-security/device-activity`);
    await page.getByText('Current session').first().waitFor();
    await shot('06-device-activity');
    await expectClean('device activity');
    // The other session's "Sign out" (the current one has none).
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await shot('07-sign-out-confirm');
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await until(async () => {
      const after = await kc.users.listSessions({ realm: REALM, id: user.id! });
      // One admin-cli session fewer (the button signs out one of them), the console's own kept.
      const consoleSessions = (list: typeof before) =>
        list.filter((x) => Object.values(x.clients ?? {}).includes('account-console')).length;
      const adminCli = (list: typeof before) =>
        list.filter((x) => Object.values(x.clients ?? {}).includes('admin-cli')).length;
      return (
        after.length === before.length - 1 &&
        adminCli(after) === others.length - 1 &&
        consoleSessions(after) === consoleSessions(before)
      );
    }, 'the signed-out session to be gone');
    await shot('08-device-activity-after');
    await expectClean('sign out');
  }, 90_000);

  it('account console opens Applications', async () => {
    await page.goto(`${server.baseUrl}/realms/${REALM}/account/applications`);
    // The client's name `${client_account-console}` from the account messages.
    await page.getByText('Account Console').first().waitFor();
    await shot('09-applications');
    await expectClean('applications');
  }, 60_000);
  it('account console asks for the password again before Update once the login is older than max_auth_age', async () => {
    // Keycloak's required action config max_auth_age (RequiredActionProvider.getMaxAuthAge;
    // OIDCLoginProtocol.isReAuthRequiredForKcAction): 0 s, so the console's login is too old.
    const { kc } = await adminUser();
    const url = `${server.baseUrl}/admin/realms/${REALM}/authentication/required-actions/UPDATE_PASSWORD`;
    const headers = {
      authorization: `Bearer ${kc.accessToken}`,
      'content-type': 'application/json',
    };
    const rep = await (await fetch(url, { headers })).json();
    const put = await fetch(url, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ ...rep, config: { ...rep.config, max_auth_age: '0' } }),
    });
    expect(put.status).toBe(204);
    await page.goto(`${server.baseUrl}/realms/${REALM}/account/account-security/signing-in`);
    await page.getByText('My password').first().waitFor();
    await page.getByRole('button', { name: 'Update' }).first().click();
    // The login page for the known user (Messages.REAUTHENTICATE), not the new-password form.
    await page.getByText('Please re-authenticate to continue').waitFor();
    expect(await page.locator('#kc-attempted-username').innerText()).toBe('alice');
    expect(await page.getByLabel('New Password').count()).toBe(0);
    await shot('10-reauthenticate');
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.getByLabel('New Password').fill(`${NEW_PASSWORD}-2`);
    await page.getByLabel('Confirm password').fill(`${NEW_PASSWORD}-2`);
    await shot('11-update-password-after-reauthenticate');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByText('My password').first().waitFor();
    await expectClean('update password after re-authentication');
  }, 90_000);
});

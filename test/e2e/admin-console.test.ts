/// <reference lib="dom" />
/**
 * Keycloak's Admin Console (@keycloak/keycloak-admin-ui 26.7.4, built by console/ into
 * dist/console) in Debian's Chromium, driven by playwright-core: the bootstrap admin logs in at
 * `/admin/` and works through the UI alone. Every failed request (4xx/5xx) and every console error
 * or error alert is collected, and the test fails on any. Screenshots go to test-results/console/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { REQUIRE_ALL } from '../helpers/components.ts';
import { TEST_ADMIN_PASSWORD } from '../helpers/admin.ts';
import { CONSOLE_DIST } from '../../src/console/assets.ts';

const CHROMIUM = '/usr/bin/chromium';
const built = existsSync(path.join(CONSOLE_DIST, '.vite', 'manifest.json'));
const available = existsSync(CHROMIUM) && built;
if (!available) {
  const why = !built
    ? 'the consoles are not built (npm run build:console)'
    : `Chromium is not installed (${CHROMIUM})`;
  if (REQUIRE_ALL) throw new Error(`admin console tests need Chromium and the build: ${why}`);
  console.warn(`skipping admin console tests: ${why}`);
}

const SHOTS = path.join(REPO, 'test-results', 'console');

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

/** Records failed requests, console errors and page errors on `p`. */
function watch(p: Page): void {
  p.on('response', (response) => {
    if (response.status() >= 400) {
      problems.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    }
  });
  p.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

/** No error alert is shown and nothing failed so far. */
async function expectClean(step: string): Promise<void> {
  const alerts = await page.locator('.pf-v5-c-alert.pf-m-danger').allInnerTexts();
  expect({ step, alerts, problems }).toEqual({ step, alerts: [], problems: [] });
}

describe.runIf(available)('admin console', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer({ realmFiles: [path.join(REPO, 'realms', 'master.json')] });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    watch(page);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('admin console logs in as the bootstrap admin at /admin/', async () => {
    await page.goto(`${server.baseUrl}/admin/`);
    await page.getByLabel('Username or email').fill('admin');
    await page.getByLabel('Password').fill(TEST_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign In' }).click();
    try {
      await page.getByRole('link', { name: 'Clients' }).first().waitFor({ timeout: 30_000 });
    } finally {
      await shot('01-welcome');
    }
    await expectClean('login');
  }, 90_000);
});

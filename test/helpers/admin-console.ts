/**
 * Helpers for the Admin Console browser tests: whether Chromium and the console build are there,
 * and a watch on a page that collects every failed request (4xx/5xx), console error and page
 * error, with the requests a test expects to fail named, each with its reason.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { chromiumAvailable } from './chromium.ts';
import { CONSOLE_DIST } from '../../src/console/assets.ts';

export { CHROMIUM } from './chromium.ts';

/** true when the console tests can run (Chromium and the console build); throws under REQUIRE_ALL when they cannot. */
export function consoleAvailable(what: string): boolean {
  const built = existsSync(path.join(CONSOLE_DIST, '.vite', 'manifest.json'));
  return chromiumAvailable(what, {
    ok: built,
    why: 'the consoles are not built (npm run build:console)',
  });
}

/** A request the test expects to fail, matched on `"<status> <METHOD> <path>"`, and why. */
export interface ExpectedFailure {
  match: RegExp;
  reason: string;
}

/**
 * Expected everywhere: the login page's `/favicon.ico` (the browser asks for it; the login
 * theme links none).
 */
export const ALWAYS_EXPECTED: ExpectedFailure[] = [
  {
    match: /^404 GET \/favicon\.ico$/,
    reason: 'the browser asks for it; the login theme links none',
  },
];

/** Collects failures on a page; `expectClean` fails on any not expected, then starts afresh. */
export class ConsoleWatch {
  private readonly problems: string[] = [];
  private readonly page: Page;
  private readonly expected: ExpectedFailure[];

  constructor(page: Page, expected: ExpectedFailure[] = ALWAYS_EXPECTED) {
    this.page = page;
    this.expected = expected;
    page.on('response', (response) => {
      if (response.status() < 400) return;
      const url = new URL(response.url());
      const line = `${response.status()} ${response.request().method()} ${url.pathname}`;
      if (!this.expected.some((e) => e.match.test(line)))
        this.problems.push(`${line}${url.search}`);
    });
    page.on('console', (message) => {
      // A failed load is reported with its URL by the response listener.
      const line = `console: ${message.text()}`;
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        if (!this.isExpected(line)) this.problems.push(line);
    });
    page.on('pageerror', (err) => {
      const line = `page error: ${err.message}`;
      if (!this.isExpected(line))
        this.problems.push(process.env.CONSOLE_STACKS ? `${line} ${err.stack}` : line);
    });
  }

  private isExpected(line: string): boolean {
    return this.expected.some((e) => e.match.test(line));
  }

  /** What failed since the last check (for the message of a step that timed out). */
  pending(): string[] {
    return [...this.problems];
  }

  /** No error alert is on screen and nothing unexpected failed since the last check. */
  async expectClean(step: string): Promise<void> {
    const alerts = await this.page.locator('.pf-v5-c-alert.pf-m-danger').allInnerTexts();
    const problems = this.problems.splice(0);
    expect({ step, alerts, problems }).toEqual({ step, alerts: [], problems: [] });
  }
}

/**
 * Debian's Chromium for the browser tests (playwright-core): whether it is there, and one way to
 * launch it. A test file without it skips with a message; under REQUIRE_ALL=1 (CI) it fails.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { REQUIRE_ALL } from './components.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags every browser test runs with: headless in a container, no background traffic. */
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
];

/**
 * true when `what` (e.g. "login steps browser tests") can run: Chromium is installed and, when
 * `also` is given, `also.ok`. Otherwise warns and returns false, or throws under REQUIRE_ALL.
 * @throws Error under REQUIRE_ALL=1 when something is missing
 */
export function chromiumAvailable(what: string, also?: { ok: boolean; why: string }): boolean {
  const installed = existsSync(CHROMIUM);
  if (installed && (also?.ok ?? true)) return true;
  const why = installed
    ? also!.why
    : `Chromium is not installed (${CHROMIUM}; apt-get install chromium)`;
  if (REQUIRE_ALL) throw new Error(`${what} need it (REQUIRE_ALL=1): ${why}`);
  console.warn(`skipping ${what}: ${why}`);
  return false;
}

/** Launches headless Chromium with BASE_ARGS and `extraArgs`. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_ARGS, ...extraArgs.filter((a) => !BASE_ARGS.includes(a))],
  });
}

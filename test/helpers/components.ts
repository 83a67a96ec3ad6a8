/**
 * Test components that need something outside the project (PostgreSQL, Redis, SoftHSM...).
 * Locally a missing component skips the tests that need it, with the reason printed; in CI
 * (`REQUIRE_ALL=1`) a missing component is a failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { POSTGRES_TEMPLATE_ENV } from './store-template.ts';

export const REQUIRE_ALL = process.env.REQUIRE_ALL === '1';
export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    if (REQUIRE_ALL)
      throw new Error(
        `PostgreSQL is required (REQUIRE_ALL=1) but not reachable at ${POSTGRES_ADMIN_URL}: ${(err as Error).message}`,
      );
    console.warn(
      `skipping PostgreSQL tests: not reachable at ${POSTGRES_ADMIN_URL} (${(err as Error).message})`,
    );
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Options of createTestDatabase. */
export interface TestDatabaseOptions {
  /**
   * true: a copy of the run's migrated template database (test/helpers/store-template.ts), so
   * `migrate()` finds nothing to do; an empty database when the run has no template. Default
   * false: an empty database, as a first start sees it.
   */
  migrated?: boolean;
}

/** Creates a throwaway database and returns its URL and a function that drops it. */
export async function createTestDatabase(
  options: TestDatabaseOptions = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `qsign_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const template = options.migrated ? process.env[POSTGRES_TEMPLATE_ENV] : undefined;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A store a test suite runs on: PGlite in a temporary data dir, or a throwaway PostgreSQL database. */
export interface TestStore {
  name: 'PGlite' | 'PostgreSQL';
  /** Creates the PostgreSQL database (absent for PGlite). */
  databaseUrl?: () => Promise<{ url: string; drop: () => Promise<void> }>;
}

/**
 * The stores a `describe.each` runs on: PGlite always, PostgreSQL when it is reachable (with
 * `REQUIRE_ALL=1` an unreachable PostgreSQL throws instead, see postgresAvailable).
 */
export async function testStores(): Promise<TestStore[]> {
  const stores: TestStore[] = [{ name: 'PGlite' }];
  if (await postgresAvailable())
    stores.push({ name: 'PostgreSQL', databaseUrl: () => createTestDatabase({ migrated: true }) });
  return stores;
}

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function redisAvailable(): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch (err) {
    if (REQUIRE_ALL)
      throw new Error(
        `Redis is required (REQUIRE_ALL=1) but not reachable at ${REDIS_URL}: ${(err as Error).message}`,
      );
    console.warn(`skipping Redis tests: not reachable at ${REDIS_URL}`);
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * A SoftHSM2 token store of its own under `dir` (SOFTHSM2_CONF points at it for this process, so
 * the PKCS#11 library loaded afterwards sees these tokens only) with one initialised token per
 * label, user PIN `pin`, SO PIN `soPin`. SoftHSM lists tokens at C_Initialize: call it first.
 */
export function initSoftHsmTokens(dir: string, labels: string[], pin: string, soPin: string): void {
  mkdirSync(path.join(dir, 'tokens'), { recursive: true });
  writeFileSync(
    path.join(dir, 'softhsm2.conf'),
    `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = path.join(dir, 'softhsm2.conf');
  for (const label of labels)
    execFileSync('softhsm2-util', [
      '--init-token',
      '--free',
      '--label',
      label,
      '--pin',
      pin,
      '--so-pin',
      soPin,
    ]);
}

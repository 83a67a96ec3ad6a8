/**
 * Vitest global setup: makes the run's template stores once (test/helpers/store-template.ts) and
 * hands them to the test processes through environment variables; removes them at the end. A
 * PostgreSQL that is not reachable gets no template (the tests that need it skip or fail on
 * their own, see test/helpers/components.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { POSTGRES_ADMIN_URL } from './helpers/components.ts';
import {
  PGLITE_TEMPLATE_ENV,
  POSTGRES_TEMPLATE_ENV,
  dropPostgresTemplate,
  makePgliteTemplates,
  makePostgresTemplate,
  removePgliteTemplates,
} from './helpers/store-template.ts';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs `make`; on failure prints why and answers undefined: the tests then make fresh stores, as
 * without this setup (slower, same behaviour).
 */
async function orFresh<T>(what: string, make: () => Promise<T>): Promise<T | undefined> {
  try {
    return await make();
  } catch (err) {
    console.warn(`no ${what} template, tests make fresh stores: ${(err as Error).message}`);
    return undefined;
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  const name = `qsign_template_${process.pid}`;
  const postgres = await postgresReachable();
  // One after the other: PGlite's initdb holds this process's event loop for seconds, longer than
  // the PostgreSQL client's connection timeout.
  const template = postgres
    ? await orFresh('PostgreSQL', () => makePostgresTemplate(POSTGRES_ADMIN_URL, name))
    : undefined;
  const root = await orFresh('PGlite', () =>
    makePgliteTemplates(mkdtempSync(path.join(tmpdir(), 'qsign-template-'))),
  );
  if (root) process.env[PGLITE_TEMPLATE_ENV] = root;
  if (template) process.env[POSTGRES_TEMPLATE_ENV] = template;
  return async () => {
    if (root) removePgliteTemplates(root);
    if (postgres) await dropPostgresTemplate(POSTGRES_ADMIN_URL, name).catch(() => undefined);
  };
}

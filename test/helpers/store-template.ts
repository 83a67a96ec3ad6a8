/**
 * Template stores, made once per test run (test/global-setup.ts) and copied for each test, so a
 * new store costs a folder copy instead of a PGlite initdb (about 8 s of wall time, 1.1 GB of
 * peak memory on a 2-core machine) or a database creation plus the migrations.
 *
 * - PGlite: `<root>/blank/pglite` is a freshly initialised PGlite folder (no table of ours);
 *   `<root>/migrated/pglite` is the same after `migrate()`. `seedPgliteDataDir(dataDir)` copies
 *   one into `dataDir/pglite`, which `openSqlClient({ dataDir })` then opens as an existing store
 *   (and tightens to 0700/0600 as always).
 * - PostgreSQL: a migrated database that `createTestDatabase()` clones with
 *   `CREATE DATABASE x TEMPLATE t` (PostgreSQL docs, "Template Databases").
 *
 * The templates are found through environment variables that the global setup sets, so
 * everything here degrades to a fresh store (the old behaviour) when run without it, e.g. from
 * bench/. A test that exercises a fresh store (initdb, the first migration, DATA_DIR modes) passes
 * its own `dataDir`, or `fresh: true` to startServer, and gets no template.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { restrictTree } from '../../src/store/data-dir.ts';
import { migrate } from '../../src/store/migrations.ts';

/** Folder holding `blank/pglite` and `migrated/pglite`; set by test/global-setup.ts. */
export const PGLITE_TEMPLATE_ENV = 'QSIGN_TEST_PGLITE_TEMPLATE';
/** Name of the migrated PostgreSQL template database; set by test/global-setup.ts. */
export const POSTGRES_TEMPLATE_ENV = 'QSIGN_TEST_POSTGRES_TEMPLATE';

export type TemplateKind = 'blank' | 'migrated';

/**
 * Makes both PGlite templates under `root` (created if missing): one initdb, one migrate.
 * @returns `root`, the value for PGLITE_TEMPLATE_ENV.
 */
export async function makePgliteTemplates(root: string): Promise<string> {
  const blank = path.join(root, 'blank');
  mkdirSync(path.join(blank, 'pglite'), { recursive: true, mode: 0o700 });
  await (await PGlite.create(path.join(blank, 'pglite'))).close();
  restrictTree(blank);
  const migrated = path.join(root, 'migrated');
  copyPrivate(blank, migrated);
  const db = await openSqlClient({ dataDir: migrated });
  await migrate(db);
  await db.close();
  return root;
}

/**
 * Copies the `kind` PGlite template into `dataDir/pglite` when the templates exist and `dataDir`
 * holds no store yet.
 * @returns true when a template was copied; false when there is none (the store opens fresh).
 */
export function seedPgliteDataDir(dataDir: string, kind: TemplateKind = 'migrated'): boolean {
  const root = process.env[PGLITE_TEMPLATE_ENV];
  if (!root) return false;
  const source = path.join(root, kind, 'pglite');
  const target = path.join(dataDir, 'pglite');
  if (!existsSync(source) || existsSync(target)) return false;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  copyPrivate(source, target);
  return true;
}

/** Copies the tree `source` to `target` with folders 0700 and files 0600, as the server keeps them. */
function copyPrivate(source: string, target: string): void {
  cpSync(source, target, { recursive: true });
  restrictTree(target);
}

/** Runs `sql` on the server `adminUrl` points at, over one short-lived connection. */
async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates the migrated PostgreSQL template database `name` on the server of `adminUrl`
 * (dropping a left-over one first).
 * @returns `name`, the value for POSTGRES_TEMPLATE_ENV.
 */
export async function makePostgresTemplate(adminUrl: string, name: string): Promise<string> {
  await dropPostgresTemplate(adminUrl, name);
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openSqlClient({ databaseUrl: url.toString(), dataDir: '' });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  return name;
}

/** Drops the template database `name` if it exists. */
export async function dropPostgresTemplate(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** Removes the PGlite templates under `root`. */
export function removePgliteTemplates(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/**
 * A throwaway store for tests that use the SqlClient directly: PostgreSQL at `databaseUrl` when
 * given; else PGlite copied from the run's `kind` template into a temporary folder that `close()`
 * removes, or in memory (`memory://`, a fresh initdb) when the run has no template.
 */
export async function openTestStore(
  databaseUrl?: string,
  options: { keyEncryptionKey?: Buffer; kind?: TemplateKind } = {},
): Promise<SqlClient> {
  const { keyEncryptionKey, kind } = options;
  if (databaseUrl) return openSqlClient({ databaseUrl, dataDir: '', keyEncryptionKey });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-store-'));
  if (!seedPgliteDataDir(dataDir, kind)) {
    rmSync(dataDir, { recursive: true, force: true });
    return openSqlClient({ dataDir: 'memory://', keyEncryptionKey });
  }
  const db = await openSqlClient({ dataDir, keyEncryptionKey });
  return {
    kind: db.kind,
    get keyEncryptionKey() {
      return db.keyEncryptionKey;
    },
    query: (text, params) => db.query(text, params),
    transaction: (fn, txOptions) => db.transaction(fn, txOptions),
    close: async () => {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

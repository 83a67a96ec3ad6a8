/**
 * The embedded store's build-time template (src/store/pglite-template.ts): a new DATA_DIR made
 * from it is a working, migrated, private store holding nothing of another installation; a
 * missing, stale or unreadable template, or a DATA_DIR that already holds a store, leaves the old
 * behaviour (initdb, or the store as it is).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  STORE_TEMPLATE_DIR,
  makeStoreTemplate,
  seedFromTemplate,
  templateUsable,
} from '../../src/store/pglite-template.ts';
import { openStore } from '../../src/bootstrap.ts';
import { loadConfig } from '../../src/config.ts';
import { openSqlClient, pgliteFolder } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';

const root = mkdtempSync(path.join(tmpdir(), 'qsign-store-template-'));
const template = path.join(root, 'template');
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => makeStoreTemplate(template), 180_000);

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('store template', () => {
  it('is stamped for this build and holds no row but the migration records', async () => {
    expect(templateUsable(template)).toBe(true);
    const dataDir = path.join(root, 'inspect');
    expect(seedFromTemplate(pgliteFolder(dataDir), template)).toBe(true);
    const db = await openSqlClient({ dataDir });
    try {
      const tables = await db.query<{ name: string }>(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
      );
      expect(tables.map((t) => t.name)).toContain('realms');
      for (const { name } of tables) {
        const [{ count }] = await db.query<{ count: string }>(
          `SELECT count(*)::text AS count FROM "${name}"`,
        );
        if (name !== 'schema_migrations') expect({ name, count }).toEqual({ name, count: '0' });
      }
    } finally {
      await db.close();
    }
  });

  it('a new DATA_DIR made from it opens migrated (no migration left) and private', async () => {
    const dataDir = path.join(root, 'seeded');
    expect(seedFromTemplate(pgliteFolder(dataDir), template)).toBe(true);
    const db = await openSqlClient({ dataDir });
    try {
      expect(await migrate(db)).toBe(0);
      await db.query("INSERT INTO realms (id, name, representation) VALUES ('r1', 'one', '{}')");
      expect(await db.query('SELECT name FROM realms')).toEqual([{ name: 'one' }]);
    } finally {
      await db.close();
    }
    expect(modeOf(dataDir)).toBe(0o700);
    for (const entry of readdirSync(pgliteFolder(dataDir), {
      recursive: true,
      withFileTypes: true,
    }))
      expect(modeOf(path.join(entry.parentPath, entry.name)) & 0o077).toBe(0);
    // No staging folder left beside it.
    expect(readdirSync(dataDir)).toEqual(['pglite']);
  });

  it('leaves a DATA_DIR that already holds a store as it is', async () => {
    const dataDir = path.join(root, 'existing');
    expect(seedFromTemplate(pgliteFolder(dataDir), template)).toBe(true);
    const db = await openSqlClient({ dataDir });
    await db.query("INSERT INTO realms (id, name, representation) VALUES ('r2', 'kept', '{}')");
    await db.close();
    expect(seedFromTemplate(pgliteFolder(dataDir), template)).toBe(false);
    const again = await openSqlClient({ dataDir });
    try {
      expect(await again.query('SELECT name FROM realms')).toEqual([{ name: 'kept' }]);
    } finally {
      await again.close();
    }
  });

  it('fills an empty store folder and removes a copy left by an interrupted seeding', () => {
    const dataDir = path.join(root, 'interrupted');
    mkdirSync(pgliteFolder(dataDir), { recursive: true });
    const leftover = `${pgliteFolder(dataDir)}.seed-999999`;
    mkdirSync(leftover);
    writeFileSync(path.join(leftover, 'PG_VERSION'), '17\n');
    expect(seedFromTemplate(pgliteFolder(dataDir), template)).toBe(true);
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(path.join(pgliteFolder(dataDir), 'PG_VERSION'))).toBe(true);
  });

  it('is not used when stale (other migrations) or unreadable', () => {
    const stale = path.join(root, 'stale');
    mkdirSync(stale);
    const stamp = JSON.parse(readFileSync(path.join(template, 'template.json'), 'utf8'));
    writeFileSync(
      path.join(stale, 'template.json'),
      JSON.stringify({ ...stamp, migrations: 'an older schema' }),
    );
    expect(templateUsable(stale)).toBe(false);
    writeFileSync(path.join(stale, 'template.json'), 'not json');
    expect(templateUsable(stale)).toBe(false);
    const dataDir = path.join(root, 'not-seeded');
    expect(seedFromTemplate(pgliteFolder(dataDir), stale)).toBe(false);
    expect(existsSync(pgliteFolder(dataDir))).toBe(false);
  });

  it('without a template a new DATA_DIR is made by initdb, as before', async () => {
    const dataDir = path.join(root, 'initdb');
    expect(seedFromTemplate(pgliteFolder(dataDir), path.join(root, 'missing'))).toBe(false);
    const db = await openSqlClient({ dataDir });
    try {
      expect(await migrate(db)).toBeGreaterThan(0);
      expect(await db.query('SELECT count(*)::int AS n FROM realms')).toEqual([{ n: 0 }]);
    } finally {
      await db.close();
    }
    expect(existsSync(path.join(pgliteFolder(dataDir), 'PG_VERSION'))).toBe(true);
  }, 180_000);

  it("the server opens a new DATA_DIR from the build's template (npm run build:store-template)", async () => {
    // What `prepare` makes; made here when this checkout has not run it.
    if (!templateUsable(STORE_TEMPLATE_DIR)) await makeStoreTemplate(STORE_TEMPLATE_DIR);
    const opened = new Date();
    const dataDir = path.join(root, 'server');
    const db = await openStore(
      loadConfig({
        DATA_DIR: dataDir,
        KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      }),
    );
    try {
      // Every migration was applied when the template was made, before this store was opened.
      const rows = await db.query<{ at: Date }>(
        'SELECT max(applied_at) AS at FROM schema_migrations',
      );
      expect(rows[0].at.getTime()).toBeLessThan(opened.getTime());
    } finally {
      await db.close();
    }
  }, 180_000);
});

/**
 * Data survives a restart on both stores (same keys, same kid, same users), a realm import is
 * all-or-nothing, and `npm start -- import FILE` works from the command line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { asJson } from '../helpers/json.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO, startServer } from '../helpers/server.ts';
import { seedPgliteDataDir } from '../helpers/store-template.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';
import { openSqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { importRealm, parseRealm } from '../../src/realm/import.ts';
import { findRealm } from '../../src/store/realms.ts';

const run = promisify(execFile);
const demo = path.join(REPO, 'realms', 'demo.json');
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function kidsAndLogin(baseUrl: string) {
  const jwks = await (
    await fetch(`${baseUrl}/realms/demo/protocol/openid-connect/certs`)
  )
    .json()
    .then(asJson);
  const res = await fetch(`${baseUrl}/realms/demo/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'demo-cli',
      username: 'bob',
      password: 'bob',
    }),
  });
  return { kids: jwks.keys.map((k: { kid: string }) => k.kid).sort(), status: res.status };
}

const stores: { name: string; setup: () => Promise<{ dataDir?: string; databaseUrl?: string }> }[] =
  [
    {
      name: 'PGlite',
      setup: async () => {
        const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-persist-'));
        cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
        return { dataDir };
      },
    },
  ];
if (await postgresAvailable()) {
  stores.push({
    name: 'PostgreSQL',
    setup: async () => {
      const db = await createTestDatabase();
      cleanups.push(db.drop);
      return { databaseUrl: db.url };
    },
  });
}

describe.each(stores)('persistence on $name', (store) => {
  it('keeps keys (same kid) and users across a restart', async () => {
    const where = await store.setup();
    const first = await startServer({ ...where, realmFiles: [demo] });
    const before = await kidsAndLogin(first.baseUrl);
    await first.stop();
    const second = await startServer({ ...where, realmFiles: [demo] });
    const after = await kidsAndLogin(second.baseUrl);
    await second.stop();
    expect(before.status).toBe(200);
    expect(after).toEqual(before);
    expect(before.kids.length).toBeGreaterThanOrEqual(2);
  });

  it('writes nothing of a realm whose import fails half way', async () => {
    const where = await store.setup();
    const db = await openSqlClient({
      databaseUrl: where.databaseUrl,
      dataDir: where.dataDir ?? '',
    });
    await migrate(db);
    // Valid on paper, but two users share a primary key: the second INSERT fails inside the transaction.
    const rep = parseRealm(
      {
        realm: 'half',
        users: [
          { id: 'same', username: 'a' },
          { id: 'same', username: 'b' },
        ],
      },
      'half.json',
      {},
    );
    await expect(importRealm(db, Buffer.alloc(32, 3), rep)).rejects.toThrow();
    expect(await findRealm(db, 'half')).toBeUndefined();
    expect(await db.query("SELECT 1 FROM users WHERE id = 'same'")).toEqual([]);
    await db.close();
  });
});

describe('command line import', () => {
  it('imports a file, skips an existing realm, replaces it with --override, and rejects a malformed file with exit code 2', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-cli-'));
    seedPgliteDataDir(dataDir);
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const cli = (...args: string[]) =>
      run(process.execPath, ['src/main.ts', 'import', ...args], { cwd: REPO, env });
    await cli(demo);
    const skipped = await cli(demo);
    expect(skipped.stderr).toContain('realm "demo" exists; use --override to replace it');
    await cli('--override', demo);
    const bad = path.join(dataDir, 'bad-realm.json');
    writeFileSync(bad, JSON.stringify({ realm: 'bad', clients: [{ clientId: 7 }] }));
    const failure = await cli(bad).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('bad-realm.json: realm rejected, nothing imported');
    expect(failure?.stderr).toContain('at clients[0].clientId:');
  });

  it('refuses to start, with exit code 2, under a KEY_ENCRYPTION_KEY that opens none of the stored keys', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-kek-'));
    seedPgliteDataDir(dataDir);
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const withKek = (kek: Buffer, ...args: string[]) =>
      run(process.execPath, ['src/main.ts', ...args], {
        cwd: REPO,
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          LOG_LEVEL: 'silent',
          KEY_ENCRYPTION_KEY: kek.toString('base64'),
        },
      });
    const refusal = (kek: Buffer, ...args: string[]) =>
      withKek(kek, ...args).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
    const right = Buffer.alloc(32, 1);
    const wrong = Buffer.alloc(32, 2);
    const keyCount = async () => {
      const db = await openSqlClient({ dataDir });
      try {
        return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM keys'))[0].n);
      } finally {
        await db.close();
      }
    };

    // A store without local keys yet: the check value sealed at its first opening decides.
    await withKek(right, 'events', 'verify');
    const early = await refusal(wrong, 'events', 'verify');
    expect(early?.code).toBe(2);
    expect(early?.stderr).toContain(
      'KEY_ENCRYPTION_KEY opens the check value sealed when this store was first opened',
    );

    await withKek(right, 'import', demo);
    const before = await keyCount();
    for (const args of [
      ['import', demo],
      ['keys', 'rotate', '--realm', 'demo', '--alg', 'ML-DSA-65'],
      ['start'],
    ]) {
      const refused = await refusal(wrong, ...args);
      expect(refused?.code, args.join(' ')).toBe(2);
      expect(refused?.stderr).toContain('KEY_ENCRYPTION_KEY opens none of the');
      expect(refused?.stderr).not.toContain(wrong.toString('base64'));
    }
    // Nothing was sealed under the wrong key; listing works without the right one (a way out).
    expect(await keyCount()).toBe(before);
    expect((await withKek(wrong, 'keys', 'list', '--realm', 'demo')).stdout).toContain('ML-DSA-65');
    await withKek(right, 'keys', 'rotate', '--realm', 'demo', '--alg', 'ML-DSA-65');
    expect(await keyCount()).toBe(before + 1);
  });
});

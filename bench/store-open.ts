/**
 * What one new test store costs: open a PGlite store, migrate it and import realms/master.json,
 * made from nothing (initdb) or from a copy of a migrated template (test/helpers/store-template.ts,
 * what the test suite does). Each case runs in a child process of its own, so its peak RSS is its
 * own; the template is made once, beforehand, and not counted.
 * Run: node bench/store-open.ts   (prints a Markdown table: wall ms, CPU ms, peak RSS MB)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openSqlClient } from '../src/store/sql.ts';
import { migrate } from '../src/store/migrations.ts';
import { importRealm, readRealmFile } from '../src/realm/import.ts';
import { Backends } from '../src/signer/backends.ts';
import { createLogger } from '../src/log.ts';
import { MASTER_REALM_FILE } from '../test/helpers/server.ts';
import {
  PGLITE_TEMPLATE_ENV,
  makePgliteTemplates,
  seedPgliteDataDir,
} from '../test/helpers/store-template.ts';

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** One case, in this process: prints `{ wallMs, cpuMs, rssMb }` as JSON. */
async function measure(): Promise<void> {
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-bench-store-'));
  seedPgliteDataDir(dataDir);
  const kek = Buffer.alloc(32, 7);
  const db = await openSqlClient({ dataDir, keyEncryptionKey: kek });
  await migrate(db);
  const realm = await readRealmFile(MASTER_REALM_FILE, {
    KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
    KC_BOOTSTRAP_ADMIN_PASSWORD: 'admin-test-password',
  });
  const backends = new Backends(undefined, createLogger('silent'));
  await importRealm(db, kek, realm, { backends });
  await db.close();
  const result = {
    wallMs: Math.round(performance.now() - wall0),
    cpuMs: Math.round(cpuMs() - cpu0),
    rssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function child(env: NodeJS.ProcessEnv): { wallMs: number; cpuMs: number; rssMb: number } {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'measure'], {
    env,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

if (process.argv[2] === 'measure') await measure();
else {
  const { [PGLITE_TEMPLATE_ENV]: _unset, ...bare } = process.env;
  const root = await makePgliteTemplates(mkdtempSync(path.join(tmpdir(), 'qsign-bench-tpl-')));
  try {
    const fresh = child(bare);
    const template = child({ ...bare, [PGLITE_TEMPLATE_ENV]: root });
    const rows = [
      '| store + master import | wall ms | CPU ms | peak RSS MB |',
      '| --- | --- | --- | --- |',
      `| fresh (initdb, every migration) | ${fresh.wallMs} | ${fresh.cpuMs} | ${fresh.rssMb} |`,
      `| copied migrated template | ${template.wallMs} | ${template.cpuMs} | ${template.rssMb} |`,
    ];
    process.stdout.write(`${rows.join('\n')}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * What V8's optimising WebAssembly tier buys PGlite (src/wasm-tiering.ts): transactions per second
 * (an INSERT of a 250-byte jsonb row and a SELECT of it by key, each pair in one transaction) and
 * CPU time per transaction (steadier than the rate on a busy machine) and this process's RSS / peak RSS, in three rounds of 3,000, on a fresh store (store/sql.ts options).
 * Run it twice to compare:
 *   node bench/pglite-tiering.ts                 (V8's default tiering, as the server runs)
 *   node bench/pglite-tiering.ts baseline        (baseline compiler only, as the CLI commands run)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { baselineWasmOnly } from '../src/wasm-tiering.ts';
import { openSqlClient } from '../src/store/sql.ts';
import { seedFromTemplate } from '../src/store/pglite-template.ts';

if (process.argv[2] === 'baseline') baselineWasmOnly();
const memory = () => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const mb = (field: string) =>
    Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024);
  return `RSS ${mb('VmRSS')} MB, peak ${mb('VmHWM')} MB`;
};
const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-bench-tiering-'));
seedFromTemplate(path.join(dataDir, 'pglite'));
const db = await openSqlClient({ dataDir });
await db.query('CREATE TABLE t (id text PRIMARY KEY, realm text, data jsonb, exp timestamptz)');
const data = JSON.stringify({ b: 'x'.repeat(200), c: [1, 2, 3] });
for (const round of [1, 2, 3]) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < 3000; i += 1)
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES ($1, $2, $3, now())', [`k${round}-${i}`, 'r', data]);
      await tx.query("SELECT data->>'b' AS b FROM t WHERE id = $1 AND realm = $2", [
        `k${round}-${i}`,
        'r',
      ]);
    });
  const rate = Math.round(3000 / ((performance.now() - t0) / 1000));
  const { user, system } = process.cpuUsage(cpu0);
  const cpuUs = Math.round((user + system) / 3000);
  process.stdout.write(
    `round ${round}: ${rate} transactions/s, ${cpuUs} µs CPU each; ${memory()}\n`,
  );
}
await db.close();
rmSync(dataDir, { recursive: true, force: true });

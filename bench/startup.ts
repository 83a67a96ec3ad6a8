/**
 * Start-up and memory (issue 22, item 2): the server started as `npm start` starts it (the start
 * script's GLIBC_TUNABLES and node flags, read from package.json), with the repository's realms
 * folder, timed from spawn to the first 200 of /health/ready (every realm loaded); its peak RSS
 * (VmHWM) at ready, its RSS (VmRSS) after IDLE_SECONDS idle, and its CPU seconds (user + system,
 * /proc/<pid>/stat) at ready, summed over the process and its children. Cases: a fresh DATA_DIR
 * (PGlite), the same DATA_DIR again (existing store), PostgreSQL (a new database); then
 * `qsign-oidc import FILE` of a Keycloak fixture into a fresh DATA_DIR (wall, peak, CPU, polled
 * from /proc every 20 ms until it exits).
 *
 * Run: npm run bench -- startup        (a Markdown table on stdout; RUNS=3 by default, medians)
 * Env: RUNS, IDLE_SECONDS (default 10), DATABASE_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 *      IMPORT_FILE (default test/fixtures/keycloak-realms/quickstarts-js-spa.json)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const REPO = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.RUNS ?? 3);
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 10);
const ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const IMPORT_FILE =
  process.env.IMPORT_FILE ??
  path.join(REPO, 'test/fixtures/keycloak-realms/quickstarts-js-spa.json');
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** The start script's environment assignments and node flags (package.json "start"). */
function startCommand(): { env: Record<string, string>; nodeArgs: string[] } {
  const script: string = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts
    .start;
  const words = script.split(/\s+/).filter((w) => w && w !== 'exec');
  const env: Record<string, string> = {};
  const nodeArgs: string[] = [];
  for (const word of words) {
    const assignment = /^([A-Z_]+)=(.*)$/.exec(word);
    if (assignment) env[assignment[1]] = assignment[2];
    else if (word.startsWith('-')) nodeArgs.push(word);
  }
  return { env, nodeArgs };
}

/** The pid and its descendants, from /proc/<pid>/task/<tid>/children. */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i += 1) {
    const taskDir = `/proc/${out[i]}/task`;
    if (!existsSync(taskDir)) continue;
    for (const tid of readdirSync(taskDir)) {
      const children = readFileSync(`${taskDir}/${tid}/children`, 'utf8').trim();
      if (children) out.push(...children.split(/\s+/).map(Number));
    }
  }
  return out;
}

interface Sample {
  hwmMb: number;
  rssMb: number;
  cpuS: number;
}

/** VmHWM, VmRSS (MB) and user + system CPU (s) summed over the tree; zeros once it has exited. */
function sample(pid: number): Sample {
  const total = { hwmMb: 0, rssMb: 0, cpuS: 0 };
  for (const p of tree(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const kb = (field: string) =>
        Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total.hwmMb += kb('VmHWM') / 1024;
      total.rssMb += kb('VmRSS') / 1024;
      total.cpuS += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      // exited between the listing and the read
    }
  }
  return total;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function spawnQsign(args: string[], env: Record<string, string>) {
  const start = startCommand();
  const child = spawn(process.execPath, [...start.nodeArgs, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      ...start.env,
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
      WORKERS: '1',
      ...env,
    },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stderr: () => stderr };
}

interface StartResult {
  readyS: number;
  cpuS: number;
  peakMb: number;
  idleMb: number;
}

/** One `start`: spawn → first 200 of /health/ready → IDLE_SECONDS idle → SIGTERM. */
async function startOnce(env: Record<string, string>): Promise<StartResult> {
  const port = await freePort();
  const t0 = performance.now();
  const { child, stderr } = spawnQsign(['src/main.ts', 'start'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    ...env,
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited early:\n${stderr()}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await sleep(20);
    }
    const readyS = (performance.now() - t0) / 1000;
    const atReady = sample(child.pid!);
    await sleep(IDLE_SECONDS * 1000);
    const idle = sample(child.pid!);
    return {
      readyS,
      cpuS: atReady.cpuS,
      peakMb: Math.max(atReady.hwmMb, idle.hwmMb),
      idleMb: idle.rssMb,
    };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

/** One `import FILE` into a fresh DATA_DIR: wall, CPU and peak polled until exit. */
async function importOnce(dataDir: string): Promise<StartResult> {
  const t0 = performance.now();
  const { child, stderr } = spawnQsign(['src/main.ts', 'import', IMPORT_FILE], {
    DATA_DIR: dataDir,
    DATABASE_URL: '',
  });
  let last: Sample = { hwmMb: 0, rssMb: 0, cpuS: 0 };
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  while (code === undefined) {
    const s = sample(child.pid!);
    if (s.hwmMb) last = s;
    await sleep(20);
  }
  if (code !== 0) throw new Error(`import failed (${code}):\n${stderr()}`);
  return {
    readyS: (performance.now() - t0) / 1000,
    cpuS: last.cpuS,
    peakMb: last.hwmMb,
    idleMb: NaN,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

function row(name: string, results: StartResult[]): string {
  const m = (key: keyof StartResult, digits: number) => {
    const v = median(results.map((r) => r[key]));
    return Number.isNaN(v) ? '–' : v.toFixed(digits);
  };
  return `| ${name} | ${m('readyS', 2)} | ${m('cpuS', 2)} | ${m('peakMb', 0)} | ${m('idleMb', 0)} |`;
}

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `qsign_bench_startup_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const fresh: StartResult[] = [];
const existing: StartResult[] = [];
const postgres: StartResult[] = [];
const imports: StartResult[] = [];
for (let run = 0; run < RUNS; run += 1) {
  const dir = mkdtempSync(path.join(tmpdir(), 'qsign-bench-startup-'));
  try {
    const dataDir = path.join(dir, 'data');
    fresh.push(await startOnce({ DATA_DIR: dataDir, DATABASE_URL: '' }));
    existing.push(await startOnce({ DATA_DIR: dataDir, DATABASE_URL: '' }));
    postgres.push(await withDatabase((url) => startOnce({ DATA_DIR: dataDir, DATABASE_URL: url })));
    imports.push(await importOnce(path.join(dir, 'import-data')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stderr.write(`run ${run + 1}/${RUNS} done\n`);
}
process.stdout.write(
  [
    `| case (median of ${RUNS}) | ready / exit s | CPU s | peak RSS MB | idle RSS MB (${IDLE_SECONDS} s) |`,
    '| --- | --- | --- | --- | --- |',
    row('start, fresh DATA_DIR (PGlite)', fresh),
    row('start, existing DATA_DIR (PGlite)', existing),
    row('start, PostgreSQL (new database)', postgres),
    row(`import ${path.basename(IMPORT_FILE)}, fresh DATA_DIR`, imports),
  ].join('\n') + '\n',
);

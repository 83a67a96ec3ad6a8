/**
 * Shared parts of `npm run bench -- scale` (bench/scale/run.ts): the server as `npm start` runs it
 * (a separate process, its flags from package.json), a latency sampler (p50 / p99 in ms over a
 * bounded number of requests), RSS from /proc, and Markdown table helpers.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { SqlClient } from '../../src/store/sql.ts';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const KEK = Buffer.alloc(32, 5).toString('base64');
export const ADMIN_PASSWORD = 'scale-admin-password';

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** Resident set size of `pid` in MB (VmRSS), NaN when it is gone; `peak` for VmHWM. */
export const rssMb = (pid: number, peak = false) => {
  try {
    const field = peak ? 'VmHWM' : 'VmRSS';
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024;
  } catch {
    return NaN;
  }
};

/** The environment every bench server and CLI call gets (store, KEK, bootstrap admin). */
export function serverEnv(dataDir: string, databaseUrl?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KEY_ENCRYPTION_KEY: KEK,
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    REALMS_DIR: path.join(dataDir, 'none'),
    HOST: '127.0.0.1',
    KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
    KC_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  return env;
}

/** `node src/main.ts import FILE...` (the CLI an operator runs); returns wall ms and peak RSS MB. */
export function importFiles(env: NodeJS.ProcessEnv, files: string[]): { ms: number } {
  const t0 = performance.now();
  execFileSync(process.execPath, ['src/main.ts', 'import', ...files], { cwd: REPO, env });
  return { ms: performance.now() - t0 };
}

const START = (
  JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  }
).scripts.start.split(/\s+/);
const START_ENV = Object.fromEntries(
  START.slice(0, START.indexOf('node')).map((kv) => [
    kv.slice(0, kv.indexOf('=')),
    kv.slice(kv.indexOf('=') + 1),
  ]),
);
const START_ARGS = START.slice(START.indexOf('node') + 1);

export interface Server {
  proc: ChildProcess;
  url: string;
  /** ms from spawn to the first 200 of /health/ready. */
  startMs: number;
  stop: () => Promise<void>;
}

/** Starts the server as `npm start` does (one worker unless `workers`), waits until ready (60 s). */
export async function startServer(
  env: NodeJS.ProcessEnv,
  logFile: string,
  workers = 1,
): Promise<Server> {
  const port = await freePort();
  const t0 = performance.now();
  const proc = spawn(process.execPath, START_ARGS, {
    cwd: REPO,
    env: { ...env, ...START_ENV, PORT: String(port), WORKERS: String(workers) },
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
  });
  const url = `http://127.0.0.1:${port}`;
  let ready = false;
  for (let i = 0; i < 1200 && !ready && proc.exitCode === null; i += 1) {
    ready = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 50));
  }
  if (!ready) throw new Error(`server did not start; see ${logFile}`);
  const startMs = performance.now() - t0;
  const stop = async () => {
    if (proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  return { proc, url, startMs, stop };
}

/** A master-realm admin token (admin-cli, password grant); master tokens live 60 s, so ask often. */
export async function adminToken(url: string): Promise<string> {
  const r = await fetch(`${url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'admin-cli',
      username: 'admin',
      password: ADMIN_PASSWORD,
    }),
  });
  const body = (await r.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no admin token: ${JSON.stringify(body)}`);
  return body.access_token;
}

export interface Latency {
  p50: number;
  p99: number;
  n: number;
  errors: number;
}

/**
 * Sends `count` requests, `concurrency` at a time (after `warmup` unmeasured ones), each made by
 * `request(i)`, stopping early once `until()` is true; a status other than 2xx counts as an
 * error. Latencies in ms.
 */
export async function sample(
  request: (i: number) => Promise<Response>,
  {
    count = 60,
    concurrency = 2,
    warmup = 4,
    until,
  }: { count?: number; concurrency?: number; warmup?: number; until?: () => boolean } = {},
): Promise<Latency> {
  for (let i = 0; i < warmup; i += 1) await (await request(-1 - i)).arrayBuffer();
  const times: number[] = [];
  let errors = 0;
  let next = 0;
  const lane = async () => {
    while (next < count && !until?.()) {
      const i = next++;
      const t0 = performance.now();
      const r = await request(i);
      await r.arrayBuffer();
      times.push(performance.now() - t0);
      if (!r.ok) errors += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99), n: times.length, errors };
}

export const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
export const ratio = (n: number, base: number) =>
  Number.isFinite(n / base) ? `${(n / base).toFixed(2)}×` : 'n/a';

/** Markdown table lines. */
export function table(header: string[], rows: (string | number)[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

export const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/**
 * Runs `sql` (VACUUM, ANALYZE: outside any transaction) without the store's 4 s statement bound:
 * on PostgreSQL over a connection of its own, on PGlite (no bounds) through `db`.
 */
export async function maintenance(db: SqlClient, databaseUrl: string | undefined, sql: string) {
  if (!databaseUrl) {
    await db.query(sql);
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

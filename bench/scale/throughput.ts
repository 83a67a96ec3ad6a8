/**
 * Throughput left on the table (issue 22 item 3), `SCALE_PARTS=throughput` (not in the default
 * parts): on PostgreSQL, one server (`npm start`, one worker), the password grant with 8 in
 * flight (argon2id on libuv's pool) and refresh grants at 1, 4 and 16 in flight, each for
 * SECONDS: requests/s, the server's CPU-seconds per request (utime + stime of all its threads,
 * /proc/PID/stat), and the database's commits per request (pg_stat_database.xact_commit of the
 * bench's own database). Then refresh at 16 in flight again under each of the variants tried for
 * group commit: `commit_delay` (PostgreSQL waits that long before flushing WAL when
 * `commit_siblings` other transactions are open, so concurrent commits share one flush) and pool
 * sizes (DB_POOL_MAX_SIZE). synchronous_commit stays on: an answer is sent only after its commit
 * is flushed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../../test/helpers/components.ts';
import { form, importFiles, serverEnv, startServer, table, fmt, type Server } from './common.ts';

const SECONDS = 6;
const PASSWORD = 'throughput-password';

export interface ThroughputRow {
  name: string;
  inFlight: number;
  perS: number;
  cpuMsPerRequest: number;
  commitsPerRequest: number;
  writesPerRequest: number;
  errors: number;
}

/** CPU-seconds (user + system, all threads) the process `pid` has used. */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/**
 * The bench database's committed transactions (reads in autocommit count too) and rows written
 * (inserted, updated, deleted, over every table), from PostgreSQL's statistics views.
 */
async function commits(url: string): Promise<{ xacts: number; writes: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ x: string; w: string }>(
      `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) AS x,
         (SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables) AS w`,
    );
    return { xacts: Number(rows[0].x), writes: Number(rows[0].w) };
  } finally {
    await c.end();
  }
}

/** Runs `inFlight` loops of `request` for SECONDS; rate, CPU and commits per request. */
async function measure(
  server: Server,
  url: string,
  name: string,
  inFlight: number,
  request: (lane: number) => Promise<boolean>,
): Promise<ThroughputRow> {
  // pg_stat_database is updated when a backend's transaction ends, at most every 500 ms (PG 15).
  const c0 = await commits(url);
  const cpu0 = cpuSeconds(server.proc.pid!);
  const t0 = performance.now();
  let done = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      while (performance.now() - t0 < SECONDS * 1000) {
        if (await request(lane)) done += 1;
        else errors += 1;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(server.proc.pid!) - cpu0;
  await new Promise((r) => setTimeout(r, 1100));
  const c1 = await commits(url);
  return {
    name,
    inFlight,
    perS: done / wall,
    cpuMsPerRequest: (cpu * 1000) / Math.max(1, done),
    commitsPerRequest: (c1.xacts - c0.xacts) / Math.max(1, done),
    writesPerRequest: (c1.writes - c0.writes) / Math.max(1, done),
    errors,
  };
}

async function login(token: string): Promise<string> {
  const r = await fetch(
    token,
    form({ grant_type: 'password', client_id: 'pw', username: 'u', password: PASSWORD }),
  );
  return ((await r.json()) as { refresh_token: string }).refresh_token;
}

/** Measures one server start (`env`): password (if asked) and refresh at each of `inFlight`. */
async function runServer(
  env: NodeJS.ProcessEnv,
  dir: string,
  url: string,
  label: string,
  inFlight: number[],
  password: boolean,
): Promise<ThroughputRow[]> {
  const server = await startServer(env, path.join(dir, 'server.log'));
  const token = `${server.url}/realms/tp/protocol/openid-connect/token`;
  const rows: ThroughputRow[] = [];
  try {
    if (password)
      rows.push(
        await measure(server, url, 'password grant', 8, async () =>
          fetch(
            token,
            form({ grant_type: 'password', client_id: 'pw', username: 'u', password: PASSWORD }),
          ).then(async (r) => (await r.arrayBuffer(), r.ok)),
        ),
      );
    for (const n of inFlight) {
      const lanes = await Promise.all(Array.from({ length: n }, () => login(token)));
      rows.push(
        await measure(server, url, `refresh${label}`, n, async (lane) => {
          const r = await fetch(
            token,
            form({ grant_type: 'refresh_token', client_id: 'pw', refresh_token: lanes[lane] }),
          );
          const body = (await r.json()) as { refresh_token?: string };
          if (body.refresh_token) lanes[lane] = body.refresh_token;
          return r.ok;
        }),
      );
    }
  } finally {
    await server.stop();
  }
  return rows;
}

/** The measurements, in order; `log` gets a line per row. */
export async function throughputRun(log: (line: string) => void): Promise<ThroughputRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'qsign-scale-tp-'));
  const database = await createTestDatabase();
  const env = serverEnv(dir, database.url);
  const file = path.join(dir, 'tp.json');
  writeFileSync(
    file,
    JSON.stringify({
      realm: 'tp',
      clients: [{ clientId: 'pw', publicClient: true, directAccessGrantsEnabled: true }],
      users: [{ username: 'u', credentials: [{ value: PASSWORD }] }],
    }),
  );
  importFiles(env, [file]);
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  const dbName = new URL(database.url).pathname.slice(1);
  const rows: ThroughputRow[] = [];
  const variant = async (label: string, sql: string[], extra: NodeJS.ProcessEnv = {}) => {
    for (const s of sql) await admin.query(s.replace('$DB', dbName));
    const got = await runServer({ ...env, ...extra }, dir, database.url, label, [16], false);
    for (const r of got) log(line(r));
    rows.push(...got);
  };
  const line = (r: ThroughputRow) =>
    `${r.name} x${r.inFlight}: ${r.perS.toFixed(0)}/s, ${r.cpuMsPerRequest.toFixed(2)} CPU-ms, ${r.commitsPerRequest.toFixed(2)} transactions, ${r.writesPerRequest.toFixed(2)} rows written per request (errors ${r.errors})`;
  try {
    const base = await runServer(env, dir, database.url, '', [1, 4, 16], true);
    for (const r of base) log(line(r));
    rows.push(...base);
    await variant(', commit_delay 200 µs', [
      'ALTER DATABASE $DB SET commit_delay = 200',
      'ALTER DATABASE $DB SET commit_siblings = 2',
    ]);
    await variant(', commit_delay 1 ms', ['ALTER DATABASE $DB SET commit_delay = 1000']);
    await variant(', pool 4, no delay', ['ALTER DATABASE $DB RESET commit_delay'], {
      DB_POOL_MAX_SIZE: '4',
    });
    await variant(', pool 32', [], { DB_POOL_MAX_SIZE: '32' });
  } finally {
    await admin.end();
    await database.drop();
  }
  return rows;
}

export function throughputReport(rows: ThroughputRow[]): string[] {
  return [
    '## Throughput (PostgreSQL, one worker)',
    '',
    `Each row: ${SECONDS} s of requests, the stated number in flight. CPU is the server process's (all threads), not PostgreSQL's.`,
    '',
    ...table(
      [
        'request',
        'in flight',
        'per s',
        'server CPU ms per request',
        'per CPU-second',
        'transactions per request (reads too)',
        'rows written per request',
        'errors',
      ],
      rows.map((r) => [
        r.name,
        r.inFlight,
        fmt(r.perS, 0),
        fmt(r.cpuMsPerRequest, 2),
        fmt(1000 / r.cpuMsPerRequest, 0),
        fmt(r.commitsPerRequest, 2),
        fmt(r.writesPerRequest, 2),
        r.errors,
      ]),
    ),
    '',
  ];
}

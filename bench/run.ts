/**
 * `npm run bench`: the real server (a separate process, over PostgreSQL) under autocannon from
 * this process, measured in one run beside (a) the raw single-core signing rate of each alg and
 * (b) a baseline, oidc-provider as it ships (bench/baseline-server.ts). Reports absolute numbers and
 * ratios (ours / baseline, grants / raw signing), for one worker and for all cores, plus password
 * logins/s (argon2id t=5, m=7 MiB, p=1, Keycloak's), the same with `scope=openid` (an id token
 * too) without and with 10 protocol mappers and the ratio of those two, refresh grants/s, /certs requests/s and RSS per
 * process. Writes bench/results/latest.md. Seconds per measurement: BENCH_SECONDS (default 5).
 *
 * Shared machines change speed from one minute to the next, so ours/baseline is not two numbers
 * taken minutes apart: for the algs the baseline has, ours (one worker) and the baseline are
 * loaded in turn, BENCH_PAIRS times (default 5) for BENCH_SLICE_SECONDS each (default 3), and the
 * ratio is the median of the pairs' ratios (their range is reported too). Raw signing of those
 * algs is measured for 1.5 s before each pair, and grants / raw signing is likewise the median of
 * each round's ratio; the other algs' raw signing is measured once, just before their grants.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import autocannon from 'autocannon';
import { createTestDatabase } from '../test/helpers/components.ts';
import { defaultSigningThreads } from '../src/config.ts';
import { MAPPERS_CLIENT, MAPPERS_GROUPS, MAPPERS_USER_EXTRA } from './mappers-client.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;
const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);
const SLICE_SECONDS = Number(process.env.BENCH_SLICE_SECONDS ?? 3);
const ALGS = ['RS256', 'ML-DSA-65', 'DILITHIUM3', 'ML-DSA-65-RS256', 'ML-DSA-65-ES256'];
const KEK = Buffer.alloc(32, 5).toString('base64');
const out: string[] = [];
const say = (line = '') => {
  out.push(line);
  process.stderr.write(`${line}\n`);
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
const rssMb = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return NaN;
  }
};

/** Seconds of CPU (user + system, all threads) the processes `pids` have used so far (/proc/PID/stat). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  } catch {
    return 100;
  }
})();
const cpuSeconds = (pids: number[]) =>
  pids.reduce((sum, pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    } catch {
      return NaN;
    }
  }, 0);

/** `perCpuSecond`: requests answered per second of the server's CPU (its "per vCPU" rate), when its pids were given. */
type Result = { rps: number; p50: number; p99: number; errors: number; perCpuSecond?: number };
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function load(
  url: string,
  options: {
    body?: string;
    headers?: Record<string, string>;
    method?: 'GET' | 'POST';
    requests?: autocannon.Request[];
    seconds?: number;
    pids?: number[];
  } = {},
): Promise<Result> {
  const base = {
    url,
    connections: CONNECTIONS,
    method: options.method ?? 'POST',
    body: options.body,
    headers: options.headers,
    requests: options.requests,
  };
  await autocannon({ ...base, duration: 1 });
  const cpuBefore = options.pids ? cpuSeconds(options.pids) : NaN;
  const r = await autocannon({ ...base, duration: options.seconds ?? SECONDS });
  const cpu = options.pids ? cpuSeconds(options.pids) - cpuBefore : NaN;
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.non2xx + r.errors + r.timeouts,
    perCpuSecond: (r.requests.total - r.non2xx - r.errors) / cpu,
  };
}
const basic = (id: string, secret: string) => ({
  'content-type': 'application/x-www-form-urlencoded',
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});

// (a) raw single-core signing rate (bench/raw-signing.ts), pinned to one core when taskset exists.
const pinned = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();
const rawRates = (algs: string[], seconds = 2): Record<string, number> => {
  const args = [path.join(REPO, 'bench', 'raw-signing.ts'), ...algs];
  const env = { ...process.env, RAW_SECONDS: String(seconds) };
  return JSON.parse(
    pinned
      ? execFileSync('taskset', ['-c', '0', process.execPath, ...args], { encoding: 'utf8', env })
      : execFileSync(process.execPath, args, { encoding: 'utf8', env }),
  ) as Record<string, number>;
};
const raw: Record<string, number> = {}; // measured beside each alg's grants below

// The server under test, as operators run it.
const db = await createTestDatabase();
const dir = mkdtempSync(path.join(tmpdir(), 'qsign-bench-'));
const realm = {
  realm: 'bench',
  accessTokenLifespan: 300,
  components: {
    'org.keycloak.keys.KeyProvider': ALGS.filter((a) => a !== 'RS256' && a !== 'ML-DSA-65').map(
      (alg) => ({
        name: alg,
        providerId: alg === 'DILITHIUM3' ? 'ml-dsa-generated' : 'composite-generated',
        config: { algorithm: [alg], priority: ['100'] },
      }),
    ),
  },
  clients: [
    ...ALGS.map((alg) => ({
      clientId: `c-${alg}`,
      secret: 's',
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      attributes: { 'access.token.signed.response.alg': alg },
    })),
    {
      clientId: 'pw',
      publicClient: true,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: true,
    },
    MAPPERS_CLIENT,
  ],
  groups: MAPPERS_GROUPS,
  users: [
    {
      username: 'bob',
      firstName: 'Bob',
      lastName: 'Builder',
      email: 'bob@example.com',
      credentials: [{ value: 'bob-password' }],
      ...MAPPERS_USER_EXTRA,
    },
  ],
};
writeFileSync(path.join(dir, 'bench.json'), JSON.stringify(realm));
// The same ML-DSA-65 client in a realm that saves its events (Keycloak's default saves none).
writeFileSync(
  path.join(dir, 'bench-events.json'),
  JSON.stringify({ realm: 'bench-events', eventsEnabled: true, clients: [realm.clients[1]] }),
);
const env = {
  ...process.env,
  DATABASE_URL: db.url,
  KEY_ENCRYPTION_KEY: KEK,
  LOG_LEVEL: 'warn',
  DATA_DIR: dir,
  REALMS_DIR: path.join(dir, 'none'),
  HOST: '127.0.0.1',
};
execFileSync(
  process.execPath,
  ['src/main.ts', 'import', path.join(dir, 'bench.json'), path.join(dir, 'bench-events.json')],
  { cwd: REPO, env },
);
// The server is started as `npm start` starts it (its node flags), logging at the default level
// to a file, as a container's log driver would take it.
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

async function startOurs(
  workers: number,
): Promise<{ proc: ChildProcess; url: string; pids: () => number[] }> {
  const port = await freePort();
  const logFile = path.join(dir, `server-${workers}.log`);
  const proc = spawn(process.execPath, START_ARGS, {
    cwd: REPO,
    env: { ...env, ...START_ENV, PORT: String(port), WORKERS: String(workers), LOG_LEVEL: 'info' },
    stdio: ['ignore', openSync(logFile, 'w'), 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i += 1) {
    if (
      await fetch(`${url}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const pids = () =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"worker started"'))
      .map((l) => (JSON.parse(l) as { pid: number }).pid);
  return { proc, url, pids: () => (workers > 1 ? pids() : [proc.pid!]) };
}

// (b) the baseline, stock oidc-provider, same key types; idle while ours is measured alone.
const baseline = spawn(process.execPath, ['bench/baseline-server.ts'], {
  cwd: REPO,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const basePort = await new Promise<number>((resolve) =>
  baseline.stdout!.once('data', (d) => resolve(Number(String(d).trim()))),
);
const BASELINE_ALGS = ['RS256', 'ML-DSA-65'];

/**
 * Raw signing, ours and the baseline measured in turn, PAIRS times; medians of the slices, and
 * the medians of each round's ratios (ours / baseline, ours / raw signing).
 */
async function paired(
  alg: string,
  ours: () => Promise<Result>,
  base: () => Promise<Result>,
): Promise<{
  ours: Result;
  base: Result;
  raw: number;
  ratio: number;
  ratios: number[];
  rawRatio: number;
  rawRatios: number[];
}> {
  const rounds: [number, Result, Result][] = [];
  for (let i = 0; i < PAIRS; i += 1)
    rounds.push([rawRates([alg], 1.5)[alg], await ours(), await base()]);
  const summary = (rs: Result[]): Result => ({
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    perCpuSecond: median(rs.map((r) => r.perCpuSecond ?? NaN)),
  });
  const ratios = rounds.map(([, o, b]) => o.rps / b.rps);
  const rawRatios = rounds.map(([r, o]) => o.rps / r);
  return {
    ours: summary(rounds.map((p) => p[1])),
    base: summary(rounds.map((p) => p[2])),
    raw: median(rounds.map((p) => p[0])),
    ratio: median(ratios),
    ratios,
    rawRatio: median(rawRatios),
    rawRatios,
  };
}

const results: Record<string, Record<string, Result>> = { one: {}, all: {}, baseline: {} };
const ratios: Record<string, number> = {};
const pairRatios: Record<string, number[]> = {};
const rawRatios: Record<string, number> = {};
const pairRawRatios: Record<string, number[]> = {};
let rss: number[] = [];
const other: Record<string, Result> = {};
for (const [label, workers] of [
  ['one', 1],
  ['all', availableParallelism()],
] as const) {
  const ours = await startOurs(workers);
  const token = `${ours.url}/realms/bench/protocol/openid-connect/token`;
  const pids = ours.pids();
  const grant = (alg: string, seconds?: number) => () =>
    load(token, {
      body: 'grant_type=client_credentials',
      headers: basic(`c-${alg}`, 's'),
      seconds,
      pids,
    });
  for (const alg of ALGS) {
    if (label === 'one' && BASELINE_ALGS.includes(alg)) {
      const pair = await paired(alg, grant(alg, SLICE_SECONDS), () =>
        load(`http://127.0.0.1:${basePort}/token`, {
          body: 'grant_type=client_credentials',
          headers: basic(`c-${alg}`, 's'),
          seconds: SLICE_SECONDS,
        }),
      );
      [results.one[alg], results.baseline[alg], ratios[alg], pairRatios[alg]] = [
        pair.ours,
        pair.base,
        pair.ratio,
        pair.ratios,
      ];
      [raw[alg], rawRatios[alg], pairRawRatios[alg]] = [pair.raw, pair.rawRatio, pair.rawRatios];
    } else {
      // Raw signing just before the grants (as for the paired algs), so their ratio (e.g.
      // DILITHIUM3's beside ML-DSA-65's) is not skewed by the machine's speed changing meanwhile.
      if (label === 'one') raw[alg] = rawRates([alg], 1.5)[alg];
      results[label][alg] = await grant(alg)();
    }
  }
  if (label === 'one') {
    other.password = await load(token, {
      body: 'grant_type=password&client_id=pw&username=bob&password=bob-password',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      pids,
    });
    other.passwordOpenid = await load(token, {
      body: 'grant_type=password&client_id=pw&username=bob&password=bob-password&scope=openid',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      pids,
    });
    other.passwordMappers = await load(token, {
      body: 'grant_type=password&client_id=pw-mappers&username=bob&password=bob-password&scope=openid',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      pids,
    });
    // Refresh tokens rotate (each works once): 2 sessions per connection; every request takes a
    // live refresh token from the pool and puts back the one its answer carries.
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const pool: string[] = [];
    while (pool.length < 2 * CONNECTIONS) {
      const batch = await Promise.all(
        Array.from({ length: 8 }, () =>
          fetch(token, {
            method: 'POST',
            headers: form,
            body: 'grant_type=password&client_id=pw&username=bob&password=bob-password',
          }).then((r) => r.json() as Promise<{ refresh_token: string }>),
        ),
      );
      pool.push(...batch.map((b) => b.refresh_token));
    }
    other.refresh = await load(token, {
      headers: form,
      pids,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({
            ...req,
            body: `grant_type=refresh_token&client_id=pw&refresh_token=${pool.shift()}`,
          }),
          onResponse: (status, body) => {
            if (status === 200)
              pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
          },
        },
      ],
    });
    other.certs = await load(`${ours.url}/realms/bench/protocol/openid-connect/certs`, {
      method: 'GET',
      pids,
    });
    other.events = await load(`${ours.url}/realms/bench-events/protocol/openid-connect/token`, {
      body: 'grant_type=client_credentials',
      headers: basic('c-ML-DSA-65', 's'),
      pids,
    });
    rss = ours.pids().map(rssMb);
  } else {
    rss = [...rss, ...ours.pids().map(rssMb)];
  }
  ours.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
}

const baseRss = rssMb(baseline.pid!);
baseline.kill('SIGTERM');
await db.drop();

const cores = availableParallelism();
const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
say(`# qsign-oidc benchmark (${new Date().toISOString()})`);
say();
say(
  `Machine: ${cores} cores, Node ${process.version}. Server: \`${START.join(' ')}\` (\`npm start\`) over PostgreSQL, with its default ML-DSA signing threads (SIGNING_THREADS: ${defaultSigningThreads(1)} per process with one worker, ${defaultSigningThreads(availableParallelism())} with one worker per core), load from autocannon in this process (${CONNECTIONS} connections, ${SECONDS} s per measurement after a 1 s warm-up). Baseline: oidc-provider 9.13.3 as it ships, in-memory, same key types (bench/baseline-server.ts), loaded in turn with ours (one worker) ${PAIRS} times per alg for ${SLICE_SECONDS} s each: ours and baseline columns are medians of those slices, ours / baseline the median of the ${PAIRS} pairs' ratios. Raw signing: bench/raw-signing.ts, ${pinned ? 'pinned to one core (taskset)' : 'not pinned (no taskset here)'}, 8 signatures in flight; for ${BASELINE_ALGS.join(' and ')} measured for 1.5 s before each pair (raw column: median; grants / raw signing: median of each round's ratio), for the others for 1.5 s just before their one-worker grants. Realms save no events unless said (Keycloak's default).`,
);
say();
say('## client_credentials grants');
say();
say(
  '| alg | raw signing (sig/s, 1 core) | ours, 1 worker (grants/s) | p50 / p99 ms | ours / baseline | grants / raw signing | ours, all cores (grants/s) | p99 ms | baseline (grants/s) | baseline p50 / p99 ms |',
);
say('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const alg of ALGS) {
  const one = results.one[alg];
  const all = results.all[alg];
  const base = results.baseline[alg];
  say(
    `| ${alg} | ${f(raw[alg])} | ${f(one.rps)} | ${one.p50} / ${one.p99} | ${base ? f(ratios[alg], 2) : 'n/a'} | ${f(rawRatios[alg] ?? one.rps / raw[alg], 2)} | ${f(all.rps)} | ${all.p99} | ${base ? f(base.rps) : 'no stock support'} | ${base ? `${base.p50} / ${base.p99}` : ''} |`,
  );
}
say();
say(
  `ours / baseline of each pair, in order: ${BASELINE_ALGS.map((alg) => `${alg} ${pairRatios[alg].map((r) => f(r, 2)).join(', ')}`).join('; ')}.`,
);
say(
  `grants / raw signing of each round, in order: ${BASELINE_ALGS.map((alg) => `${alg} ${pairRawRatios[alg].map((r) => f(r, 2)).join(', ')}`).join('; ')}.`,
);
say();
say('## Other workloads (1 worker)');
say();
say(
  '"per vCPU": requests answered per second of CPU the server process used during the measurement (user + system time of all its threads, signing and libuv threads included; PostgreSQL\'s not), to set beside Keycloak\'s sizing figures, which are per vCPU of Keycloak alone.',
);
say();
say('| workload | requests/s | p50 / p99 ms | per vCPU | Keycloak sizing guide, per vCPU |');
say('|---|---:|---:|---:|---:|');
const row = (label: string, r: Result, keycloak = '') =>
  say(
    `| ${label} | ${f(r.rps)} | ${r.p50} / ${r.p99} | ${f(r.perCpuSecond ?? NaN)} | ${keycloak} |`,
  );
row('client_credentials, ML-DSA-65', results.one['ML-DSA-65'], '120');
row('password grant (argon2id t=5, m=7 MiB, p=1)', other.password, '15');
row(
  'password grant, `scope=openid` (access and id token), client with no mappers of its own',
  other.passwordOpenid,
);
row(
  'password grant, `scope=openid`, client with 10 protocol mappers (bench/mappers-client.ts)',
  other.passwordMappers,
);
row('refresh grant', other.refresh, '120');
row('client_credentials, ML-DSA-65, realm saving its events (`eventsEnabled`)', other.events);
row('GET /certs', other.certs);
say();
say(
  `Password grant, \`scope=openid\`: with the 10 protocol mappers / without, same run: ${f(other.passwordMappers.rps / other.passwordOpenid.rps, 2)} (argon2id dominates both; the mappers' own cost is the difference).`,
);
say();
say(
  `RSS after load: ours ${rss.map((r) => `${f(r)} MB`).join(', ')} (one worker, then each of the all-core workers); baseline ${f(baseRss)} MB.`,
);
say(
  `Errors: ${
    Object.values(results)
      .flatMap((r) => Object.values(r))
      .reduce((a, r) => a + r.errors, 0) + Object.values(other).reduce((a, r) => a + r.errors, 0)
  }.`,
);
say();
say(
  '## Claims of a password-grant token, 10 protocol mappers beside none (bench/mappers-pipeline.ts, in-process, 1 core)',
);
say();
say(
  execFileSync(process.execPath, [path.join(REPO, 'bench', 'mappers-pipeline.ts')], {
    cwd: REPO,
    encoding: 'utf8',
  }).trimEnd(),
);
mkdirSync(path.join(REPO, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(REPO, 'bench', 'results', 'latest.md'), `${out.join('\n')}\n`);
process.exit(0);

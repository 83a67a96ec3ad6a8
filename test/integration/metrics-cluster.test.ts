/**
 * `npm start` with WORKERS=2 over PostgreSQL: `/metrics`, whichever worker answers it, gives the
 * sum over both workers (prom-client's AggregatorRegistry in the primary), and 503 rather than a
 * hang when a worker does not answer; a worker that dies at start (the store refusing
 * connections) is replaced after a doubling wait, not in a tight loop; the primary warns that
 * without REDIS_URL rate limits count per process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { REPO } from '../helpers/server.ts';
import {
  POSTGRES_ADMIN_URL,
  createTestDatabase,
  postgresAvailable,
} from '../helpers/components.ts';
import { sampleSum } from '../helpers/metrics.ts';

const available = await postgresAvailable();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** A cluster of `workers` processes (src/main.ts) over a fresh database; its JSON log lines are collected. */
async function startCluster(workers: number) {
  const db = await createTestDatabase();
  const port = await freePort();
  const primary: ChildProcess = spawn(process.execPath, ['src/main.ts'], {
    cwd: REPO,
    env: {
      ...process.env,
      WORKERS: String(workers),
      DATABASE_URL: db.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      REDIS_URL: '',
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      DATA_DIR: `/tmp/qsign-metrics-cluster-${port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  primary.stdout!.on('data', (d) => {
    for (const l of String(d).split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l));
  });
  primary.stderr!.resume();
  cleanups.push(async () => {
    const exited = new Promise((r) => primary.once('exit', r));
    primary.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    primary.kill('SIGKILL');
    await db.drop();
  });
  const started = () => lines.filter((l) => l.msg === 'worker started').map((l) => l.pid as number);
  // Each worker logs "listening" once its store is open.
  const listening = () =>
    lines.filter((l) => String(l.msg).startsWith('qsign-oidc listening')).length;
  for (let i = 0; i < 300 && listening() < workers; i += 1)
    await new Promise((r) => setTimeout(r, 100));
  expect(started()).toHaveLength(workers);
  expect(listening()).toBe(workers);
  return { url: `http://127.0.0.1:${port}`, db, lines, started };
}

// A new connection per request (Connection: close), so the primary hands requests to the workers in turn.
const grant = (url: string) =>
  fetch(`${url}/realms/demo/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      connection: 'close',
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
    signal: AbortSignal.timeout(10_000),
  }).then((r) => r.status);
const scrape = (url: string, timeout = 10_000) =>
  fetch(`${url}/metrics`, {
    headers: { connection: 'close' },
    signal: AbortSignal.timeout(timeout),
  }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe.skipIf(!available)('metrics and restarts in cluster mode', () => {
  it('answers every scrape with the totals of both workers, which never go down', async () => {
    const { url, lines } = await startCluster(2);
    let sent = 0;
    let issued = 0;
    const send = async () => {
      const status = await grant(url);
      sent += 1;
      if (status === 200) issued += 1;
      return status;
    };
    // Until both workers have loaded the realms (readiness).
    for (let i = 0; i < 100 && (await send()) !== 200; i += 1)
      await new Promise((r) => setTimeout(r, 100));
    let last = 0;
    let scrapes = 0;
    for (let round = 0; round < 4; round += 1) {
      for (let i = 0; i < 10; i += 1) expect(await send()).toBe(200);
      for (let i = 0; i < 3; i += 1) {
        const { status, text } = await scrape(url);
        expect(status).toBe(200);
        const token = sampleSum(text, 'qsign_http_requests_total', { route: 'token' });
        expect([round, i, token]).toEqual([round, i, sent]);
        expect(
          sampleSum(text, 'qsign_tokens_issued_total', { realm: 'demo', type: 'access' }),
        ).toBe(issued);
        // Every earlier scrape, whichever worker answered it.
        expect(
          sampleSum(text, 'qsign_http_requests_total', { route: 'metrics', status: '200' }),
        ).toBe(scrapes);
        expect(token).toBeGreaterThanOrEqual(last);
        last = token;
        scrapes += 1;
        // Each worker's series carries its id, so a dead worker's count ends instead of dropping the sum.
        const workers = new Set(
          [...text.matchAll(/^qsign_http_requests_total\{[^}]*worker="(\d+)"/gm)].map((m) => m[1]),
        );
        if (round > 0) expect(workers.size).toBe(2);
        expect(text).not.toMatch(/^qsign_http_requests_total\{(?![^}]*worker=)/m);
      }
    }
    expect(
      lines.filter(
        (l) => l.level === 40 && String(l.msg).startsWith('REDIS_URL is not set: rate limits'),
      ),
    ).toHaveLength(1);
  });

  it('answers a scrape 503 within seconds when a worker does not answer, and 200 again once it does', async () => {
    const { url, started } = await startCluster(2);
    for (let i = 0; i < 100 && (await grant(url)) !== 200; i += 1)
      await new Promise((r) => setTimeout(r, 100));
    expect((await scrape(url)).status).toBe(200);
    const [stuck] = started();
    process.kill(stuck, 'SIGSTOP');
    try {
      // A scrape handed to the stopped worker gets no answer (as with any stuck server); one the
      // other worker takes is answered once the stopped worker has not answered for 5 s.
      const t0 = Date.now();
      const answers = (
        await Promise.all(
          Array.from({ length: 4 }, () =>
            scrape(url, 8_000).then(
              (r) => ({ ...r, ms: Date.now() - t0 }),
              () => undefined,
            ),
          ),
        )
      ).filter((a) => a !== undefined);
      expect(answers.length).toBeGreaterThan(0);
      for (const answer of answers) {
        expect(answer).toMatchObject({
          status: 503,
          text: '# metrics unavailable: a worker did not answer the collection within 5 s\n',
        });
        expect(answer.ms).toBeGreaterThanOrEqual(5_000);
      }
    } finally {
      process.kill(stuck, 'SIGCONT');
    }
    expect((await scrape(url)).status).toBe(200);
  });

  it('replaces a worker that dies at start after a doubling wait', async () => {
    const { db, lines } = await startCluster(2);
    const name = new URL(db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    cleanups.push(async () => {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.end();
    });
    // The store refuses new connections: every new worker fails at start.
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    const victim = lines.find((l) => l.msg === 'worker started')!.pid as number;
    process.kill(victim, 'SIGKILL');
    const deaths = () => lines.filter((l) => l.msg === 'worker died; starting a new one');
    for (let i = 0; i < 150 && deaths().length < 3; i += 1)
      await new Promise((r) => setTimeout(r, 100));
    expect(deaths().map((l) => l.restartInMs)).toEqual([1_000, 2_000, 4_000]);
    const times = deaths().map((l) => l.time as number);
    expect(times[2] - times[0]).toBeGreaterThanOrEqual(3_000);
  });
});

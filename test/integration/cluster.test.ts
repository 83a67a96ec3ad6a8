/**
 * `npm start` with WORKERS=2 over PostgreSQL: two worker processes share the port; a worker killed
 * in the middle of a load is replaced, and the other keeps serving meanwhile. A process stopped
 * with SIGTERM right after a burst commits the event of every grant it answered before it exits.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { REPO } from '../helpers/server.ts';
import pg from 'pg';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';

const available = await postgresAvailable();
let primary: ChildProcess | undefined;
let drop: (() => Promise<void>) | undefined;
afterAll(async () => {
  if (primary && primary.exitCode === null && primary.signalCode === null) {
    // Until the cluster has exited (its workers close their connections), at most 5 s.
    const exited = new Promise((r) => primary!.once('exit', r));
    primary.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  }
  await drop?.();
});

/** `npm start` (node src/main.ts) over the database `url`, on `port`, with `workers` processes. */
function startMain(url: string, port: number, workers: number): ChildProcess {
  return spawn(process.execPath, ['src/main.ts'], {
    cwd: REPO,
    env: {
      ...process.env,
      WORKERS: String(workers),
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      DATA_DIR: `/tmp/qsign-cluster-${port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
/**
 * A client_credentials grant of the demo realm's service client; resolves to the HTTP status (0: no
 * answer within 5 s). A connection the cluster primary accepted for a worker that is then killed
 * can stay open unanswered (node:cluster hands connections over), so the client gives up, as any
 * client with a timeout does.
 */
const clientCredentials = (port: number) =>
  fetch(`http://127.0.0.1:${port}/realms/demo/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
    signal: AbortSignal.timeout(5_000),
  }).then(
    (r) => r.status,
    () => 0,
  );

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe.skipIf(!available)('cluster workers', () => {
  it('serves from two workers and replaces a killed one while the other keeps serving', async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    const port = await freePort();
    const lines: string[] = [];
    primary = startMain(db.url, port, 2);
    primary.stdout!.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
    const workers = () =>
      lines.filter((l) => l.includes('"worker started"')).map((l) => JSON.parse(l).pid as number);
    for (let i = 0; i < 200 && workers().length < 2; i += 1)
      await new Promise((r) => setTimeout(r, 100));
    expect(workers()).toHaveLength(2);
    const grant = () => clientCredentials(port);
    for (let i = 0; i < 100 && (await grant()) !== 200; i += 1)
      await new Promise((r) => setTimeout(r, 100));

    const [victim] = workers();
    // Four clients, each sending requests one after another for 3 s; the victim is killed after
    // 0.5 s. Each request is filed under the moment it was sent: a request handed to the victim as
    // it dies stalls its client until the timeout, and the other clients go on.
    const statuses: { at: number; doneAt: number; status: number }[] = [];
    const started = Date.now();
    const client = async () => {
      while (Date.now() - started < 3_000) {
        const at = Date.now() - started;
        const status = await grant();
        statuses.push({ at, doneAt: Date.now() - started, status });
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, client));
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now() - started;
    process.kill(victim, 'SIGKILL');
    await load;
    for (let i = 0; i < 100 && workers().length < 3; i += 1)
      await new Promise((r) => setTimeout(r, 100));
    expect(lines.some((l) => l.includes('"worker died; starting a new one"'))).toBe(true);
    expect(workers()).toHaveLength(3);
    // Before the kill every request is served. Requests the victim held when it was killed, or that
    // were handed to it before the primary saw it die, get no answer; every request sent from a
    // second after the kill is served.
    const before = statuses.filter((s) => s.doneAt < killedAt);
    const settled = statuses.filter((s) => s.at > killedAt + 1_000);
    expect(before.length).toBeGreaterThan(10);
    expect(before.filter((s) => s.status !== 200)).toEqual([]);
    expect(settled.length).toBeGreaterThan(10);
    expect(settled.filter((s) => s.status !== 200)).toEqual([]);
    expect(await grant()).toBe(200);
  });

  it('commits the events of every answered grant before it exits on SIGTERM', async () => {
    const db = await createTestDatabase();
    const port = await freePort();
    const server = startMain(db.url, port, 1);
    // Its logs are read off, so a full pipe never holds it back.
    server.stdout!.resume();
    server.stderr!.resume();
    try {
      for (let i = 0; i < 200 && (await clientCredentials(port)) !== 200; i += 1)
        await new Promise((r) => setTimeout(r, 100));
      // The store holds the event writer back (a lock on the events table) while a burst is
      // answered and SIGTERM arrives in its middle; the lock goes once every answer is in.
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE');
      let answered = 0;
      const burst = Promise.all(
        Array.from({ length: 400 }, () =>
          clientCredentials(port).then((s) => {
            answered += 1;
            return s;
          }),
        ),
      );
      while (answered < 100) await new Promise((r) => setTimeout(r, 1));
      server.kill('SIGTERM');
      const exited = new Promise((r) => server.once('exit', r));
      const statuses = await burst;
      await new Promise((r) => setTimeout(r, 1000));
      await locker.query('COMMIT');
      const code = await exited;
      const {
        rows: [{ count }],
      } = await locker.query<{ count: string }>(
        "SELECT count(*) FROM events WHERE type = 'CLIENT_LOGIN'",
      );
      await locker.end();
      expect(code).toBe(0);
      // The warm-up grant(s) and every 200 of the burst.
      expect(Number(count)).toBeGreaterThanOrEqual(statuses.filter((s) => s === 200).length + 1);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(100);
      expect(statuses.every((s) => s === 200 || s === 0)).toBe(true);
    } finally {
      server.kill('SIGKILL');
      await db.drop();
    }
  });
});

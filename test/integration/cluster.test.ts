/**
 * `npm start` with WORKERS=2 over PostgreSQL: two worker processes share the port; a worker killed
 * in the middle of a load is replaced, and the other keeps serving meanwhile.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { REPO } from '../helpers/server.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';

const available = await postgresAvailable();
let primary: ChildProcess | undefined;
let drop: (() => Promise<void>) | undefined;
afterAll(async () => {
  primary?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await drop?.();
});

const freePort = () => new Promise<number>((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); }); });

describe.skipIf(!available)('cluster workers', () => {
  it('serves from two workers and replaces a killed one while the other keeps serving', async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    const port = await freePort();
    const lines: string[] = [];
    primary = spawn(process.execPath, ['src/main.ts'], {
      cwd: REPO,
      env: { ...process.env, WORKERS: '2', DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'), DATA_DIR: `/tmp/qsign-cluster-${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    primary.stdout!.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
    const workers = () => lines.filter((l) => l.includes('"worker started"')).map((l) => JSON.parse(l).pid as number);
    for (let i = 0; i < 200 && workers().length < 2; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(workers()).toHaveLength(2);
    const url = `http://127.0.0.1:${port}/realms/demo/protocol/openid-connect/token`;
    const grant = () => fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}` },
      body: 'grant_type=client_credentials',
    }).then((r) => r.status, () => 0);
    for (let i = 0; i < 100 && (await grant()) !== 200; i += 1) await new Promise((r) => setTimeout(r, 100));

    const [victim] = workers();
    const statuses: number[] = [];
    const load = (async () => { for (let i = 0; i < 60; i += 1) statuses.push(await grant()); })();
    await new Promise((r) => setTimeout(r, 100));
    process.kill(victim, 'SIGKILL');
    await load;
    for (let i = 0; i < 100 && workers().length < 3; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(lines.some((l) => l.includes('"worker died; starting a new one"'))).toBe(true);
    expect(workers()).toHaveLength(3);
    // Requests on the killed worker's open connections may fail; the service as a whole goes on.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(50);
    expect(await grant()).toBe(200);
  });
});

/**
 * Redis failing under load, with two server instances over one PostgreSQL sharing a private
 * redis-server (test/helpers/private-servers.ts: the machine's Redis is not touched) through a
 * TCP proxy (test/helpers/tcp-proxy.ts): killed and restarted on the same port, and cut off by a
 * partition (nothing answers, nothing closes). Both instances keep answering every token request
 * quickly; rate limits count per process meanwhile (README: "Redis down"); realm changes reach
 * the other instance through the 1 s version check; once Redis is back, counters are shared and
 * the realm-changed fan-out works again (ioredis reconnects and subscribes again by itself).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { asJson } from '../helpers/json.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';
import {
  privateRedisAvailable,
  startPrivateRedis,
  type PrivateRedis,
} from '../helpers/private-servers.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { sleep, startLoad, tokenRequest, until, type Sample } from '../helpers/load.ts';
import { findRealm } from '../../src/store/realms.ts';
import { fanOutRealmChanges, openRedis, REALM_CHANGED_CHANNEL } from '../../src/redis.ts';
import { createLogger } from '../../src/log.ts';
import { Redis } from 'ioredis';
import { rotateKey } from '../../src/keys/rotation.ts';

const available = (await postgresAvailable()) && privateRedisAvailable();
const suffix = Date.now();
const LOAD = `redisload${suffix}`;
const LIMITED = `redislimited${suffix}`;
const service = (clientId: string) => ({
  clientId,
  secret: 's',
  serviceAccountsEnabled: true,
  standardFlowEnabled: false,
});
const realms = [
  // Every token request here counts in Redis, never reaching its limit.
  {
    realm: LOAD,
    attributes: { 'qsign.rateLimit.token.perClient': '100000' },
    clients: [service('load')],
  },
  // 4 a minute per client: a fresh client per phase shows whether counters are shared.
  {
    realm: LIMITED,
    attributes: { 'qsign.rateLimit.token.perClient': '4' },
    clients: ['before', 'down', 'back', 'cut', 'healed'].map(service),
  },
];

let redis: PrivateRedis | undefined;
let proxy: TcpProxy | undefined;
let a: TestServer;
let b: TestServer;
let drop: (() => Promise<void>) | undefined;
beforeAll(async () => {
  if (!available) return;
  redis = await startPrivateRedis();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  const db = await createTestDatabase();
  drop = db.drop;
  a = await startServer({
    databaseUrl: db.url,
    redisUrl: `redis://127.0.0.1:${proxy.port}`,
    realms,
  });
  b = await startServer({ databaseUrl: db.url, redisUrl: `redis://127.0.0.1:${proxy.port}` });
}, 60_000);
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(async () => {
  proxy?.heal();
  await a?.close();
  await b?.close();
  await proxy?.close();
  await redis?.stop();
  await drop?.();
});

const token = (server: TestServer, realm: string, clientId: string) =>
  tokenRequest(
    server.baseUrl,
    realm,
    clientId,
    { grant_type: 'client_credentials' },
    `${clientId}:s`,
  );
/** Statuses of 5 requests of a fresh client on a, then 5 on b. */
const fiveEach = async (clientId: string) => {
  const statuses: number[] = [];
  for (const server of [a, a, a, a, a, b, b, b, b, b])
    statuses.push((await token(server, LIMITED, clientId)).status);
  return statuses;
};
const PER_PROCESS = [200, 200, 200, 200, 429, 200, 200, 200, 200, 429];
const SHARED = [200, 200, 200, 200, 429, 429, 429, 429, 429, 429];
const redisCheck = async (server: TestServer) => {
  const res = await fetch(`${server.baseUrl}/health/ready`);
  const { checks } = asJson(await res.json());
  return {
    status: res.status,
    redis: (checks as { name: string; status: string }[]).find((c) => c.name === 'redis')?.status,
  };
};
const redisUp = async () =>
  (await redisCheck(a)).redis === 'UP' && (await redisCheck(b)).redis === 'UP';

/** A realm change on a: b hears of it through Redis (registry.drop) or finds it by its version check. */
async function changeOnA(): Promise<{ viaRedis: boolean; ms: number }> {
  const kids = async () =>
    (
      asJson(
        await (await fetch(`${b.baseUrl}/realms/${LIMITED}/protocol/openid-connect/certs`)).json(),
      ).keys as { kid: string }[]
    ).map((k) => k.kid);
  const before = await kids();
  const dropOnB = vi.spyOn(b.registry, 'drop');
  const stored = (await findRealm(a.db, LIMITED))!;
  await a.db.transaction((tx) =>
    rotateKey(tx, a.config.keyEncryptionKey, stored, 'ML-DSA-65', {
      prePublication: 0,
      actor: 'test',
    }),
  );
  const started = Date.now();
  a.registry.invalidate(LIMITED);
  expect(await until(async () => (await kids()).length === before.length + 1, 5_000)).toBe(true);
  const ms = Date.now() - started;
  await sleep(100);
  const viaRedis = dropOnB.mock.calls.some(([name]) => name === LIMITED);
  dropOnB.mockRestore();
  return { viaRedis, ms };
}

/** Load on both instances through `phase`; every answer must be a quick 200. */
async function underLoad(phase: () => Promise<void>): Promise<void> {
  const load = startLoad([() => token(a, LOAD, 'load'), () => token(b, LOAD, 'load')]);
  try {
    await phase();
  } finally {
    await load.stop();
  }
  const wrong = load.samples.filter((s: Sample) => s.status !== 200);
  expect(wrong).toEqual([]);
  // A command gives up after 500 ms, and a silent connection is dropped 1 s after a command.
  expect(Math.max(...load.samples.map((s) => s.ms))).toBeLessThan(2_000);
  console.log(
    `${load.samples.length} token requests, all 200, slowest ${Math.max(...load.samples.map((s) => s.ms))} ms`,
  );
}

describe.skipIf(!available)('Redis failing under load, two instances', () => {
  it('killed and restarted: both serve on, limits per process, changes by the version check; then shared again', async () => {
    expect(await fiveEach('before')).toEqual(SHARED);
    expect((await changeOnA()).viaRedis).toBe(true);
    await underLoad(async () => {
      await redis!.stop();
      expect(await until(async () => !(await redisUp()), 5_000)).toBe(true);
      expect((await redisCheck(a)).status).toBe(200);
      expect(await fiveEach('down')).toEqual(PER_PROCESS);
      const change = await changeOnA();
      expect(change.viaRedis).toBe(false);
      console.log(`Redis down: realm change seen by the other instance after ${change.ms} ms`);
      await redis!.start();
      expect(await until(redisUp, 10_000)).toBe(true);
    });
    expect((await changeOnA()).viaRedis).toBe(true);
    expect(await fiveEach('back')).toEqual(SHARED);
  });

  it('partitioned (nothing answers, nothing closes): requests are not held up, limits per process, then shared again', async () => {
    await underLoad(async () => {
      proxy!.partition();
      try {
        expect(await fiveEach('cut')).toEqual(PER_PROCESS);
        // The heartbeat finds the silent connection within about 3 s (PING every 2 s, 1 s without data).
        expect(await until(async () => !(await redisUp()), 6_000)).toBe(true);
      } finally {
        proxy!.heal();
      }
      expect(await until(redisUp, 10_000)).toBe(true);
    });
    expect((await changeOnA()).viaRedis).toBe(true);
    expect(await fiveEach('healed')).toEqual(SHARED);
  });

  it('an idle connection (the subscriber) to a silent Redis is found out by the heartbeat, and subscribes again when it heals', async () => {
    const connections = openRedis(`redis://127.0.0.1:${proxy!.port}`, createLogger('silent'));
    const heard: string[] = [];
    fanOutRealmChanges(connections, { drop: (name) => heard.push(name), onChange: undefined });
    const publisher = new Redis(redis!.url);
    try {
      const { client, subscriber } = connections;
      expect(
        await until(() => client.status === 'ready' && subscriber.status === 'ready', 5_000),
      ).toBe(true);
      proxy!.partition();
      try {
        // No command of ours is waiting: only the PING every 2 s, unanswered for 1 s, can tell.
        expect(
          await until(() => client.status !== 'ready' && subscriber.status !== 'ready', 5_000),
        ).toBe(true);
      } finally {
        proxy!.heal();
      }
      expect(await until(() => subscriber.status === 'ready', 10_000)).toBe(true);
      expect(
        await until(async () => {
          await publisher.publish(REALM_CHANGED_CHANNEL, 'some-realm');
          return heard.length > 0;
        }, 5_000),
      ).toBe(true);
    } finally {
      publisher.disconnect();
      await connections.close();
    }
  });
});

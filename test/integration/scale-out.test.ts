/**
 * Several processes over one PostgreSQL and one Redis (two server instances here, each with its
 * own realm registry and Redis connections): per-realm rate limits (429 + Retry-After) with
 * counters shared through Redis, "realm changed" fan-out so a key rotation on one instance is
 * served by the other at once, and a process started while Redis is unreachable. Redis failing
 * while the instances run (killed, partitioned): redis-faults.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asJson } from '../helpers/json.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import {
  REDIS_URL,
  createTestDatabase,
  postgresAvailable,
  redisAvailable,
} from '../helpers/components.ts';
import { findRealm } from '../../src/store/realms.ts';
import { rotateKey } from '../../src/keys/rotation.ts';
import { REALM_CHANGED_CHANNEL } from '../../src/redis.ts';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { TestBrowser, signIn } from '../helpers/browser.ts';

const available = (await postgresAvailable()) && (await redisAvailable());
const realmFile = () => {
  const realm = {
    realm: `scale${Date.now()}`,
    attributes: { 'qsign.rateLimit.token.perClient': '4', 'qsign.rateLimit.login.perIp': '2' },
    clients: [
      { clientId: 'svc', secret: 's', serviceAccountsEnabled: true, standardFlowEnabled: false },
      { clientId: 'web', publicClient: true, redirectUris: ['http://localhost:4000/*'] },
    ],
    users: [{ username: 'alice', credentials: [{ value: 'alice' }] }],
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qsign-scale-')), 'scale.json');
  writeFileSync(file, JSON.stringify(realm));
  return { file, name: realm.realm };
};

let a: TestServer;
let b: TestServer;
let drop: (() => Promise<void>) | undefined;
let realm = '';
beforeAll(async () => {
  if (!available) return;
  const db = await createTestDatabase();
  drop = db.drop;
  const { file, name } = realmFile();
  realm = name;
  a = await startServer({ databaseUrl: db.url, redisUrl: REDIS_URL, realmFiles: [file] });
  b = await startServer({ databaseUrl: db.url, redisUrl: REDIS_URL });
}, 60_000);
// vi.spyOn hands back the same spy, calls and all, when the method is already spied on.
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await drop?.();
});

const token = async (server: TestServer) => {
  const res = await fetch(`${server.baseUrl}/realms/${realm}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('svc:s').toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: await res.json().then(asJson),
  };
};

describe.skipIf(!available)('two instances over PostgreSQL and Redis', () => {
  it('share rate-limit counters: the per-client limit counts requests on both', async () => {
    const statuses = [
      (await token(a)).status,
      (await token(b)).status,
      (await token(a)).status,
      (await token(b)).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 200]);
    const over = await token(b);
    expect(over.status).toBe(429);
    expect(Number(over.retryAfter)).toBeGreaterThan(0);
    expect(over.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Too many requests; retry later.',
    });
  });

  it('limits login attempts per IP', async () => {
    const url = `${a.baseUrl}/realms/${realm}/protocol/openid-connect/auth?client_id=web&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://localhost:4000/cb')}`;
    expect((await signIn(new TestBrowser(), url, a.baseUrl, 'alice', 'nope')).page).toContain(
      'Invalid username or password.',
    );
    expect((await signIn(new TestBrowser(), url, a.baseUrl, 'alice', 'nope')).page).toContain(
      'Invalid username or password.',
    );
    const third = await signIn(new TestBrowser(), url, a.baseUrl, 'alice', 'alice');
    expect(third.page).toContain(
      '<p class="alert" role="alert">Too many requests; retry later.</p>',
    );
  });

  it('a key rotation on one instance is served by the other at once (Redis fan-out, not the 1 s check)', async () => {
    const certs = async (s: TestServer) =>
      (
        await (
          await fetch(`${s.baseUrl}/realms/${realm}/protocol/openid-connect/certs`)
        )
          .json()
          .then(asJson)
      ).keys.map((k: { kid: string }) => k.kid);
    const before = await certs(b);
    const dropOnA = vi.spyOn(a.registry, 'drop');
    const dropOnB = vi.spyOn(b.registry, 'drop');
    const stored = (await findRealm(a.db, realm))!;
    await a.db.transaction((tx) =>
      rotateKey(tx, a.config.keyEncryptionKey, stored, 'ML-DSA-65', {
        prePublication: 0,
        actor: 'test',
      }),
    );
    a.registry.invalidate(realm);
    let after = before;
    const started = Date.now();
    while (after.length === before.length && Date.now() - started < 900) {
      await new Promise((r) => setTimeout(r, 20));
      after = await certs(b);
    }
    expect(after.length).toBe(before.length + 1);
    expect(Date.now() - started).toBeLessThan(900);
    // It came through Redis (b's 1 s version check could also find it), and a did not take its
    // own announcement for news (dropping the realm it had just rebuilt).
    expect(dropOnB).toHaveBeenCalledWith(realm);
    await new Promise((r) => setTimeout(r, 100));
    expect(dropOnA).toHaveBeenCalledTimes(1);
  });

  it('understands the realm-changed messages of other versions during a rolling upgrade', async () => {
    const publisher = new Redis(REDIS_URL);
    try {
      const dropOnB = vi.spyOn(b.registry, 'drop');
      // Every version's message (the realm's name), and one earlier version's `{publisher id}:{name}`.
      await publisher.publish(REALM_CHANGED_CHANNEL, realm);
      await publisher.publish(REALM_CHANGED_CHANNEL, `${randomUUID()}:${realm}`);
      const started = Date.now();
      while (dropOnB.mock.calls.length < 2 && Date.now() - started < 2_000)
        await new Promise((r) => setTimeout(r, 20));
      expect(dropOnB.mock.calls).toEqual([[realm], [realm]]);
      // What this version publishes is the plain name, which older versions take as it is.
      const heard: string[] = [];
      const listener = new Redis(REDIS_URL);
      await listener.subscribe(REALM_CHANGED_CHANNEL);
      listener.on('message', (_channel, message: string) => heard.push(message));
      a.registry.invalidate(realm);
      while (heard.length < 1 && Date.now() - started < 4_000)
        await new Promise((r) => setTimeout(r, 20));
      listener.disconnect();
      expect(heard).toEqual([realm]);
    } finally {
      publisher.disconnect();
    }
  });
});

describe('Redis unreachable from the start', () => {
  it('a process started without Redis serves, counting limits alone', async () => {
    const { file, name } = realmFile();
    const alone = await startServer({ realmFiles: [file], redisUrl: 'redis://127.0.0.1:1' });
    try {
      realm = name;
      const results = [];
      for (let i = 0; i < 5; i += 1) results.push((await token(alone)).status);
      expect(results).toEqual([200, 200, 200, 200, 429]);
    } finally {
      await alone.close();
    }
  });
});

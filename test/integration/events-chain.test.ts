/**
 * The event chain under concurrency: bursts of appends from two pools on one PostgreSQL database
 * (two processes' worth) are all stored, in one intact chain, without using more than a
 * connection per realm and process; a store failure rejects the waiting appends.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, postgresAvailable, REQUIRE_ALL } from '../helpers/components.ts';
import { openSqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { EventWriter, eventKey, verifyEvents } from '../../src/events/store.ts';

const available = await postgresAvailable();
if (!available && REQUIRE_ALL)
  throw new Error('PostgreSQL is required (REQUIRE_ALL=1) but not reachable');
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
const key = eventKey(Buffer.alloc(32, 9));
/** A migrated throwaway database and a connection pool on it per `pools` entry (its size). */
async function freshStore(pools: number[]) {
  const database = await createTestDatabase();
  cleanups.push(database.drop);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-chain-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const clients = await Promise.all(
    pools.map((poolSize) => openSqlClient({ databaseUrl: database.url, dataDir, poolSize })),
  );
  for (const c of clients) cleanups.push(() => c.close());
  await migrate(clients[0]);
  return clients;
}
const event = (realmId: string, i: number) => ({
  realmId,
  kind: 'login' as const,
  time: Date.now(),
  type: 'CLIENT_LOGIN',
  representation: { clientId: `c${i}`, n: i },
});

describe.skipIf(!available)('event chain on PostgreSQL', () => {
  it('keeps one intact chain per realm under concurrent bursts from two pools', async () => {
    const [a, b] = await freshStore([2, 2]);
    const [toA, toB] = [new EventWriter(a), new EventWriter(b)];
    const writes = [];
    for (let i = 0; i < 600; i += 1)
      writes.push((i % 2 ? toA : toB).append(key, event(i % 3 ? 'r1' : 'r2', i)));
    await Promise.all(writes);
    const [{ count }] = await a.query<{ count: string }>('SELECT count(*) FROM events');
    expect(Number(count)).toBe(600);
    expect(await verifyEvents(a, key)).toEqual([]);
    const stored = await a.query<{ representation: { n: number } }>(
      "SELECT representation FROM events WHERE realm_id = 'r1'",
    );
    expect(new Set(stored.map((r) => r.representation.n)).size).toBe(400);
  });

  it('rejects the waiting appends when the store fails, and writes again afterwards', async () => {
    const [db] = await freshStore([2]);
    const events = new EventWriter(db);
    await db.query('ALTER TABLE events RENAME TO events_away');
    const failed = await Promise.allSettled(
      [1, 2, 3].map((i) => events.append(key, event('r', i))),
    );
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await db.query('ALTER TABLE events_away RENAME TO events');
    await events.append(key, event('r', 4));
    expect(await verifyEvents(db, key)).toEqual([]);
    const [{ count }] = await db.query<{ count: string }>('SELECT count(*) FROM events');
    expect(Number(count)).toBe(1);
  });
});

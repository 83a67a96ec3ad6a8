/**
 * `events verify` walks the chains in batches of at most 1,000 events (keyset on realm and id), so
 * its memory does not grow with the table (`npm start` caps the heap at 1 GB), and still names an
 * edited event past the first batch and the gap a deleted event leaves across a batch boundary.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { EventWriter, eventKey, verifyEvents } from '../../src/events/store.ts';

const postgres = await postgresAvailable();
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
const key = eventKey(Buffer.alloc(32, 5));

/** The store, with the most rows any one query returned so far. */
function measured(db: SqlClient) {
  const seen = { maxRows: 0 };
  const client = new Proxy(db, {
    get(target, name) {
      if (name === 'query') {
        return async (text: string, params?: unknown[]) => {
          const rows = await target.query(text, params);
          seen.maxRows = Math.max(seen.maxRows, rows.length);
          return rows;
        };
      }
      const value = Reflect.get(target, name) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { client, seen };
}

describe('events verify in batches', () => {
  for (const store of ['PostgreSQL', 'PGlite'] as const) {
    it.skipIf(store === 'PostgreSQL' && !postgres)(
      `reads at most 1,000 events per query and names what lies past the first batch (${store})`,
      async () => {
        const database = store === 'PostgreSQL' ? await createTestDatabase() : undefined;
        if (database) cleanups.push(database.drop);
        const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-verify-'));
        cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
        const db = await openSqlClient({ databaseUrl: database?.url, dataDir });
        cleanups.push(() => db.close());
        await migrate(db);
        // Realm "a" (300 events) sorts before "b" (2,500): a batch boundary falls inside b's chain.
        const events = new EventWriter(db);
        const append = (realmId: string, n: number) =>
          Promise.all(
            Array.from({ length: n }, (_, i) =>
              events.append(key, {
                realmId,
                kind: 'login',
                time: Date.now(),
                type: 'CLIENT_LOGIN',
                representation: { clientId: `c${i}` },
              }),
            ),
          );
        await append('a', 300);
        await append('b', 2500);
        const { client, seen } = measured(db);
        expect(await verifyEvents(client, key)).toEqual([]);
        expect(seen.maxRows).toBeLessThanOrEqual(1000);

        const b = (
          await db.query<{ id: string }>("SELECT id FROM events WHERE realm_id = 'b' ORDER BY id")
        ).map((r) => Number(r.id));
        // b[700] is the first event of the second batch (300 + 700 = 1,000 before it); b[1800] sits in the third.
        await db.query('DELETE FROM events WHERE id = $1', [b[700]]);
        await db.query(
          'UPDATE events SET representation = \'{"clientId": "forged"}\' WHERE id = $1',
          [b[1800]],
        );
        expect(await verifyEvents(client, key)).toEqual([
          `realm b: event ${b[701]} does not follow event ${b[699]}: an event before it was deleted`,
          `realm b: event ${b[1800]} (CLIENT_LOGIN) was modified`,
        ]);
        expect(await verifyEvents(client, key, 'b')).toHaveLength(2);
        expect(await verifyEvents(client, key, 'a')).toEqual([]);
        expect(seen.maxRows).toBeLessThanOrEqual(1000);
      },
    );
  }
});

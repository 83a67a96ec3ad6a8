/**
 * The admin listing's filters (listEvents: type, client, user, a date window) are served by the
 * indexes of migration events-scale-indexes, not by walking the realm's events from the newest one
 * and filtering. Before, a rare type, a user, or an old date window read every newer event of the
 * realm (bench/results/scale-events-before.md: 75× the listing time at 1M events against 10k).
 * The plans checked are those of the statements listEvents sends, at 100,000 seeded events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { listEvents, type EventFilter } from '../../src/events/store.ts';

const available = await postgresAvailable();
const T0 = Date.UTC(2025, 0, 1);

describe.runIf(available)('event listing query plans (PostgreSQL)', () => {
  let db: SqlClient;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const created = await createTestDatabase();
    drop = created.drop;
    db = await openSqlClient({ databaseUrl: created.url, dataDir: '' });
    await migrate(db);
    // Login events one a second: a type 1 in 10,000, 100 clients, 100,000 users.
    // Without the store's 4 s statement bound: a shared machine may take longer.
    await db.transaction(
      (tx) =>
        tx.query(
          `INSERT INTO events (realm_id, kind, time, type, representation, prev_mac, mac)
       SELECT 'r1', 'login', $1::bigint + i * 1000, CASE WHEN i % 10000 = 5 THEN 'UPDATE_PASSWORD' ELSE 'LOGIN' END,
         jsonb_build_object('clientId', 'client-' || (i % 100), 'userId', 'user-' || (i % 100000)), 'x', 'x'
       FROM generate_series(0, 99999) AS i`,
          [T0],
        ),
      { timeoutMs: 0 },
    );
    await db.query('ANALYZE events');
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  /** The plan (JSON text) of the statement listEvents sends for `filter`. */
  const planOf = async (filter: EventFilter) => {
    const plans: string[] = [];
    const explain: SqlClient = {
      ...db,
      kind: db.kind,
      query: async <T>(text: string, params?: unknown[]) => {
        plans.push(JSON.stringify(await db.query(`EXPLAIN (FORMAT JSON) ${text}`, params)));
        return [] as T[];
      },
    };
    await listEvents(explain, 'r1', 'login', filter);
    return plans[0];
  };

  it('lists one type on events_by_type, a client and a user on their member indexes', async () => {
    expect(await planOf({ types: ['UPDATE_PASSWORD'] })).toContain('"Index Name":"events_by_type"');
    expect(await planOf({ equals: { userId: 'user-42' } })).toContain(
      '"Index Name":"events_by_user"',
    );
    expect(await planOf({ equals: { clientId: 'client-7' }, max: 5000 })).toContain(
      '"Index Name":"events_by_client"',
    );
  });

  it('lists an old date window on events_by_time, in time order', async () => {
    const plan = await planOf({ fromTime: T0, toTime: T0 + 3_600_000 });
    expect(plan).toContain('"Index Name":"events_by_time"');
    expect(plan).not.toContain('"Node Type":"Sort"');
  });

  it('refuses a member path that is not letters and dots', async () => {
    await expect(
      listEvents(db, 'r1', 'login', { equals: { "x'}' OR true --": 'v' } }),
    ).rejects.toThrow('bad event member path');
  });
});

/**
 * The head of a realm's event chain, read by every append, is one entry of the events_chain index
 * (realm_id, id) whatever PostgreSQL's statistics say, and `events verify` walks that index. Asked
 * as `realm_id = $1 ORDER BY id DESC LIMIT 1`, with statistics taken while a quiet realm still had
 * half the events, PostgreSQL walked the primary key backwards and read every newer event of the
 * busy realm before the quiet realm's last one (3,000 rows here, growing with the table). The plans
 * checked are those of the statements the store runs, recorded as it runs them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { EventWriter, eventKey, verifyEvents } from '../../src/events/store.ts';

const available = await postgresAvailable();
const key = eventKey(Buffer.alloc(32, 3));

/** `db` (and its transactions) recording every statement that reads the events table. */
function recording(db: SqlClient, statements: { text: string; params: unknown[] }[]): SqlClient {
  return new Proxy(db, {
    get(target, name) {
      if (name === 'query') {
        return (text: string, params: unknown[] = []) => {
          if (/^\s*SELECT[\s\S]*FROM events\b/.test(text)) statements.push({ text, params });
          return target.query(text, params);
        };
      }
      if (name === 'transaction')
        return <T>(fn: (tx: SqlClient) => Promise<T>) =>
          target.transaction((tx) => fn(recording(tx, statements)));
      const value = Reflect.get(target, name) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe.runIf(available)('events query plans (PostgreSQL)', () => {
  let db: SqlClient;
  let drop: () => Promise<void>;
  const insert = (realm: string, n: number) =>
    db.query(
      `INSERT INTO events (realm_id, kind, time, type, representation, prev_mac, mac)
    SELECT ${realm}, 'login', i, 'LOGIN', '{}', 'p', 'm' || i FROM generate_series(1, $1::int) i`,
      [n],
    );
  beforeAll(async () => {
    const created = await createTestDatabase();
    drop = created.drop;
    db = await openSqlClient({ databaseUrl: created.url, dataDir: '' });
    await migrate(db);
    // Statistics taken while "quiet" had every other event, then no autovacuum while "busy" grows.
    await db.query('ALTER TABLE events SET (autovacuum_enabled = false)');
    await insert("CASE WHEN i % 2 = 0 THEN 'quiet' ELSE 'busy' END", 2000);
    await db.query('ANALYZE events');
    await insert("'busy'", 3000);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const plan = async ({ text, params }: { text: string; params: unknown[] }) =>
    JSON.stringify(await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, params));

  it('reads the chain head of a quiet realm as one entry of events_chain', async () => {
    const statements: { text: string; params: unknown[] }[] = [];
    await new EventWriter(recording(db, statements)).append(key, {
      realmId: 'quiet',
      kind: 'login',
      time: Date.now(),
      type: 'LOGIN',
      representation: {},
    });
    expect(statements).toHaveLength(1);
    const head = await plan(statements[0]);
    expect(head).toContain('"Index Name":"events_chain"');
    expect(head).not.toContain('Rows Removed by Filter');
    expect(head).toMatch(/"Actual Rows":1,/);
  });

  it('walks the chains for events verify on events_chain', async () => {
    const statements: { text: string; params: unknown[] }[] = [];
    await verifyEvents(recording(db, statements), key);
    await verifyEvents(recording(db, statements), key, 'quiet');
    expect(statements.length).toBeGreaterThanOrEqual(7);
    for (const statement of statements)
      expect(await plan(statement)).toContain('"Index Name":"events_chain"');
  });
});

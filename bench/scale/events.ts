/**
 * Events (issue 22 item 1): the events table grown to each size (default 10k, 100k, 1M, 10M rows)
 * by one `INSERT ... SELECT ... generate_series` statement per million rows, all login events of
 * the listed realm, one a second, then, with the server running: `GET /admin/realms/{r}/events`
 * p50 / p99 with each filter of Keycloak's listing (src/admin/events.ts), the append rate through
 * the real writer (events/store.ts EventWriter#append: a burst, and one at a time), and `events verify`
 * throughput (verifyEvents over the chain the appends made).
 *
 * The seeded rows are not chain-valid: their mac is HMAC-SHA-256 over a canonical JSON that SQL
 * cannot reproduce (jsonb's text orders keys by length, the chain's by code point), so SQL seeding
 * writes the placeholder 'seeded'. The verify figure is measured on the chain-valid segment the
 * append measure writes at each size (its own realm id, APPENDS events), in the same table.
 * The two indexes over representation members are dropped for the seeding and rebuilt after it
 * (a sorted build: inserting 9M rows into them took 6 minutes here), so 10M fits the bench's time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import {
  EventWriter,
  eventKey,
  listEvents,
  verifyEvents,
  type EventFilter,
} from '../../src/events/store.ts';
import { createTestDatabase } from '../../test/helpers/components.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import {
  KEK,
  REPO,
  adminToken,
  importFiles,
  maintenance,
  rssMb,
  sample,
  serverEnv,
  startServer,
  type Latency,
} from './common.ts';

/** Seeded event i happened at T0 + i seconds. */
const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;
const newest = (size: number) => T0 + (size - 1) * 1000;

/**
 * The listing requests measured, by name: the query string after `?` at `size` seeded events, and
 * the same as listEvents' filter (for the SQL's own execution time).
 */
export const EVENT_QUERIES: Record<string, (size: number) => [string, EventFilter]> = {
  'first page': () => ['max=100', { max: 100 }],
  'page at first=10000': () => ['first=10000&max=100', { first: 10000, max: 100 }],
  'type=LOGIN (1 in 4)': () => ['type=LOGIN', { types: ['LOGIN'] }],
  'type=UPDATE_PASSWORD (1 in 10k)': () => ['type=UPDATE_PASSWORD', { types: ['UPDATE_PASSWORD'] }],
  'client (1 in 100)': () => ['client=client-7', { equals: { clientId: 'client-7' } }],
  'user (1 in 100k)': () => ['user=user-00042', { equals: { userId: 'user-00042' } }],
  'dateFrom/dateTo: oldest hour': () => [
    `dateFrom=${T0}&dateTo=${T0 + HOUR}`,
    { fromTime: T0, toTime: T0 + HOUR },
  ],
  'dateFrom: newest hour': (size) => [
    `dateFrom=${newest(size) - HOUR}`,
    { fromTime: newest(size) - HOUR },
  ],
};
export type EventQuery = keyof typeof EVENT_QUERIES;

export interface EventsPoint {
  size: number;
  seedMs: number;
  results: Record<EventQuery, Latency>;
  /** listEvents' SQL per query, its execution time inside PostgreSQL, ms. */
  sql: Record<EventQuery, number>;
  /** Events/s: APPENDS appended at once (the writer batches), and SERIAL one after another. */
  burstPerS: number;
  serialPerS: number;
  /** verifyEvents over the APPENDS-event chain: events/s, and whether it found it intact. */
  verifyPerS: number;
  intact: boolean;
  rssMb: number;
}

const APPENDS = 20_000;
const SERIAL = 300;
const CHUNK = 1_000_000;
/** The indexes of migration events-scale-indexes over representation members, as it makes them. */
const REBUILT = ['events_by_client', 'events_by_user'].map((name) => ({
  name,
  sql: new RegExp(`CREATE INDEX IF NOT EXISTS ${name} [^;]+`).exec(MIGRATIONS.join('\n'))![0],
}));

/** Adds login events number `from` to `from + count - 1` to realm `realmId`, one statement per CHUNK. */
async function seed(db: SqlClient, realmId: string, from: number, count: number): Promise<void> {
  for (let lo = from; lo < from + count; lo += CHUNK) {
    const hi = Math.min(from + count - 1, lo + CHUNK - 1);
    await db.transaction(
      (tx) =>
        tx.query(
          `INSERT INTO events (realm_id, kind, time, type, representation, prev_mac, mac)
           SELECT $1::text, 'login', $4::bigint + i * 1000::bigint, t, jsonb_build_object(
               'time', $4::bigint + i * 1000::bigint, 'type', t, 'realmId', $1::text,
               'clientId', 'client-' || (i % 100), 'userId', 'user-' || lpad((i % 100000)::text, 5, '0'),
               'sessionId', md5(i::text), 'ipAddress', '10.0.' || (i % 250) || '.' || (i % 199),
               'details', jsonb_build_object('username', 'user-' || lpad((i % 100000)::text, 5, '0'), 'auth_method', 'openid-connect')),
             'seeded', 'seeded'
           FROM generate_series($2::bigint, $3::bigint) AS i,
             LATERAL (SELECT CASE WHEN i % 10000 = 5 THEN 'UPDATE_PASSWORD'
               ELSE (ARRAY['LOGIN', 'CODE_TO_TOKEN', 'REFRESH_TOKEN', 'LOGOUT'])[1 + i % 4] END AS t) AS types`,
          [realmId, lo, hi, T0],
        ),
      { timeoutMs: 0 },
    );
  }
}

/** Appends APPENDS events at once and SERIAL one at a time to realm `chain`; events/s of each. */
async function appendRates(db: SqlClient, key: Buffer, chain: string) {
  const event = (i: number) => {
    const time = Date.now();
    const representation = { time, type: 'LOGIN', realmId: chain, clientId: 'c', userId: `u${i}` };
    return { realmId: chain, kind: 'login' as const, time, type: 'LOGIN', representation };
  };
  const writer = new EventWriter(db);
  let t0 = performance.now();
  // In waves of 5,000: the writer refuses more than 10,000 waiting per realm.
  for (let i = 0; i < APPENDS; i += 5000)
    await Promise.all(Array.from({ length: 5000 }, (_, j) => writer.append(key, event(i + j))));
  const burstPerS = APPENDS / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < SERIAL; i += 1) await writer.append(key, event(APPENDS + i));
  const serialPerS = SERIAL / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  const problems = await verifyEvents(db, key, chain);
  const verifyPerS = (APPENDS + SERIAL) / ((performance.now() - t0) / 1000);
  return { burstPerS, serialPerS, verifyPerS, intact: problems.length === 0 };
}

/**
 * The median execution time (ms, PostgreSQL's EXPLAIN ANALYZE, no network or JSON) of the SQL
 * listEvents sends for `filter`, 5 runs: the store's share of the listing time.
 */
async function sqlTime(db: SqlClient, realmId: string, filter: EventFilter): Promise<number> {
  const times: number[] = [];
  const explain: SqlClient = {
    ...db,
    kind: db.kind,
    query: async <T>(text: string, params?: unknown[]) => {
      const [row] = await db.query<Record<string, unknown>>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
        params,
      );
      let plan = Object.values(row)[0];
      if (typeof plan === 'string') plan = JSON.parse(plan);
      times.push((plan as { 'Execution Time': number }[])[0]['Execution Time']);
      return [] as T[];
    },
  };
  for (let i = 0; i < 5; i += 1) await listEvents(explain, realmId, 'login', filter);
  return times.sort((a, b) => a - b)[2];
}

/** Runs the events curve over `sizes` (ascending, seeded rows) on PostgreSQL. */
export async function eventsCurve(
  sizes: number[],
  log: (line: string) => void,
): Promise<EventsPoint[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'qsign-scale-events-'));
  const database = await createTestDatabase();
  const env = serverEnv(dir, database.url);
  const file = path.join(dir, 'events.json');
  writeFileSync(file, JSON.stringify({ realm: 'events', eventsEnabled: true }));
  importFiles(env, [path.join(REPO, 'realms', 'master.json'), file]);
  const db = await openSqlClient({ databaseUrl: database.url, dataDir: dir });
  const [{ id }] = await db.query<{ id: string }>("SELECT id FROM realms WHERE name = 'events'");
  const key = eventKey(Buffer.from(KEK, 'base64'));
  const server = await startServer(env, path.join(dir, 'server.log'));
  const points: EventsPoint[] = [];
  let have = 0;
  try {
    for (const size of sizes) {
      const t0 = performance.now();
      // The member indexes take their entries in random order (35 s per million rows at 10M,
      // their pages out of cache): dropped for the seeding and rebuilt by a sorted build.
      await maintenance(db, database.url, `DROP INDEX ${REBUILT.map((i) => i.name).join(', ')}`);
      await seed(db, id, have, size - have);
      for (const { sql } of REBUILT)
        await maintenance(db, database.url, `SET maintenance_work_mem = '256MB'; ${sql}`);
      have = size;
      await maintenance(db, database.url, 'ANALYZE events');
      const seedMs = performance.now() - t0;
      const results = {} as Record<EventQuery, Latency>;
      const sql = {} as Record<EventQuery, number>;
      for (const name of Object.keys(EVENT_QUERIES)) {
        const [qs, filter] = EVENT_QUERIES[name](size);
        sql[name] = await sqlTime(db, id, filter);
        // Master admin tokens live 60 s: a fresh one per request kind.
        const token = await adminToken(server.url);
        const url = `${server.url}/admin/realms/events/events?${qs}`;
        results[name] = await sample(
          () => fetch(url, { headers: { authorization: `Bearer ${token}` } }),
          { count: 30, warmup: 2 },
        );
      }
      const rates = await appendRates(db, key, `chain-${size}`);
      points.push({ size, seedMs, results, sql, ...rates, rssMb: rssMb(server.proc.pid!) });
      log(
        `events ${size}: seeded in ${(seedMs / 1000).toFixed(0)} s; ${Object.entries(results)
          .map(
            ([n, r]) =>
              `${n} p50 ${r.p50.toFixed(1)} ms (SQL ${sql[n].toFixed(2)} ms)${r.errors ? ` (${r.errors} errors)` : ''}`,
          )
          .join(
            ', ',
          )}; append ${rates.burstPerS.toFixed(0)}/s burst, ${rates.serialPerS.toFixed(0)}/s serial; verify ${rates.verifyPerS.toFixed(0)}/s (${rates.intact ? 'intact' : 'BROKEN'})`,
      );
    }
  } finally {
    await server.stop();
    await db.close();
    await database.drop();
  }
  return points;
}

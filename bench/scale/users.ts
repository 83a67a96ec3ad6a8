/**
 * Users per realm (issue 22 item 1): one realm grown to each size by bulk INSERT ... SELECT from
 * generate_series (copies of one imported template user, each with its own id, username, email,
 * names and attributes, and the template's argon2id password), then the server (`npm start`, one
 * worker) restarted and measured: password grant, `?search=` (a prefix matching 10 users, and a
 * common first name matching 1/40 of them), `?q=attr:value` (one user), `/users/count` (all, and
 * for a search), brief-representation paging (first page, and a page in the middle). Latency p50 /
 * p99 and server RSS per size, and each as a ratio to the smallest size.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { countUsers, findUserForLogin, searchUsers } from '../../src/store/users.ts';
import { createTestDatabase } from '../../test/helpers/components.ts';
import {
  REPO,
  adminToken,
  form,
  importFiles,
  maintenance,
  rssMb,
  sample,
  serverEnv,
  startServer,
  type Latency,
} from './common.ts';

const PASSWORD = 'scale-password';
const FIRST_NAMES = [
  'Anna', 'Ben', 'Carla', 'David', 'Eva', 'Felix', 'Greta', 'Hugo', 'Ida', 'Jonas',
  'Karin', 'Lars', 'Mia', 'Nils', 'Olga', 'Paul', 'Rosa', 'Sven', 'Tina', 'Ulf',
  'Vera', 'Walter', 'Xenia', 'Yusuf', 'Zoe', 'Arne', 'Britt', 'Cem', 'Dora', 'Emil',
  'Frida', 'Gustav', 'Hanna', 'Ivo', 'Jana', 'Kurt', 'Lena', 'Malte', 'Nora', 'Otto',
]; // prettier-ignore

export interface UsersPoint {
  size: number;
  startMs: number;
  rssMb: number;
  seedMs: number;
  results: Record<string, Latency>;
  /** SQL_QUERIES' execution times inside the database, ms. */
  sql: Record<string, number>;
}

export const USER_QUERIES = [
  'password grant',
  'search prefix (10 matches)',
  'search first name (1/40 match)',
  'q=attr:value (1 match)',
  'count (all)',
  'count ?search= (10 matches)',
  'brief page first=0 max=100',
  'brief page first=n/2 max=100',
] as const;

const pad = (i: number) => String(i).padStart(7, '0');

/** Adds users `from..to` (inclusive) to realm `realmId`, in chunks of 50,000 per transaction. */
async function seed(
  db: SqlClient,
  databaseUrl: string | undefined,
  realmId: string,
  from: number,
  to: number,
): Promise<void> {
  const names = `ARRAY[${FIRST_NAMES.map((n) => `'${n}'`).join(',')}]`;
  for (let lo = from; lo <= to; lo += 50_000) {
    const hi = Math.min(to, lo + 49_999);
    await db.transaction(
      async (tx) => {
        await tx.query(
          `INSERT INTO users (id, realm_id, username, email, representation)
           SELECT g.id, $1, g.username, g.username || '@example.com',
             t.representation || jsonb_build_object('id', g.id, 'username', g.username,
               'email', g.username || '@example.com', 'firstName', (${names})[1 + g.i % 40],
               'lastName', 'Last' || (g.i % 1000), 'createdTimestamp', 1700000000000 + g.i,
               'attributes', jsonb_build_object('employeeNumber', jsonb_build_array('E' || g.i),
                 'dept', jsonb_build_array('d' || (g.i % 50))))
           FROM (SELECT i, md5('scale-' || i)::uuid::text AS id, 'user' || lpad(i::text, 7, '0') AS username
                 FROM generate_series($2::int, $3::int) AS i) g,
                (SELECT representation FROM users WHERE realm_id = $1 AND username = 'template') t`,
          [realmId, lo, hi],
        );
        await tx.query(
          `INSERT INTO credentials (id, user_id, type, secret_data, credential_data)
           SELECT md5('scale-' || i)::uuid::text || '-password-0', md5('scale-' || i)::uuid::text,
             'password', c.secret_data, c.credential_data
           FROM generate_series($2::int, $3::int) AS i,
                (SELECT c.secret_data, c.credential_data FROM credentials c JOIN users u ON u.id = c.user_id
                 WHERE u.realm_id = $1 AND u.username = 'template') c`,
          [realmId, lo, hi],
        );
      },
      { timeoutMs: 0 },
    );
  }
  // As autovacuum would: statistics and the visibility map (index-only scans for count).
  await maintenance(db, databaseUrl, 'VACUUM ANALYZE users');
  await maintenance(db, databaseUrl, 'VACUUM ANALYZE credentials');
}

/** The store's queries, measured inside the database (EXPLAIN ANALYZE execution time, ms). */
export const SQL_QUERIES = [
  'search prefix',
  'search first name',
  'q=attr:value',
  'count (all)',
  'page first=0',
  'login lookup',
] as const;

/**
 * The median execution time (ms, PostgreSQL's own EXPLAIN ANALYZE figure, no network or JSON) of
 * the SQL that store/users.ts sends for each of SQL_QUERIES, 7 runs each, at `n` users: the
 * store's share of the curve, less disturbed by a busy machine than the HTTP latency.
 */
async function sqlTimes(
  db: SqlClient,
  realmId: string,
  n: number,
): Promise<Record<string, number>> {
  const rand = () => 1 + Math.floor(Math.random() * n);
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
  let times: number[] = [];
  const runs: Record<(typeof SQL_QUERIES)[number], () => Promise<unknown>> = {
    'search prefix': () =>
      searchUsers(explain, realmId, { search: `user${pad(rand()).slice(0, 6)}`, max: 11 }),
    'search first name': () =>
      searchUsers(explain, realmId, { search: FIRST_NAMES[rand() % 40], max: 11 }),
    'q=attr:value': () =>
      searchUsers(explain, realmId, { attributes: [['employeeNumber', `E${rand()}`]] }),
    'count (all)': () => countUsers(explain, realmId, {}),
    'page first=0': () => searchUsers(explain, realmId, { first: 0, max: 100 }),
    'login lookup': () => findUserForLogin(explain, realmId, `user${pad(rand())}`, true),
  };
  const out: Record<string, number> = {};
  for (const [name, run] of Object.entries(runs)) {
    times = [];
    for (let i = 0; i < 7; i += 1) await run();
    times.sort((a, b) => a - b);
    out[name] = times[Math.floor(times.length / 2)];
  }
  return out;
}

/** The measured requests of one size `n` on the server at `url`. */
async function measure(url: string, n: number): Promise<Record<string, Latency>> {
  const rand = () => 1 + Math.floor(Math.random() * n);
  const admin = `${url}/admin/realms/scale/users`;
  const results: Record<string, Latency> = {};
  const token = `${url}/realms/scale/protocol/openid-connect/token`;
  results['password grant'] = await sample(
    () =>
      fetch(
        token,
        form({
          grant_type: 'password',
          client_id: 'pw',
          username: `user${pad(rand())}`,
          password: PASSWORD,
        }),
      ),
    { count: 24 },
  );
  const get = async (label: string, query: () => string, count = 60) => {
    const headers = { authorization: `Bearer ${await adminToken(url)}` };
    results[label] = await sample(() => fetch(`${admin}${query()}`, { headers }), { count });
  };
  await get(
    'search prefix (10 matches)',
    () => `?briefRepresentation=true&first=0&max=11&search=user${pad(rand()).slice(0, 6)}`,
  );
  await get(
    'search first name (1/40 match)',
    () => `?briefRepresentation=true&first=0&max=11&search=${FIRST_NAMES[rand() % 40]}`,
    30,
  );
  await get('q=attr:value (1 match)', () => `?q=employeeNumber:E${rand()}`);
  await get('count (all)', () => '/count', 30);
  await get('count ?search= (10 matches)', () => `/count?search=user${pad(rand()).slice(0, 6)}`);
  await get('brief page first=0 max=100', () => '?briefRepresentation=true&first=0&max=100', 30);
  await get(
    'brief page first=n/2 max=100',
    () => `?briefRepresentation=true&first=${Math.floor(n / 2)}&max=100`,
    20,
  );
  return results;
}

/**
 * Runs the users curve on one store (`databaseUrl` for PostgreSQL, else PGlite in a temporary
 * DATA_DIR) over `sizes` (ascending); `log` gets progress lines.
 */
export async function usersCurve(
  store: 'postgresql' | 'pglite',
  sizes: number[],
  log: (line: string) => void,
): Promise<UsersPoint[]> {
  const dir = mkdtempSync(path.join(tmpdir(), `qsign-scale-users-${store}-`));
  const database = store === 'postgresql' ? await createTestDatabase() : undefined;
  const env = serverEnv(dir, database?.url);
  const realmFile = path.join(dir, 'scale.json');
  writeFileSync(
    realmFile,
    JSON.stringify({
      realm: 'scale',
      clients: [
        {
          clientId: 'pw',
          publicClient: true,
          standardFlowEnabled: false,
          directAccessGrantsEnabled: true,
        },
      ],
      users: [
        {
          username: 'template',
          enabled: true,
          firstName: 'Tem',
          lastName: 'Plate',
          email: 'template@example.org',
          credentials: [{ type: 'password', value: PASSWORD }],
          realmRoles: ['default-roles-scale'],
        },
      ],
    }),
  );
  importFiles(env, [path.join(REPO, 'realms', 'master.json'), realmFile]);
  const points: UsersPoint[] = [];
  let have = 0;
  try {
    for (const size of sizes) {
      const t0 = performance.now();
      const db = await openSqlClient({ databaseUrl: database?.url, dataDir: dir });
      const [{ id }] = await db.query<{ id: string }>("SELECT id FROM realms WHERE name = 'scale'");
      await seed(db, database?.url, id, have + 1, size);
      const seedMs = performance.now() - t0;
      const sql = await sqlTimes(db, id, size);
      await db.close();
      have = size;
      log(`users ${store} ${size}: seeded in ${(seedMs / 1000).toFixed(1)} s`);
      const server = await startServer(env, path.join(dir, 'server.log'));
      try {
        const results = await measure(server.url, size);
        points.push({
          size,
          seedMs,
          startMs: server.startMs,
          rssMb: rssMb(server.proc.pid!),
          results,
          sql,
        });
        log(
          `users ${store} ${size}: ${Object.entries(results)
            .map(
              ([k, r]) =>
                `${k} p50 ${r.p50.toFixed(1)} ms${r.errors ? ` (${r.errors} errors)` : ''}`,
            )
            .join('; ')}`,
        );
      } finally {
        await server.stop();
      }
    }
  } finally {
    await database?.drop();
  }
  return points;
}

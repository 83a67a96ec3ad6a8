/**
 * What each token request costs the store, counted rather than timed: the SQL statements the
 * server sends per password grant, refresh, client-credentials grant and browser code-flow login,
 * split into reads and writes by table (and by oidc-provider model for `oidc_payloads`), and the
 * commits they make (one per transaction, one per write outside a transaction). Counts do not
 * depend on the machine's load, so a change that adds a round trip shows here exactly; the grant
 * rates themselves are bench/run.ts's. The server runs in this process over PostgreSQL when it is
 * reachable (PGlite otherwise), its store client wrapped by a counter (test/helpers/server.ts
 * `wrapSqlClient`). Writes bench/results/store-statements.md. Requests per scenario:
 * BENCH_STATEMENT_REQUESTS (default 10).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SqlClient } from '../src/store/sql.ts';
import { createTestDatabase, postgresAvailable } from '../test/helpers/components.ts';
import { startServer, type TestServer } from '../test/helpers/server.ts';
import { codeFlowLogin } from '../test/helpers/code-flow.ts';

const REQUESTS = Number(process.env.BENCH_STATEMENT_REQUESTS ?? 10);
const REALM = 'stmts';
const MODELS = new Set([
  'Session',
  'Grant',
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'Interaction',
  'ClientCredentials',
  'DeviceCode',
]);

type Counts = Map<string, number>;

/** `read <table>` / `write <table>` (with the oidc-provider model for oidc_payloads) of one statement. */
export function classify(text: string, params: unknown[] = []): string[] {
  // Models named by a parameter or in the SQL itself (`model = 'Session'`, as the rotation's touch).
  const named = [...text.matchAll(/\bmodel = '(\w+)'/g)].map((m) => m[1]);
  const models = [
    ...new Set([...params, ...named].filter((p) => typeof p === 'string' && MODELS.has(p))),
  ];
  const name = (table: string) =>
    table === 'oidc_payloads' && models.length ? `${table}/${models.join('+')}` : table;
  // `ON CONFLICT … DO UPDATE SET` is part of an INSERT, not an UPDATE of its own.
  const writes = [...text.matchAll(/\b(?:INSERT INTO|(?<!DO )UPDATE|DELETE FROM)\s+(\w+)/gi)];
  if (writes.length) return [...new Set(writes.map((m) => `write ${name(m[1])}`))];
  const from = /\bFROM\s+(\w+)/i.exec(text);
  return [`read ${from ? name(from[1]) : 'other'}`];
}

/** A SqlClient that counts into `counts` every statement and commit it passes on to `db`. */
function counting(db: SqlClient, counts: Counts, inTransaction = false): SqlClient {
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  return {
    kind: db.kind,
    keyEncryptionKey: db.keyEncryptionKey,
    close: () => db.close(),
    query: (text, params) => {
      const kinds = classify(text, params);
      add('statements');
      for (const k of kinds) add(k);
      if (!inTransaction && kinds[0].startsWith('write')) add('commits');
      return db.query(text, params);
    },
    transaction: (fn, options) => {
      add('commits');
      return db.transaction((tx) => fn(counting(tx, counts, true)), options);
    },
  };
}

async function tokenRequest(server: TestServer, form: Record<string, string>) {
  const res = await fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
  const body = (await res.json()) as Record<string, string>;
  if (res.status !== 200) throw new Error(`token request: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

const REALM_DOC = {
  realm: REALM,
  clients: [
    { clientId: 'cli', publicClient: true, directAccessGrantsEnabled: true },
    { clientId: 'svc', secret: 'svc-secret', serviceAccountsEnabled: true, publicClient: false },
    { clientId: 'web', publicClient: true, redirectUris: ['http://localhost:4000/*'] },
  ],
  users: [{ username: 'bob', enabled: true, credentials: [{ type: 'password', value: 'bob-pw' }] }],
};

function scenarios(server: TestServer): Array<[string, () => Promise<unknown>]> {
  const password = () =>
    tokenRequest(server, {
      grant_type: 'password',
      client_id: 'cli',
      username: 'bob',
      password: 'bob-pw',
      scope: 'openid',
    });
  let refreshToken = '';
  return [
    ['password grant (scope openid)', password],
    [
      'refresh grant',
      async () => {
        refreshToken ||= (await password()).refresh_token;
        refreshToken = (
          await tokenRequest(server, {
            grant_type: 'refresh_token',
            client_id: 'cli',
            refresh_token: refreshToken,
          })
        ).refresh_token;
      },
    ],
    [
      'client-credentials grant',
      () =>
        tokenRequest(server, {
          grant_type: 'client_credentials',
          client_id: 'svc',
          client_secret: 'svc-secret',
        }),
    ],
    [
      'code-flow login (authorize, login form, code exchange)',
      () =>
        codeFlowLogin({
          baseUrl: server.baseUrl,
          realm: REALM,
          clientId: 'web',
          redirectUri: 'http://localhost:4000/cb',
          username: 'bob',
          password: 'bob-pw',
        }),
    ],
  ];
}

function report(store: string, rows: Array<[string, Counts]>): string {
  const per = (c: Counts, k: string) => ((c.get(k) ?? 0) / REQUESTS).toFixed(1);
  const lines = [
    '# Store statements per request',
    '',
    `\`node bench/store-statements.ts\`, ${new Date().toISOString()}, ${store}, mean of ${REQUESTS} requests each.`,
    '',
    '| request | statements | commits | writes by table | reads by table |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [name, c] of rows) {
    const part = (prefix: string) =>
      [...c.keys()]
        .filter((k) => k.startsWith(prefix))
        .sort()
        .map((k) => `${k.slice(prefix.length)} ${per(c, k)}`)
        .join(', ');
    lines.push(
      `| ${name} | ${per(c, 'statements')} | ${per(c, 'commits')} | ${part('write ')} | ${part('read ')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const counts: Counts = new Map();
  const database = (await postgresAvailable()) ? await createTestDatabase() : undefined;
  const server = await startServer({
    databaseUrl: database?.url,
    realms: [REALM_DOC],
    wrapSqlClient: (db) => counting(db, counts),
  });
  const rows: Array<[string, Counts]> = [];
  try {
    for (const [name, request] of scenarios(server)) {
      await request(); // warm: the realm's caches, the first session
      counts.clear();
      for (let i = 0; i < REQUESTS; i += 1) await request();
      rows.push([name, new Map(counts)]);
    }
  } finally {
    await server.close();
    await database?.drop();
  }
  const text = report(database ? 'PostgreSQL' : 'PGlite', rows);
  process.stdout.write(text);
  const dir = path.join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'store-statements.md'), text);
}

if (import.meta.main) await main();

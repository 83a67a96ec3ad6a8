/**
 * Test set-ups repeated across the store tests, in one place:
 * - `itOnEachStore`: one test run on a migrated PGlite store and on a PostgreSQL database (a copy
 *   of the run's migrated template; skipped, with vitest's skip, when PostgreSQL is not there),
 *   each closed and dropped afterwards. The migration tests use it: they set a store back to what
 *   an earlier version wrote, then migrate it again.
 * - `openStaleStatsStore`: a PostgreSQL database whose `oidc_payloads` statistics were taken
 *   empty and are never refreshed (autovacuum off), the normal state of a busy table, with one
 *   realm `r1` and oidc-provider's adapter over it: the query-plan tests fill it and EXPLAIN.
 */
import { describe, it } from 'vitest';
import { migrate } from '../../src/store/migrations.ts';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { createPostgresAdapter } from '../../adapters/postgres.ts';
import { createTestDatabase, postgresAvailable } from './components.ts';
import { openTestStore } from './store-template.ts';

const withPostgres = await postgresAvailable();

/**
 * `describe.each` over PGlite and PostgreSQL (`${title} on PGlite` / `on PostgreSQL`), with one
 * test `name` that gets a migrated store.
 * @param timeoutMs the test's timeout (milliseconds), vitest's default when unset
 */
export function itOnEachStore(
  title: string,
  name: string,
  check: (db: SqlClient) => Promise<void>,
  timeoutMs?: number,
): void {
  describe.each([
    ['PGlite', false],
    ['PostgreSQL', true],
  ] as const)(`${title} on %s`, (_store, postgres) => {
    it.skipIf(postgres && !withPostgres)(
      name,
      async () => {
        const database = postgres ? await createTestDatabase({ migrated: true }) : undefined;
        const db = await openTestStore(database?.url);
        try {
          await migrate(db);
          await check(db);
        } finally {
          await db.close();
          await database?.drop();
        }
      },
      timeoutMs,
    );
  });
}

export interface StaleStatsStore {
  db: SqlClient;
  /** oidc-provider's adapter class over realm `r1` (adapters/postgres.ts). */
  Adapter: ReturnType<typeof createPostgresAdapter>;
  /** Closes the client and drops the database. */
  close(): Promise<void>;
}

/** See the module comment; PostgreSQL only (the caller checks `postgresAvailable()`). */
export async function openStaleStatsStore(): Promise<StaleStatsStore> {
  const created = await createTestDatabase();
  const db = await openSqlClient({ databaseUrl: created.url, dataDir: '' });
  await migrate(db);
  // Statistics taken while the table was empty, then no autovacuum: a table that grew since its last ANALYZE.
  await db.query('ALTER TABLE oidc_payloads SET (autovacuum_enabled = false)');
  await db.query('ANALYZE oidc_payloads');
  await db.query("INSERT INTO realms (id, name, representation) VALUES ('r1', 'r1', '{}')");
  return {
    db,
    Adapter: createPostgresAdapter(db, 'r1'),
    close: async () => {
      await db.close();
      await created.drop();
    },
  };
}

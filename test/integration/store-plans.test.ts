/**
 * The adapter's lookups by id use the primary key whatever PostgreSQL's statistics say. With the
 * uid / user_code / grant indexes over every row, a table that had grown since its last ANALYZE
 * (the normal state of a busy oidc_payloads) got its id lookups planned on the user_code index:
 * every row of the model read per lookup (measured: 5 ms per refresh-token lookup at 5,000 rows,
 * growing with the table), which made refresh grants cost PostgreSQL about 5 ms of CPU each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { createPostgresAdapter } from '../../adapters/postgres.ts';

const available = await postgresAvailable();

describe.runIf(available)('oidc_payloads query plans (PostgreSQL)', () => {
  let db: SqlClient;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const created = await createTestDatabase();
    drop = created.drop;
    db = await openSqlClient({ databaseUrl: created.url, dataDir: '' });
    await migrate(db);
    // Statistics taken while the table was empty, then no autovacuum: a table that grew since its last ANALYZE.
    await db.query('ALTER TABLE oidc_payloads SET (autovacuum_enabled = false)');
    await db.query('ANALYZE oidc_payloads');
    await db.query("INSERT INTO realms (id, name, representation) VALUES ('r1', 'r1', '{}')");
    const Adapter = createPostgresAdapter(db, 'r1');
    const [tokens, grants] = [new Adapter('RefreshToken'), new Adapter('Grant')];
    for (let i = 0; i < 40; i += 1) {
      await grants.upsert(`g${i}`, { accountId: 'a' }, 3600);
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          tokens.upsert(`t${i}-${j}`, { grantId: `g${i}`, accountId: 'a' }, 3600),
        ),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const plan = async (sql: string, params: unknown[]) =>
    JSON.stringify(await db.query(`EXPLAIN (FORMAT JSON) ${sql}`, params));

  it('finds a token by id on the primary key, consumes it on the primary key', async () => {
    const find = await plan(
      'SELECT payload, consumed_at FROM oidc_payloads WHERE realm_id = $1 AND model = $2 AND id = $3 AND (expires_at IS NULL OR expires_at > now())',
      ['r1', 'RefreshToken', 't7-7'],
    );
    expect(find).toContain('"Index Name":"oidc_payloads_pkey"');
    const consume = await plan(
      'UPDATE oidc_payloads SET consumed_at = now() WHERE realm_id = $1 AND model = $2 AND id = $3 AND consumed_at IS NULL RETURNING 1',
      ['r1', 'RefreshToken', 't7-7'],
    );
    expect(consume).toContain('"Index Name":"oidc_payloads_pkey"');
  });

  it('still finds by uid, user code and grant on their own indexes', async () => {
    expect(
      await plan('SELECT 1 FROM oidc_payloads WHERE realm_id = $1 AND model = $2 AND uid = $3', [
        'r1',
        'Session',
        'u',
      ]),
    ).toContain('oidc_payloads_by_uid');
    expect(
      await plan(
        'SELECT 1 FROM oidc_payloads WHERE realm_id = $1 AND model = $2 AND user_code = $3',
        ['r1', 'DeviceCode', 'c'],
      ),
    ).toContain('oidc_payloads_by_user_code');
    expect(
      await plan(
        'DELETE FROM oidc_payloads WHERE realm_id = $1 AND grant_id = $2 AND model = ANY($3)',
        ['r1', 'g3', ['RefreshToken']],
      ),
    ).toContain('oidc_payloads_by_grant');
  });
});

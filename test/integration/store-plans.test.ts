/**
 * The adapter's lookups by id use the primary key whatever PostgreSQL's statistics say. With the
 * uid / user_code / grant indexes over every row, a table that had grown since its last ANALYZE
 * (the normal state of a busy oidc_payloads) got its id lookups planned on the user_code index:
 * every row of the model read per lookup (measured: 5 ms per refresh-token lookup at 5,000 rows,
 * growing with the table), which made refresh grants cost PostgreSQL about 5 ms of CPU each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../helpers/components.ts';
import { openStaleStatsStore, type StaleStatsStore } from '../helpers/each-store.ts';
import type { SqlClient } from '../../src/store/sql.ts';

const available = await postgresAvailable();

describe.runIf(available)('oidc_payloads query plans (PostgreSQL)', () => {
  let db: SqlClient;
  let store: StaleStatsStore;
  beforeAll(async () => {
    store = await openStaleStatsStore();
    db = store.db;
    const { Adapter } = store;
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
    await store?.close();
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

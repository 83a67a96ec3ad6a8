/**
 * The expired-row sweep (adapters/postgres.ts deleteExpiredPayloads, run every 10 minutes by
 * the server): it removes oidc_payloads rows expired more than 5 minutes ago and revoked-token
 * entries past their expiry, keeps the rest, and does so in batches of short statements, none of
 * them inside one long transaction (a transaction over the whole backlog held every expired row's
 * lock until its end; issue 22). Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testStores } from '../helpers/components.ts';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { deleteExpiredPayloads } from '../../adapters/postgres.ts';

const stores = await testStores();

describe.each(stores)('expired-row sweep on $name', (store) => {
  let db: SqlClient;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const database = await store.databaseUrl?.();
    drop = database?.drop;
    db = await openSqlClient({ databaseUrl: database?.url, dataDir: 'memory://' });
    await migrate(db);
  }, 180_000);
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('removes every expired row in batches of short statements and keeps the others', async () => {
    await db.query(
      `INSERT INTO oidc_payloads (realm_id, model, id, payload, expires_at)
       SELECT 'r', 'Session', 'old-' || i, '{}'::jsonb, now() - interval '1 hour' FROM generate_series(1, 1203) i
       UNION ALL SELECT 'r', 'Session', 'recent-' || i, '{}', now() - interval '1 minute' FROM generate_series(1, 7) i
       UNION ALL SELECT 'r', 'Session', 'live-' || i, '{}', now() + interval '1 hour' FROM generate_series(1, 11) i
       UNION ALL SELECT 'r', 'Grant', 'forever-' || i, '{}', NULL FROM generate_series(1, 3) i`,
    );
    await db.query(
      `INSERT INTO revoked_tokens (realm_id, jti, expires_at)
       SELECT 'r', 'gone-' || i, now() - interval '1 second' FROM generate_series(1, 250) i
       UNION ALL SELECT 'r', 'kept', now() + interval '1 hour'`,
    );
    const statements: string[] = [];
    const watched: SqlClient = {
      kind: db.kind,
      query: (text, params) => {
        statements.push(text);
        return db.query(text, params);
      },
      transaction: () => {
        throw new Error('the sweep opened a transaction');
      },
      close: () => db.close(),
    };
    expect(await deleteExpiredPayloads(watched, 100)).toBe(1203);
    // 1,203 rows at 100 a batch: 13 deletes (the last one short); 250 revoked entries: 3.
    expect(statements.filter((s) => s.includes('DELETE FROM oidc_payloads'))).toHaveLength(13);
    expect(statements.filter((s) => s.includes('DELETE FROM revoked_tokens'))).toHaveLength(3);
    const left = await db.query<{ id: string }>('SELECT id FROM oidc_payloads ORDER BY id');
    expect(left.map((r) => r.id.replace(/-\d+$/, ''))).toEqual([
      ...Array(3).fill('forever'),
      ...Array(11).fill('live'),
      ...Array(7).fill('recent'),
    ]);
    expect(await db.query('SELECT jti FROM revoked_tokens')).toEqual([{ jti: 'kept' }]);
    expect(await deleteExpiredPayloads(db)).toBe(0);
  });
});

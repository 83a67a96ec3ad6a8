/** Data migrations (src/store/migrations.ts) on stores written by earlier versions. */
import { describe, expect, it } from 'vitest';
import { openSqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { importRealm, parseRealm } from '../../src/realm/import.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';

const withPostgres = await postgresAvailable();

describe.each([['PGlite', false], ['PostgreSQL', true]] as const)('migration 10 on %s', (_name, postgres) => {
  it.skipIf(postgres && !withPostgres)("gives the stored realm's clients that have none an id, keeps the others' and their order, and moves the version on", async () => {
    const database = postgres ? await createTestDatabase() : undefined;
    const db = await openSqlClient({ databaseUrl: database?.url, dataDir: 'memory://' });
    try {
      await migrate(db);
      await importRealm(db, Buffer.alloc(32, 3), parseRealm({ realm: 'old', clients: [{ clientId: 'mine', id: 'kept-id' }] }, 'test'));
      // As an earlier version stored it: built-in clients without ids; migration 10 not applied.
      await db.query(`UPDATE realms SET representation = jsonb_set(representation, '{clients}', (
        SELECT jsonb_agg(CASE WHEN c->>'clientId' = 'mine' THEN c ELSE c - 'id' END ORDER BY ord) FROM jsonb_array_elements(representation->'clients') WITH ORDINALITY AS t(c, ord)))`);
      await db.query('DELETE FROM schema_migrations WHERE version = 10');
      const [before] = await db.query<{ clients: { clientId: string; id?: string }[]; version: number }>("SELECT representation->'clients' AS clients, version FROM realms WHERE name = 'old'");
      expect(before!.clients.filter((c) => !c.id).length).toBeGreaterThan(3);

      expect(await migrate(db)).toBe(1);
      const [after] = await db.query<{ clients: { clientId: string; id?: string }[]; version: number }>("SELECT representation->'clients' AS clients, version FROM realms WHERE name = 'old'");
      expect(after!.clients.map((c) => c.clientId)).toEqual(before!.clients.map((c) => c.clientId));
      for (const c of after!.clients) expect(c.id, c.clientId).toMatch(/^[0-9a-f-]{36}$|^kept-id$/);
      expect(after!.clients.find((c) => c.clientId === 'mine')!.id).toBe('kept-id');
      expect(new Set(after!.clients.map((c) => c.id)).size).toBe(after!.clients.length);
      expect(after!.version).toBe(before!.version + 1);
    } finally {
      await db.close();
      await database?.drop();
    }
  });
});

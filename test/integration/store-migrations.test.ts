/** Data migrations (src/store/migrations.ts) on stores written by earlier versions. */
import { expect } from 'vitest';
import { migrate } from '../../src/store/migrations.ts';
import { importRealm, parseRealm } from '../../src/realm/import.ts';
import { itOnEachStore } from '../helpers/each-store.ts';

itOnEachStore(
  'migration 10',
  "gives the stored realm's clients that have none an id, keeps the others' and their order, and moves the version on",
  async (db) => {
    await importRealm(
      db,
      Buffer.alloc(32, 3),
      parseRealm({ realm: 'old', clients: [{ clientId: 'mine', id: 'kept-id' }] }, 'test'),
    );
    // As an earlier version stored it: built-in clients without ids; migration 10 not applied.
    await db.query(`UPDATE realms SET representation = jsonb_set(representation, '{clients}', (
    SELECT jsonb_agg(CASE WHEN c->>'clientId' = 'mine' THEN c ELSE c - 'id' END ORDER BY ord) FROM jsonb_array_elements(representation->'clients') WITH ORDINALITY AS t(c, ord)))`);
    await db.query('DELETE FROM schema_migrations WHERE version = 10');
    const [before] = await db.query<{
      clients: { clientId: string; id?: string }[];
      version: number;
    }>("SELECT representation->'clients' AS clients, version FROM realms WHERE name = 'old'");
    expect(before!.clients.filter((c) => !c.id).length).toBeGreaterThan(3);

    expect(await migrate(db)).toBe(1);
    const [after] = await db.query<{
      clients: { clientId: string; id?: string }[];
      version: number;
    }>("SELECT representation->'clients' AS clients, version FROM realms WHERE name = 'old'");
    expect(after!.clients.map((c) => c.clientId)).toEqual(before!.clients.map((c) => c.clientId));
    for (const c of after!.clients) expect(c.id, c.clientId).toMatch(/^[0-9a-f-]{36}$|^kept-id$/);
    expect(after!.clients.find((c) => c.clientId === 'mine')!.id).toBe('kept-id');
    expect(new Set(after!.clients.map((c) => c.id)).size).toBe(after!.clients.length);
    expect(after!.version).toBe(before!.version + 1);
  },
);

itOnEachStore(
  'migration 13',
  'carries qsign.activateAt / retireAt / createdAt from the component config to the key rows, and the published state from key events',
  async (db) => {
    await importRealm(
      db,
      Buffer.alloc(32, 3),
      parseRealm(
        {
          realm: 'old',
          components: {
            'org.keycloak.keys.KeyProvider': [
              {
                name: 'next',
                providerId: 'ml-dsa-generated',
                config: { priority: ['200'], active: ['false'] },
              },
              {
                name: 'member',
                providerId: 'rsa-generated',
                config: { priority: ['1'], enabled: ['false'] },
              },
            ],
          },
        },
        'test',
      ),
    );
    const keys = await db.query<{ kid: string; component_id: string; name: string }>(
      "SELECT k.kid, k.component_id, c.name FROM keys k JOIN components c ON c.realm_id = k.realm_id AND c.id = k.component_id WHERE c.name IN ('next', 'member')",
    );
    const next = keys.find((k) => k.name === 'next')!;
    const member = keys.find((k) => k.name === 'member')!;
    // As an earlier version stored them: the schedule in the component config, no lifecycle columns.
    await db.query(
      `UPDATE components SET config = config || '{"qsign.activateAt": ["2000000000"], "qsign.createdAt": ["1999999000"], "qsign.retireAt": ["2100000000"]}'::jsonb WHERE id = $1`,
      [next.component_id],
    );
    await db.query(
      "INSERT INTO key_events (realm_id, kid, alg, component_id, action, actor, at) SELECT realm_id, kid, alg, component_id, 'set PASSIVE priority 1', 'admin', to_timestamp(1500000000) FROM keys WHERE kid = $1",
      [member.kid],
    );
    await db.query(
      'ALTER TABLE keys DROP COLUMN activate_at, DROP COLUMN retire_at, DROP COLUMN published_at',
    );
    await db.query('DELETE FROM schema_migrations WHERE version = 13');

    expect(await migrate(db)).toBe(1);
    const rows = await db.query<{
      kid: string;
      activate_at: Date | null;
      retire_at: Date | null;
      published_at: Date | null;
    }>('SELECT kid, activate_at, retire_at, published_at FROM keys WHERE kid = ANY($1)', [
      [next.kid, member.kid],
    ]);
    const seconds = (d: Date | null) =>
      d === null ? null : Math.floor(new Date(d).getTime() / 1000);
    const byKid = Object.fromEntries(
      rows.map((r) => [
        r.kid,
        [seconds(r.activate_at), seconds(r.retire_at), seconds(r.published_at)],
      ]),
    );
    expect(byKid[next.kid]).toEqual([2000000000, 2100000000, 1999999000]);
    // Disabled now, but once PASSIVE: published (a composite may not take it).
    expect(byKid[member.kid]).toEqual([null, null, 1500000000]);
    const [config] = await db.query<{ config: Record<string, string[]> }>(
      'SELECT config FROM components WHERE id = $1',
      [next.component_id],
    );
    expect(Object.keys(config.config).filter((k) => k.startsWith('qsign.'))).toEqual([]);
  },
);

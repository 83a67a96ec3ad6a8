/**
 * RealmManager.addQueryCompositeRoles, which Keycloak applies when it creates or imports a realm
 * (setupRealmAdminManagement / checkRealmAdminManagementRoles): the realm-management role
 * view-users includes query-users and query-groups, and view-clients includes query-clients.
 * - an import whose file defines those roles without composites gets them added, beside the
 *   composites the file gave;
 * - a realm stored before (as an earlier version stored it) gets them from the migration.
 */
import { expect, it } from 'vitest';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { migrate, migrationVersion } from '../../src/store/migrations.ts';
import { importRealm, parseRealm } from '../../src/realm/import.ts';
import { findRealm } from '../../src/store/realms.ts';

const REALM = {
  realm: 'qc',
  roles: {
    client: {
      'realm-management': [
        { name: 'view-users' },
        {
          name: 'view-clients',
          composite: true,
          composites: { client: { 'realm-management': ['view-realm'] } },
        },
      ],
    },
  },
};

/** The realm-management composites of `name` in realm qc, sorted. */
async function composites(db: SqlClient, name: string): Promise<string[]> {
  const realm = (await findRealm(db, 'qc'))!;
  const role = realm.doc.roles.client['realm-management'].find((r) => r.name === name)!;
  return [...(role.composites?.client?.['realm-management'] ?? [])].sort();
}

it('an import adds the query composites to view-users and view-clients, keeping the file’s own', async () => {
  const db = await openSqlClient({ dataDir: 'memory://' });
  try {
    await migrate(db);
    await importRealm(db, Buffer.alloc(32, 3), parseRealm(REALM, 'test'));
    expect(await composites(db, 'view-users')).toEqual(['query-groups', 'query-users']);
    expect(await composites(db, 'view-clients')).toEqual(['query-clients', 'view-realm']);
    expect(await composites(db, 'realm-admin')).toContain('impersonation');
  } finally {
    await db.close();
  }
});

it('the migration gives realms stored before the query composites, once', async () => {
  const db = await openSqlClient({ dataDir: 'memory://' });
  try {
    await migrate(db);
    await importRealm(db, Buffer.alloc(32, 3), parseRealm(REALM, 'test'));
    // As an earlier version stored it: view-users without composites, view-clients with its own only.
    const stored = (await findRealm(db, 'qc'))!;
    const roles = stored.doc.roles.client['realm-management'].map((r) =>
      r.name === 'view-users'
        ? { name: 'view-users' }
        : r.name === 'view-clients'
          ? { ...r, composites: { client: { 'realm-management': ['view-realm'] } } }
          : r,
    );
    await db.query(
      `UPDATE realms SET representation = jsonb_set(representation, '{roles,client,realm-management}', $1::jsonb) WHERE name = 'qc'`,
      [JSON.stringify(roles)],
    );
    expect(await composites(db, 'view-users')).toEqual([]);
    const version = migrationVersion('["query-users", "query-groups"]');
    expect(version).toBeGreaterThan(0);
    await db.query('DELETE FROM schema_migrations WHERE version = $1', [version]);
    const before = (await findRealm(db, 'qc'))!.version;
    expect(await migrate(db)).toBe(1);
    expect(await composites(db, 'view-users')).toEqual(['query-groups', 'query-users']);
    expect(await composites(db, 'view-clients')).toEqual(['query-clients', 'view-realm']);
    const after = (await findRealm(db, 'qc'))!;
    expect(after.version).toBeGreaterThan(before);
    const viewUsers = after.doc.roles.client['realm-management'].find(
      (r) => r.name === 'view-users',
    )!;
    expect(viewUsers.composite).toBe(true);
    expect(await migrate(db)).toBe(0);
  } finally {
    await db.close();
  }
});

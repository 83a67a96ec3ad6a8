/**
 * The realm's default role (`default-roles-{realm}`) is an explicit role mapping, as in Keycloak:
 * - import adds none: RepresentationToModel.createUser calls
 *   `addUser(realm, id, username, addDefaultRoles = false, addDefaultRequiredActions = false)`,
 *   so an imported user holds exactly the roles its file lists (Keycloak exports list
 *   `default-roles-{realm}` in each user's realmRoles);
 * - users made by Keycloak itself get it: UsersResource.createUser and
 *   ClientManager.enableServiceAccount call `UserProvider.addUser(realm, username)`, which is
 *   `addUser(…, true, true)` (JpaUserProvider: DefaultRoles.addDefaultRoles), also for the
 *   service account of an imported client whose file has none
 *   (RealmManager.setupClientServiceAccountsAndAuthorizationOnImport);
 * - users stored by earlier versions (which granted the role implicitly) get the mapping written
 *   by a migration, so nothing changes for them.
 * `offline_access` comes with the default role (Keycloak TokenManager: 400 not_allowed without it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { masterAdmin, passwordToken } from '../helpers/admin.ts';
import { openTestStore } from '../helpers/store-template.ts';
import { migrate, migrationVersion } from '../../src/store/migrations.ts';
import { importRealm, parseRealm } from '../../src/realm/import.ts';
import { findUserByUsername } from '../../src/store/users.ts';
import { findRealm } from '../../src/store/realms.ts';

const PW = 'default-roles-pw-1';
const REALM = {
  realm: 'dr',
  roles: { realm: [{ name: 'reader' }] },
  clients: [
    { clientId: 'cli', publicClient: true, directAccessGrantsEnabled: true },
    {
      clientId: 'svc',
      secret: 'svc-secret',
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
    },
  ],
  users: [
    {
      username: 'listed',
      credentials: [{ value: PW }],
      realmRoles: ['default-roles-dr', 'reader'],
    },
    { username: 'bare', credentials: [{ value: PW }], realmRoles: ['reader'] },
  ],
};

const stores = await testStores();

describe.each(stores)('default role mappings on $name', (store) => {
  let server: TestServer;
  let kc: KcAdminClient;
  const realm = 'dr';
  const realmMappings = async (username: string) => {
    const [user] = await kc.users.find({ realm, username, exact: true });
    return (await kc.users.listRealmRoleMappings({ realm, id: user.id! }))
      .map((r) => r.name)
      .sort();
  };
  const tokenRoles = async (username: string) =>
    (
      decodeJwt(await passwordToken(server.baseUrl, realm, username, PW, 'cli')) as {
        realm_access?: { roles: string[] };
      }
    ).realm_access?.roles ?? [];
  const offline = (username: string) =>
    fetch(`${server.baseUrl}/realms/${realm}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'cli',
        username,
        password: PW,
        scope: 'openid offline_access',
      }),
    });

  beforeAll(async () => {
    server = await startStoreServer(store, {
      realms: [REALM],
    });
    kc = await masterAdmin(server.baseUrl);
  }, 120_000);
  afterAll(() => server?.close());

  it('an imported user holds exactly the roles the file lists (RepresentationToModel.createUser: addDefaultRoles false)', async () => {
    expect(await realmMappings('bare')).toEqual(['reader']);
    expect(await tokenRoles('bare')).toEqual(['reader']);
    expect(await offline('bare')).toMatchObject({ status: 400 });
    expect(await (await offline('bare')).json()).toEqual({
      error: 'not_allowed',
      error_description: 'Offline tokens not allowed for the user or client',
    });
  });

  it('a user whose file lists default-roles-{realm} holds it and its composites', async () => {
    expect(await realmMappings('listed')).toEqual(['default-roles-dr', 'reader']);
    expect(await tokenRoles('listed')).toEqual(
      expect.arrayContaining(['default-roles-dr', 'offline_access', 'uma_authorization', 'reader']),
    );
    expect((await offline('listed')).status).toBe(200);
  });

  it('a user created through the admin API gets the default role as an explicit mapping (UsersResource.createUser)', async () => {
    await kc.users.create({
      realm,
      username: 'made',
      enabled: true,
      credentials: [{ type: 'password', value: PW, temporary: false }],
    });
    expect(await realmMappings('made')).toEqual(['default-roles-dr']);
    expect(await tokenRoles('made')).toEqual(
      expect.arrayContaining(['default-roles-dr', 'offline_access', 'uma_authorization']),
    );
  });

  it('service accounts made here hold the default role (ClientManager.enableServiceAccount)', async () => {
    const svc = (await kc.clients.find({ realm, clientId: 'svc' }))[0];
    const imported = await kc.clients.getServiceAccountUser({ realm, id: svc.id! });
    expect(
      (await kc.users.listRealmRoleMappings({ realm, id: imported.id! })).map((r) => r.name),
    ).toEqual(['default-roles-dr']);
    const { id } = await kc.clients.create({
      realm,
      clientId: 'svc2',
      serviceAccountsEnabled: true,
    });
    const made = await kc.clients.getServiceAccountUser({ realm, id });
    expect(
      (await kc.users.listRealmRoleMappings({ realm, id: made.id! })).map((r) => r.name),
    ).toEqual(['default-roles-dr']);
  });
});

describe('the migration that makes the implicit default role explicit', () => {
  it("writes default-roles-{realm} (or the realm's defaultRole) into every stored user that lacks it, once", async () => {
    const db = await openTestStore();
    try {
      await migrate(db);
      await importRealm(db, Buffer.alloc(32, 3), parseRealm(REALM, 'test'));
      await importRealm(
        db,
        Buffer.alloc(32, 3),
        parseRealm(
          {
            realm: 'Named',
            defaultRole: { name: 'everyone', composite: true },
            roles: {
              realm: [
                { name: 'everyone', composite: true, composites: { realm: ['offline_access'] } },
              ],
            },
            users: [{ username: 'nora' }],
          },
          'test',
        ),
      );
      const version = migrationVersion("'default-roles-' || lower(");
      expect(version).toBeGreaterThan(0);
      // As an earlier version stored them: the migration not applied yet.
      await db.query('DELETE FROM schema_migrations WHERE version = $1', [version]);
      expect(await migrate(db)).toBe(1);
      const dr = (await findRealm(db, 'dr'))!;
      const named = (await findRealm(db, 'Named'))!;
      expect((await findUserByUsername(db, dr.id, 'bare'))!.realmRoles).toEqual([
        'default-roles-dr',
        'reader',
      ]);
      expect((await findUserByUsername(db, dr.id, 'listed'))!.realmRoles).toEqual([
        'default-roles-dr',
        'reader',
      ]);
      expect((await findUserByUsername(db, dr.id, 'service-account-svc'))!.realmRoles).toEqual([
        'default-roles-dr',
      ]);
      expect((await findUserByUsername(db, named.id, 'nora'))!.realmRoles).toEqual(['everyone']);
    } finally {
      await db.close();
    }
  });
});

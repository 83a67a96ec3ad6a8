/**
 * Role scope mappings of client scopes and clients through @keycloak/keycloak-admin-client, as
 * Keycloak's ScopeMappedResource / ScopeMappedClientResource answer them, stored as a realm export
 * holds them (`scopeMappings`, `clientScopeMappings`), with renames and deletes following into
 * them. Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { testStores } from '../helpers/components.ts';
import { findRealm } from '../../src/store/realms.ts';

const REALM = {
  realm: 'sm',
  roles: {
    realm: [
      { name: 'admin', composite: true, composites: { realm: ['user'] } },
      { name: 'user' },
      { name: 'guest' },
    ],
    client: { api: [{ name: 'read' }, { name: 'write' }] },
  },
  clients: [
    { clientId: 'app', secret: 's', fullScopeAllowed: false },
    { clientId: 'api', bearerOnly: true },
  ],
};

const stores = await testStores();

describe.each(stores)('scope mappings on $name', (store) => {
  let server: TestServer;
  let kc: KcAdminClient;
  const realm = 'sm';
  const ids: Record<string, string> = {};
  const role: Record<string, { id: string; name: string }> = {};
  const names = (list: { name?: string }[]) => list.map((r) => r.name).sort();
  const stored = async () =>
    (await findRealm(server.db, realm))!.doc as unknown as {
      scopeMappings?: unknown;
      clientScopeMappings?: unknown;
    };

  beforeAll(async () => {
    server = await startStoreServer(store, {
      realms: [REALM],
    });
    kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: realm });
    ids.app = (await kc.clients.find({ clientId: 'app' }))[0].id!;
    ids.api = (await kc.clients.find({ clientId: 'api' }))[0].id!;
    for (const r of await kc.roles.find()) role[r.name!] = { id: r.id!, name: r.name! };
    for (const r of await kc.clients.listRoles({ id: ids.api }))
      role[r.name!] = { id: r.id!, name: r.name! };
    await kc.clientScopes.create({ name: 'sc', protocol: 'openid-connect' });
    await kc.clientScopes.create({ name: 'other', protocol: 'openid-connect' });
    ids.sc = (await kc.clientScopes.findOneByName({ name: 'sc' }))!.id!;
  }, 120_000);
  afterAll(() => server?.close());

  it('a client scope: realm and client scope mappings, composite, available; stored in export form', async () => {
    await kc.clientScopes.addRealmScopeMappings({ id: ids.sc }, [role.admin]);
    await kc.clientScopes.addClientScopeMappings({ id: ids.sc, client: ids.api }, [role.read]);
    expect(names(await kc.clientScopes.listRealmScopeMappings({ id: ids.sc }))).toEqual(['admin']);
    expect(names(await kc.clientScopes.listCompositeRealmScopeMappings({ id: ids.sc }))).toEqual([
      'admin',
      'user',
    ]);
    expect(names(await kc.clientScopes.listAvailableRealmScopeMappings({ id: ids.sc }))).toEqual(
      expect.arrayContaining(['guest']),
    );
    expect(
      names(await kc.clientScopes.listAvailableRealmScopeMappings({ id: ids.sc })),
    ).not.toContain('user');
    expect(
      names(await kc.clientScopes.listClientScopeMappings({ id: ids.sc, client: ids.api })),
    ).toEqual(['read']);
    expect(
      names(
        await kc.clientScopes.listAvailableClientScopeMappings({ id: ids.sc, client: ids.api }),
      ),
    ).toEqual(['write']);
    expect(await kc.clientScopes.listScopeMappings({ id: ids.sc })).toMatchObject({
      realmMappings: [{ name: 'admin' }],
      clientMappings: { api: { client: 'api', id: ids.api, mappings: [{ name: 'read' }] } },
    });
    expect(await stored()).toMatchObject({
      scopeMappings: [{ clientScope: 'sc', roles: ['admin'] }],
      clientScopeMappings: { api: [{ clientScope: 'sc', roles: ['read'] }] },
    });
  });

  it('a client: the same routes, stored under `client`', async () => {
    await kc.clients.addRealmScopeMappings({ id: ids.app }, [role.guest]);
    await kc.clients.addClientScopeMappings({ id: ids.app, client: ids.api }, [role.write]);
    expect(names(await kc.clients.listRealmScopeMappings({ id: ids.app }))).toEqual(['guest']);
    expect(
      names(await kc.clients.listCompositeClientScopeMappings({ id: ids.app, client: ids.api })),
    ).toEqual(['write']);
    expect(await stored()).toMatchObject({
      scopeMappings: expect.arrayContaining([{ client: 'app', roles: ['guest'] }]),
      clientScopeMappings: { api: expect.arrayContaining([{ client: 'app', roles: ['write'] }]) },
    });
    await kc.clients.delRealmScopeMappings({ id: ids.app }, [role.guest]);
    expect(await kc.clients.listRealmScopeMappings({ id: ids.app })).toEqual([]);
  });

  it('a scope rename follows; a deleted role and a deleted scope leave no entries; unknown role 404', async () => {
    await kc.clientScopes.update({ id: ids.sc }, { name: 'sc2', protocol: 'openid-connect' });
    expect(await stored()).toMatchObject({
      scopeMappings: [{ clientScope: 'sc2', roles: ['admin'] }],
    });
    expect(names(await kc.clientScopes.listRealmScopeMappings({ id: ids.sc }))).toEqual(['admin']);
    await kc.clients.delRole({ id: ids.api, roleName: 'read' });
    expect(await kc.clientScopes.listClientScopeMappings({ id: ids.sc, client: ids.api })).toEqual(
      [],
    );
    let status: number | undefined;
    try {
      await kc.clientScopes.addRealmScopeMappings({ id: ids.sc }, [{ id: 'nope', name: 'nope' }]);
    } catch (err) {
      status = (err as { response?: Response }).response?.status;
    }
    expect(status).toBe(404);
    await kc.clientScopes.del({ id: ids.sc });
    expect(JSON.stringify(await stored())).not.toContain('sc2');
  });
});

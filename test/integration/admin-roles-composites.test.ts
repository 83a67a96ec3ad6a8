/**
 * Roles by id and role composites through @keycloak/keycloak-admin-client (and, for the
 * by-name composites routes the client has no method for, plain admin calls), as Keycloak 26's
 * RoleByIdResource, RoleContainerResource and RoleResource answer: get/update/delete by id
 * (404 "Could not find role with id"), composites GET/POST/DELETE with role ids (404 "Could not
 * find composite role"), `composites/realm`, `composites/clients/{id}`; and a user's effective
 * (`composite`) and `available` role mappings following the composites. Runs on PGlite and on
 * PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { adminCall, failure, masterAdmin } from '../helpers/admin.ts';

const REALM = {
  realm: 'rc',
  roles: {
    realm: [{ name: 'editor' }, { name: 'viewer' }, { name: 'chief' }],
    client: { api: [{ name: 'api-read' }, { name: 'api-write' }] },
  },
  clients: [{ clientId: 'api', bearerOnly: true }],
  users: [{ username: 'carol', realmRoles: ['chief'] }],
};

const stores = await testStores();

describe.each(stores)('roles by id and composites on $name', (store) => {
  let server: TestServer;
  let kc: KcAdminClient;
  const realm = 'rc';
  const roles: Record<string, { id: string; name: string }> = {};
  let api = '';
  let carol = '';
  const names = (list: { name?: string }[]) => list.map((r) => r.name).sort();
  const call = async (method: string, p: string, body?: unknown) =>
    adminCall(server.baseUrl, (await kc.getAccessToken())!, method, `/rc${p}`, body);

  beforeAll(async () => {
    server = await startStoreServer(store, {
      realms: [REALM],
    });
    kc = await masterAdmin(server.baseUrl);
    for (const r of await kc.roles.find({ realm })) roles[r.name!] = { id: r.id!, name: r.name! };
    api = (await kc.clients.find({ realm, clientId: 'api' }))[0].id!;
    for (const r of await kc.clients.listRoles({ realm, id: api }))
      roles[r.name!] = { id: r.id!, name: r.name! };
    carol = (await kc.users.find({ realm, username: 'carol', exact: true }))[0].id!;
  }, 120_000);
  afterAll(() => server?.close());

  it('gets, updates and deletes a role by id; unknown id 404', async () => {
    expect(await kc.roles.findOneById({ realm, id: roles.editor.id })).toMatchObject({
      id: roles.editor.id,
      name: 'editor',
      composite: false,
      clientRole: false,
    });
    expect(await kc.roles.findOneById({ realm, id: roles['api-read'].id })).toMatchObject({
      name: 'api-read',
      clientRole: true,
      containerId: api,
    });
    await kc.roles.updateById(
      { realm, id: roles.editor.id },
      { name: 'editor', description: 'edits', attributes: { level: ['2'] } },
    );
    expect(await kc.roles.findOneById({ realm, id: roles.editor.id })).toMatchObject({
      description: 'edits',
      attributes: { level: ['2'] },
    });
    expect(await call('GET', '/roles-by-id/no-such-id')).toMatchObject({
      status: 404,
      body: { error: 'Could not find role with id' },
    });
    expect(await call('PUT', '/roles-by-id/no-such-id', { name: 'x' })).toMatchObject({
      status: 404,
      body: { error: 'Could not find role with id' },
    });
    await kc.roles.create({ realm, name: 'temp' });
    const temp = await kc.roles.findOneByName({ realm, name: 'temp' });
    await kc.roles.delById({ realm, id: temp!.id! });
    expect(await kc.roles.findOneByName({ realm, name: 'temp' })).toBeNull();
  });

  it('composites by id: add realm and client roles, list them all, by realm, by client; delete', async () => {
    await kc.roles.createComposite({ realm, roleId: roles.chief.id }, [
      roles.editor,
      roles['api-write'],
    ]);
    expect(names(await kc.roles.getCompositeRoles({ realm, id: roles.chief.id }))).toEqual([
      'api-write',
      'editor',
    ]);
    expect(names(await kc.roles.getCompositeRolesForRealm({ realm, id: roles.chief.id }))).toEqual([
      'editor',
    ]);
    expect(
      await kc.roles.getCompositeRolesForClient({ realm, id: roles.chief.id, clientId: api }),
    ).toMatchObject([{ name: 'api-write', clientRole: true, containerId: api }]);
    expect(await kc.roles.findOneById({ realm, id: roles.chief.id })).toMatchObject({
      composite: true,
    });
    expect(
      await failure(
        kc.roles.createComposite({ realm, roleId: roles.chief.id }, [{ id: 'nope', name: 'nope' }]),
      ),
    ).toEqual({ status: 404, body: { error: 'Could not find composite role' } });
    expect(
      await call('GET', `/roles-by-id/${roles.chief.id}/composites/clients/nope`),
    ).toMatchObject({ status: 404, body: { error: 'Could not find client' } });
    await kc.roles.delCompositeRoles({ realm, id: roles.chief.id }, [roles['api-write']]);
    expect(names(await kc.roles.getCompositeRoles({ realm, id: roles.chief.id }))).toEqual([
      'editor',
    ]);
  });

  it('composites by name on realm roles and client roles (RoleContainerResource)', async () => {
    expect((await call('POST', '/roles/editor/composites', [roles.viewer])).status).toBe(204);
    expect(
      names((await call('GET', '/roles/editor/composites')).body as { name: string }[]),
    ).toEqual(['viewer']);
    expect(
      names((await call('GET', '/roles/editor/composites/realm')).body as { name: string }[]),
    ).toEqual(['viewer']);
    expect((await call('GET', `/roles/editor/composites/clients/${api}`)).body).toEqual([]);
    expect(
      (await call('POST', `/clients/${api}/roles/api-write/composites`, [roles['api-read']]))
        .status,
    ).toBe(204);
    expect(
      names(
        (await call('GET', `/clients/${api}/roles/api-write/composites/clients/${api}`)).body as {
          name: string;
        }[],
      ),
    ).toEqual(['api-read']);
    expect((await call('GET', '/roles/no-such-role/composites')).status).toBe(404);
    expect(await call('POST', '/roles/editor/composites', { not: 'an array' })).toMatchObject({
      status: 400,
    });
    // DELETE with a body, as the admin client sends it.
    expect(
      (await call('DELETE', `/clients/${api}/roles/api-write/composites`, [roles['api-read']]))
        .status,
    ).toBe(204);
    expect((await call('GET', `/clients/${api}/roles/api-write/composites`)).body).toEqual([]);
  });

  it("a user's composite and available mappings follow the composites (chief -> editor -> viewer)", async () => {
    expect(names(await kc.users.listRealmRoleMappings({ realm, id: carol }))).toEqual(['chief']);
    const effective = names(await kc.users.listCompositeRealmRoleMappings({ realm, id: carol }));
    expect(effective).toEqual(expect.arrayContaining(['chief', 'editor', 'viewer']));
    expect(names(await kc.users.listAvailableRealmRoleMappings({ realm, id: carol }))).not.toEqual(
      expect.arrayContaining(['editor']),
    );
    await kc.roles.createComposite({ realm, roleId: roles.viewer.id }, [roles['api-read']]);
    expect(
      names(
        await kc.users.listCompositeClientRoleMappings({ realm, id: carol, clientUniqueId: api }),
      ),
    ).toEqual(['api-read']);
    expect(
      names(
        await kc.users.listAvailableClientRoleMappings({ realm, id: carol, clientUniqueId: api }),
      ),
    ).toEqual(['api-write']);
    await kc.roles.delCompositeRoles({ realm, id: roles.chief.id }, [roles.editor]);
    expect(
      names(await kc.users.listCompositeRealmRoleMappings({ realm, id: carol })),
    ).not.toContain('editor');
    expect(
      names(
        await kc.users.listCompositeClientRoleMappings({ realm, id: carol, clientUniqueId: api }),
      ),
    ).toEqual([]);
  });

  it('a deleted role leaves no mapping behind: re-created with the same name, nobody holds it (Keycloak removes its mappings)', async () => {
    for (const [kind, create, remove] of [
      [
        'realm role by name',
        () => kc.roles.create({ realm, name: 'phoenix' }),
        (id: string) => call('DELETE', '/roles/phoenix').then(() => id),
      ],
      [
        'realm role by id',
        () => kc.roles.create({ realm, name: 'phoenix' }),
        (id: string) => kc.roles.delById({ realm, id }),
      ],
    ] as const) {
      await create();
      const phoenix = (await kc.roles.findOneByName({ realm, name: 'phoenix' }))!;
      const ref = { id: phoenix.id!, name: 'phoenix' };
      await kc.users.addRealmRoleMappings({ realm, id: carol, roles: [ref] });
      const group = (await kc.groups.create({ realm, name: `g-${kind.replaceAll(' ', '-')}` })).id;
      await kc.groups.addRealmRoleMappings({ realm, id: group, roles: [ref] });
      await kc.roles.createComposite({ realm, roleId: roles.viewer.id }, [ref]);
      await kc.users.addToGroup({ realm, id: carol, groupId: group });
      await remove(phoenix.id!);
      await kc.roles.create({ realm, name: 'phoenix' });
      expect({
        kind,
        direct: names(await kc.users.listRealmRoleMappings({ realm, id: carol })),
      }).toEqual({ kind, direct: ['chief'] });
      expect({
        kind,
        effective: names(await kc.users.listCompositeRealmRoleMappings({ realm, id: carol })),
      }).not.toEqual(expect.objectContaining({ effective: expect.arrayContaining(['phoenix']) }));
      expect({ kind, group: await kc.groups.listRealmRoleMappings({ realm, id: group }) }).toEqual({
        kind,
        group: [],
      });
      expect({
        kind,
        composites: names(await kc.roles.getCompositeRoles({ realm, id: roles.viewer.id })),
      }).toEqual({ kind, composites: ['api-read'] });
      await kc.roles.delByName({ realm, name: 'phoenix' });
    }
    // A client role: the user's clientRoles lose it too.
    await kc.clients.createRole({ realm, id: api, name: 'phoenix-c' });
    const role = (await kc.clients.findRole({ realm, id: api, roleName: 'phoenix-c' }))!;
    await kc.users.addClientRoleMappings({
      realm,
      id: carol,
      clientUniqueId: api,
      roles: [{ id: role.id!, name: 'phoenix-c' }],
    });
    expect((await call('DELETE', `/clients/${api}/roles/phoenix-c`)).status).toBe(204);
    await kc.clients.createRole({ realm, id: api, name: 'phoenix-c' });
    expect(
      await kc.users.listClientRoleMappings({ realm, id: carol, clientUniqueId: api }),
    ).toEqual([]);
  });

  it("a deleted client's roles leave no mapping behind: a client re-created with the same clientId and roles gives nobody those roles", async () => {
    const make = async () => {
      const { id } = await kc.clients.create({ realm, clientId: 'phoenix-app', bearerOnly: true });
      await kc.clients.createRole({ realm, id, name: 'tr' });
      return { id, role: (await kc.clients.findRole({ realm, id, roleName: 'tr' }))! };
    };
    const first = await make();
    const ref = [{ id: first.role.id!, name: 'tr' }];
    await kc.users.addClientRoleMappings({
      realm,
      id: carol,
      clientUniqueId: first.id,
      roles: ref,
    });
    const group = (await kc.groups.create({ realm, name: 'phoenix-app-users' })).id;
    await kc.groups.addClientRoleMappings({
      realm,
      id: group,
      clientUniqueId: first.id,
      roles: ref,
    });
    await kc.roles.createComposite({ realm, roleId: roles.editor.id }, ref);
    await kc.clients.del({ realm, id: first.id });
    const second = await make();
    expect(
      await kc.users.listClientRoleMappings({ realm, id: carol, clientUniqueId: second.id }),
    ).toEqual([]);
    expect(
      await kc.groups.listClientRoleMappings({ realm, id: group, clientUniqueId: second.id }),
    ).toEqual([]);
    expect(
      await kc.roles.getCompositeRolesForClient({
        realm,
        id: roles.editor.id,
        clientId: second.id,
      }),
    ).toEqual([]);
  });
});

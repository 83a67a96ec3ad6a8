/**
 * Groups through @keycloak/keycloak-admin-client, as Keycloak 26's GroupsResource, GroupResource,
 * UserResource (groups) and RoleMapperResource answer: the hierarchy, search, count, children,
 * members, moves and renames that follow into the members' paths, group role mappings, and the
 * roles users inherit through their groups and parent groups (composite mappings and tokens).
 * Expected texts are Keycloak's: 409 "Top level group named '…' already exists." /
 * "Sibling group named '…' already exists." (GroupsResource.addTopLevelGroup, GroupResource.addChild),
 * 400 "Group name is missing", 404 "Could not find group by id" (GroupsResource.getGroupById).
 * Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { adminCall, passwordToken, failure, masterAdmin } from '../helpers/admin.ts';
import { findRealm } from '../../src/store/realms.ts';

const PASSWORD = 'groups-password-1';
const REALM = {
  realm: 'grp',
  roles: {
    realm: [
      { name: 'reader' },
      { name: 'writer', composite: true, composites: { realm: ['reader'] } },
      { name: 'auditor' },
    ],
    client: { app: [{ name: 'app-admin' }, { name: 'app-user' }] },
  },
  clients: [{ clientId: 'app', secret: 'app-secret', redirectUris: ['https://app.example/*'] }],
  groups: [
    {
      name: 'staff',
      realmRoles: ['auditor'],
      subGroups: [{ name: 'devs', clientRoles: { app: ['app-admin'] } }],
    },
  ],
  users: [
    {
      username: 'alice',
      email: 'alice@example.org',
      credentials: [{ type: 'password', value: PASSWORD }],
      groups: ['/staff/devs'],
    },
    { username: 'bob', credentials: [{ type: 'password', value: PASSWORD }] },
  ],
};

const stores = await testStores();

describe.each(stores)('groups admin API on $name', (store) => {
  let server: TestServer;
  let kc: KcAdminClient;
  const realm = 'grp';
  const ids: Record<string, string> = {};
  const user = async (username: string) =>
    (await kc.users.find({ realm, username, exact: true }))[0];
  const names = (list: { name?: string }[]) => list.map((r) => r.name).sort();
  const tokenRoles = async (username: string) =>
    (
      decodeJwt(await passwordToken(server.baseUrl, realm, username, PASSWORD, 'app-cli')) as {
        realm_access?: { roles: string[] };
      }
    ).realm_access?.roles ?? [];

  beforeAll(async () => {
    const realmRep = {
      ...REALM,
      clients: [
        ...REALM.clients,
        { clientId: 'app-cli', publicClient: true, directAccessGrantsEnabled: true },
      ],
    };
    server = await startStoreServer(store, {
      realms: [realmRep],
    });
    kc = await masterAdmin(server.baseUrl);
    ids.alice = (await user('alice')).id!;
    ids.bob = (await user('bob')).id!;
    ids.app = (await kc.clients.find({ realm, clientId: 'app' }))[0].id!;
  }, 120_000);
  afterAll(() => server?.close());

  it('lists the top level briefly, searches with the hierarchy down to each match, counts', async () => {
    const top = await kc.groups.find({ realm });
    expect(top).toMatchObject([{ name: 'staff', path: '/staff', subGroupCount: 1, subGroups: [] }]);
    expect(top[0]).not.toHaveProperty('realmRoles');
    ids.staff = top[0].id!;
    expect(await kc.groups.find({ realm, briefRepresentation: false })).toMatchObject([
      { name: 'staff', realmRoles: ['auditor'], clientRoles: {} },
    ]);
    const found = await kc.groups.find({ realm, search: 'DEV' });
    expect(found).toMatchObject([
      { name: 'staff', subGroups: [{ name: 'devs', path: '/staff/devs', parentId: ids.staff }] },
    ]);
    ids.devs = found[0].subGroups![0].id!;
    expect(await kc.groups.find({ realm, search: 'nothing-like-it' })).toEqual([]);
    expect(await kc.groups.count({ realm })).toEqual({ count: 2 });
    expect(await kc.groups.count({ realm, top: true } as never)).toEqual({ count: 1 });
    expect(await kc.groups.findOne({ realm, id: ids.devs })).toMatchObject({
      name: 'devs',
      path: '/staff/devs',
      parentId: ids.staff,
      clientRoles: { app: ['app-admin'] },
      subGroupCount: 0,
    });
  });

  it("creates top-level and child groups, refusing a duplicate name with Keycloak's 409 and a blank name with 400", async () => {
    ids.ops = (await kc.groups.create({ realm, name: 'ops', attributes: { floor: ['3'] } })).id;
    expect(await failure(kc.groups.create({ realm, name: 'ops' }))).toEqual({
      status: 409,
      body: { errorMessage: "Top level group named 'ops' already exists." },
    });
    ids.oncall = (await kc.groups.createChildGroup({ realm, id: ids.ops }, { name: 'oncall' })).id;
    expect(
      await failure(kc.groups.createChildGroup({ realm, id: ids.ops }, { name: 'oncall' })),
    ).toEqual({
      status: 409,
      body: { errorMessage: "Sibling group named 'oncall' already exists." },
    });
    expect(await failure(kc.groups.create({ realm, name: '  ' }))).toEqual({
      status: 400,
      body: { errorMessage: 'Group name is missing' },
    });
    expect((await failure(kc.groups.create({ realm, name: 7 } as never))).status).toBe(400);
    expect(await kc.groups.findOne({ realm, id: ids.ops })).toMatchObject({
      name: 'ops',
      path: '/ops',
      attributes: { floor: ['3'] },
      subGroupCount: 1,
    });
    expect(await kc.groups.listSubGroups({ realm, parentId: ids.ops })).toMatchObject([
      { id: ids.oncall, name: 'oncall', path: '/ops/oncall', parentId: ids.ops },
    ]);
    expect(await kc.groups.count({ realm })).toEqual({ count: 4 });
  });

  it("answers unknown ids with 404 and Keycloak's text, and changes nothing", async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const token = await kc.getAccessToken();
    for (const [method, p, body] of [
      ['GET', `/grp/groups/${missing}`],
      ['PUT', `/grp/groups/${missing}`, { name: 'x' }],
      ['DELETE', `/grp/groups/${missing}`],
      ['GET', `/grp/groups/${missing}/members`],
      ['POST', `/grp/groups/${missing}/children`, { name: 'x' }],
      ['GET', `/grp/groups/${missing}/role-mappings`],
    ] as [string, string, unknown?][]) {
      expect({
        method,
        p,
        ...(await adminCall(server.baseUrl, token!, method, p, body)),
      }).toMatchObject({ method, p, status: 404, body: { error: 'Could not find group by id' } });
    }
    expect(await failure(kc.users.addToGroup({ realm, id: ids.bob, groupId: missing }))).toEqual({
      status: 404,
      body: { error: 'Group not found' },
    });
    expect(await kc.groups.count({ realm })).toEqual({ count: 4 });
  });

  it("members and a user's groups: join, list, count, leave", async () => {
    expect((await kc.groups.listMembers({ realm, id: ids.devs })).map((u) => u.username)).toEqual([
      'alice',
    ]);
    expect(await kc.users.listGroups({ realm, id: ids.alice })).toMatchObject([
      { id: ids.devs, path: '/staff/devs' },
    ]);
    await kc.users.addToGroup({ realm, id: ids.bob, groupId: ids.oncall });
    await kc.users.addToGroup({ realm, id: ids.bob, groupId: ids.oncall });
    expect((await kc.groups.listMembers({ realm, id: ids.oncall })).map((u) => u.username)).toEqual(
      ['bob'],
    );
    expect(await kc.users.countGroups({ realm, id: ids.bob })).toEqual({ count: 1 });
    await kc.users.addToGroup({ realm, id: ids.bob, groupId: ids.staff });
    expect((await kc.users.listGroups({ realm, id: ids.bob })).map((g) => g.path)).toEqual([
      '/staff',
      '/ops/oncall',
    ]);
    await kc.users.delFromGroup({ realm, id: ids.bob, groupId: ids.staff });
    expect((await kc.users.listGroups({ realm, id: ids.bob })).map((g) => g.path)).toEqual([
      '/ops/oncall',
    ]);
    expect(await kc.groups.listMembers({ realm, id: ids.staff })).toEqual([]);
  });

  it('group role mappings, and the roles members inherit through the group and its parents (admin API and token)', async () => {
    const writer = await kc.roles.findOneByName({ realm, name: 'writer' });
    const appUser = (await kc.clients.listRoles({ realm, id: ids.app })).find(
      (r) => r.name === 'app-user',
    )!;
    await kc.groups.addRealmRoleMappings({
      realm,
      id: ids.ops,
      roles: [{ id: writer!.id!, name: 'writer' }],
    });
    await kc.groups.addClientRoleMappings({
      realm,
      id: ids.oncall,
      clientUniqueId: ids.app,
      roles: [{ id: appUser.id!, name: 'app-user' }],
    });
    expect(names(await kc.groups.listRealmRoleMappings({ realm, id: ids.ops }))).toEqual([
      'writer',
    ]);
    expect(await kc.groups.listRoleMappings({ realm, id: ids.oncall })).toMatchObject({
      realmMappings: [],
      clientMappings: { app: { client: 'app', id: ids.app, mappings: [{ name: 'app-user' }] } },
    });
    // oncall inherits writer from its parent ops, and reader as writer's composite (RoleUtils.expandCompositeRoles).
    expect(
      names(await kc.groups.listCompositeRealmRoleMappings({ realm, id: ids.oncall })),
    ).toEqual(['reader', 'writer']);
    expect(
      names(await kc.groups.listAvailableRealmRoleMappings({ realm, id: ids.oncall })),
    ).toEqual(expect.arrayContaining(['auditor']));
    expect(
      names(await kc.groups.listAvailableRealmRoleMappings({ realm, id: ids.oncall })),
    ).not.toContain('writer');
    expect(
      names(
        await kc.groups.listCompositeClientRoleMappings({
          realm,
          id: ids.oncall,
          clientUniqueId: ids.app,
        }),
      ),
    ).toEqual(['app-user']);
    expect(
      names(
        await kc.groups.listAvailableClientRoleMappings({
          realm,
          id: ids.oncall,
          clientUniqueId: ids.app,
        }),
      ),
    ).toEqual(['app-admin']);
    // A member: bob (in /ops/oncall) effectively holds writer, reader and app-user; alice (in /staff/devs) auditor and app-admin.
    expect(names(await kc.users.listCompositeRealmRoleMappings({ realm, id: ids.bob }))).toEqual(
      expect.arrayContaining(['reader', 'writer']),
    );
    expect(
      names(await kc.users.listCompositeRealmRoleMappings({ realm, id: ids.bob })),
    ).not.toContain('auditor');
    expect(
      names(
        await kc.users.listCompositeClientRoleMappings({
          realm,
          id: ids.bob,
          clientUniqueId: ids.app,
        }),
      ),
    ).toEqual(['app-user']);
    expect(
      names(await kc.users.listCompositeRealmRoleMappings({ realm, id: ids.alice })),
    ).toContain('auditor');
    expect(names(await kc.users.listAvailableRealmRoleMappings({ realm, id: ids.alice }))).toEqual(
      expect.arrayContaining(['reader', 'writer']),
    );
    expect(
      names(
        await kc.users.listAvailableClientRoleMappings({
          realm,
          id: ids.alice,
          clientUniqueId: ids.app,
        }),
      ),
    ).toEqual(['app-user']);
    expect(await tokenRoles('bob')).toEqual(expect.arrayContaining(['reader', 'writer']));
    await kc.groups.delRealmRoleMappings({
      realm,
      id: ids.ops,
      roles: [{ id: writer!.id!, name: 'writer' }],
    });
    expect(await tokenRoles('bob')).not.toContain('writer');
    await kc.groups.addRealmRoleMappings({
      realm,
      id: ids.ops,
      roles: [{ id: writer!.id!, name: 'writer' }],
    });
    expect(
      await failure(
        kc.groups.addRealmRoleMappings({
          realm,
          id: ids.ops,
          roles: [{ id: 'no-such-role', name: 'no-such-role' }],
        }),
      ),
    ).toEqual({ status: 404, body: { error: 'Role not found' } });
  });

  it("a rename and a move follow into the members' group paths; their inherited roles follow the new parents", async () => {
    await kc.groups.update({ realm, id: ids.ops }, { name: 'operations' });
    expect((await kc.users.listGroups({ realm, id: ids.bob })).map((g) => g.path)).toEqual([
      '/operations/oncall',
    ]);
    expect((await kc.groups.findOne({ realm, id: ids.oncall }))!.path).toBe('/operations/oncall');
    // The realm document keeps Keycloak's export form, `path` included.
    const stored = (await findRealm(server.db, realm))!.doc.groups.find((g) => g.id === ids.ops)!;
    expect(stored).toMatchObject({
      name: 'operations',
      path: '/operations',
      subGroups: [
        { name: 'oncall', path: '/operations/oncall', clientRoles: { app: ['app-user'] } },
      ],
    });
    expect(await tokenRoles('bob')).toContain('writer');
    expect(
      await failure(kc.groups.update({ realm, id: ids.devs }, { name: 'devs', id: ids.ops })),
    ).toEqual({ status: 400, body: { errorMessage: 'Invalid group id' } });
    ids.devs2 = (await kc.groups.createChildGroup({ realm, id: ids.staff }, { name: 'oncall' })).id;
    // Moving /operations/oncall under /staff, which already has an "oncall": 409, and nothing moves.
    expect(
      (
        await failure(
          kc.groups.updateChildGroup({ realm, id: ids.staff }, { id: ids.oncall, name: 'oncall' }),
        )
      ).status,
    ).toBe(409);
    await kc.groups.del({ realm, id: ids.devs2 });
    await kc.groups.updateChildGroup({ realm, id: ids.staff }, { id: ids.oncall, name: 'oncall' });
    expect((await kc.users.listGroups({ realm, id: ids.bob })).map((g) => g.path)).toEqual([
      '/staff/oncall',
    ]);
    expect(await tokenRoles('bob')).toContain('auditor');
    expect(await tokenRoles('bob')).not.toContain('writer');
    // A move into its own subtree is refused.
    expect(
      (
        await failure(
          kc.groups.updateChildGroup({ realm, id: ids.oncall }, { id: ids.staff, name: 'staff' }),
        )
      ).status,
    ).toBe(400);
    // And back to the top level (POST /groups with an existing id: 204).
    await kc.groups.updateRoot({ realm, id: ids.oncall, name: 'oncall' });
    expect((await kc.users.listGroups({ realm, id: ids.bob })).map((g) => g.path)).toEqual([
      '/oncall',
    ]);
  });

  it('deleting a group deletes its subgroups and their memberships', async () => {
    await kc.groups.del({ realm, id: ids.staff });
    expect(await kc.groups.findOne({ realm, id: ids.devs })).toBeNull();
    expect(await kc.users.listGroups({ realm, id: ids.alice })).toEqual([]);
    expect(
      names(await kc.users.listCompositeRealmRoleMappings({ realm, id: ids.alice })),
    ).not.toContain('auditor');
    expect((await kc.groups.find({ realm })).map((g) => g.path).sort()).toEqual([
      '/oncall',
      '/operations',
    ]);
  });
});

/**
 * The admin API checks every request against the live store, not the token's claims alone
 * (issue 15): a disabled or deleted admin user, a deleted or disabled service-account client, and
 * an admin role removed from the user stop working at once, with the same token. Keycloak:
 * AuthenticationManager.verifyIdentityToken / isUserValid (`user == null || !user.isEnabled()`:
 * no identity, 401), AdminAuth.hasRealmRole / hasAppRole (`user.hasRole(role)`, read from the
 * store, composites included: 403 without it).
 * Also: role mappings deleted with a JSON body (RoleMapperResource.deleteRealmRoleMappings,
 * ClientRoleMappingsResource.deleteClientRoleMapping) through @keycloak/keycloak-admin-client;
 * SMTP and identity-provider secrets masked in admin GETs (StripSecretsUtils) and kept when the mask
 * comes back in a PUT (RepresentationToModel.updateRealm); too-deep JSON and NUL bytes are 4xx.
 * Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { adminCall, clientToken, passwordToken } from '../helpers/admin.ts';
import { findUserByUsername, updateUser } from '../../src/store/users.ts';
import { findRealm } from '../../src/store/realms.ts';

const PASSWORD = 'x-password-1';
const adminOfX = (username: string) => ({
  username,
  credentials: [{ type: 'password', value: PASSWORD }],
  clientRoles: { 'realm-management': ['realm-admin'] },
});
const REALM_X = {
  realm: 'xr',
  smtpServer: {
    host: 'smtp.example.org',
    from: 'noreply@example.org',
    auth: 'true',
    user: 'mailer',
    password: 'smtp-secret-1',
  },
  identityProviders: [
    {
      alias: 'corp',
      providerId: 'oidc',
      enabled: true,
      config: {
        clientId: 'corp-client',
        clientSecret: 'idp-secret-1',
        tokenUrl: 'https://idp.example.org/token',
      },
    },
    {
      alias: 'vaulted',
      providerId: 'oidc',
      enabled: true,
      config: { clientId: 'v', clientSecret: '${vault.corp_secret}' },
    },
  ],
  roles: {
    realm: [
      {
        name: 'ops',
        composite: true,
        composites: { client: { 'realm-management': ['realm-admin'] } },
      },
      { name: 'auditor' },
    ],
  },
  clients: [
    {
      clientId: 'x-robot',
      secret: 'x-robot-secret',
      publicClient: false,
      standardFlowEnabled: false,
      serviceAccountsEnabled: true,
    },
    {
      clientId: 'x-robot2',
      secret: 'x-robot2-secret',
      publicClient: false,
      standardFlowEnabled: false,
      serviceAccountsEnabled: true,
    },
  ],
  users: [
    adminOfX('to-disable'),
    adminOfX('to-delete'),
    adminOfX('to-demote'),
    adminOfX('mapper'),
    {
      username: 'via-composite',
      credentials: [{ type: 'password', value: PASSWORD }],
      realmRoles: ['ops'],
    },
    {
      username: 'service-account-x-robot',
      serviceAccountClientId: 'x-robot',
      clientRoles: { 'realm-management': ['realm-admin'] },
    },
    {
      username: 'service-account-x-robot2',
      serviceAccountClientId: 'x-robot2',
      clientRoles: { 'realm-management': ['realm-admin'] },
    },
    { username: 'plain' },
  ],
};

const stores = await testStores();

describe.each(stores)('admin trust on $name', (store) => {
  let server: TestServer;
  let root: string;
  let kc: KcAdminClient;
  const call = (token: string, method: string, p: string, body?: unknown) =>
    adminCall(server.baseUrl, token, method, p, body);
  const userId = async (username: string) =>
    (await kc.users.find({ realm: 'xr', username, exact: true }))[0].id!;

  beforeAll(async () => {
    server = await startStoreServer(store, {
      realms: [REALM_X],
    });
    root = await passwordToken(server.baseUrl, 'master', 'admin', 'admin-test-password');
    kc = new KcAdminClient({ baseUrl: server.baseUrl, realmName: 'master' });
    kc.setAccessToken(root);
    kc.setConfig({ realmName: 'xr' });
  }, 120_000);
  afterAll(() => server?.close());

  describe('every admin request is checked against the store', () => {
    it('a disabled admin user is refused with the same token (401)', async () => {
      const token = await passwordToken(server.baseUrl, 'xr', 'to-disable', PASSWORD);
      expect((await call(token, 'GET', '/xr/users')).status).toBe(200);
      expect(
        (await call(root, 'PUT', `/xr/users/${await userId('to-disable')}`, { enabled: false }))
          .status,
      ).toBe(204);
      expect(await call(token, 'GET', '/xr/users')).toMatchObject({
        status: 401,
        body: { error: 'HTTP 401 Unauthorized' },
      });
      expect(
        (await call(token, 'POST', '/xr/users', { username: 'made-by-disabled' })).status,
      ).toBe(401);
    });

    it('a deleted admin user is refused with the same token (401)', async () => {
      const token = await passwordToken(server.baseUrl, 'xr', 'to-delete', PASSWORD);
      expect((await call(token, 'GET', '/xr/clients')).status).toBe(200);
      expect((await call(root, 'DELETE', `/xr/users/${await userId('to-delete')}`)).status).toBe(
        204,
      );
      expect((await call(token, 'GET', '/xr/clients')).status).toBe(401);
    });

    it('a service account whose client was deleted is refused with the same token (401)', async () => {
      const token = await clientToken(server.baseUrl, 'xr', 'x-robot', 'x-robot-secret');
      expect((await call(token, 'GET', '/xr/users')).status).toBe(200);
      const [client] = await kc.clients.find({ clientId: 'x-robot' });
      expect((await call(root, 'DELETE', `/xr/clients/${client.id}`)).status).toBe(204);
      expect((await call(token, 'GET', '/xr/users')).status).toBe(401);
    });

    it('a service account whose client or user was disabled is refused with the same token (401)', async () => {
      const token = await clientToken(server.baseUrl, 'xr', 'x-robot2', 'x-robot2-secret');
      expect((await call(token, 'GET', '/xr/users')).status).toBe(200);
      const [client] = await kc.clients.find({ clientId: 'x-robot2' });
      expect((await call(root, 'PUT', `/xr/clients/${client.id}`, { enabled: false })).status).toBe(
        204,
      );
      expect((await call(token, 'GET', '/xr/users')).status).toBe(401);
      expect((await call(root, 'PUT', `/xr/clients/${client.id}`, { enabled: true })).status).toBe(
        204,
      );
      expect((await call(token, 'GET', '/xr/users')).status).toBe(200);
      const realm = (await findRealm(server.db, 'xr'))!;
      const account = (await findUserByUsername(server.db, realm.id, 'service-account-x-robot2'))!;
      await updateUser(server.db, realm.id, { ...account, enabled: false });
      expect((await call(token, 'GET', '/xr/users')).status).toBe(401);
    });

    it('a realm-admin role removed from the user stops working at once (403)', async () => {
      const token = await passwordToken(server.baseUrl, 'xr', 'to-demote', PASSWORD);
      expect((await call(token, 'GET', '/xr/users')).status).toBe(200);
      const realm = (await findRealm(server.db, 'xr'))!;
      const user = (await findUserByUsername(server.db, realm.id, 'to-demote'))!;
      await updateUser(server.db, realm.id, { ...user, clientRoles: {} });
      expect(await call(token, 'GET', '/xr/users')).toMatchObject({
        status: 403,
        body: { error: 'HTTP 403 Forbidden' },
      });
      expect((await call(token, 'POST', '/xr/users', { username: 'made-by-demoted' })).status).toBe(
        403,
      );
    });

    it('realm-admin held through a composite role counts, and stops when the composite changes (403)', async () => {
      const token = await passwordToken(server.baseUrl, 'xr', 'via-composite', PASSWORD);
      expect((await call(token, 'GET', '/xr/users')).status).toBe(200);
      expect(
        (await call(root, 'PUT', '/xr/roles/ops', { composites: { realm: [], client: {} } }))
          .status,
      ).toBe(204);
      expect((await call(token, 'GET', '/xr/users')).status).toBe(403);
    });

    it("the master admin's `admin` role removed in the store stops super-admin rights at once", async () => {
      const master = (await findRealm(server.db, 'master'))!;
      expect(
        (
          await call(root, 'POST', '/master/users', {
            username: 'boss2',
            credentials: [{ type: 'password', value: PASSWORD }],
            realmRoles: ['admin'],
          })
        ).status,
      ).toBe(201);
      const boss = (await findUserByUsername(server.db, master.id, 'boss2'))!;
      const token = await passwordToken(server.baseUrl, 'master', 'boss2', PASSWORD);
      expect((await call(token, 'GET', '/xr')).status).toBe(200);
      await updateUser(server.db, master.id, { ...boss, realmRoles: [] });
      expect((await call(token, 'GET', '/xr')).status).toBe(403);
      expect((await call(token, 'POST', '/', { realm: 'made-by-demoted-boss' })).status).toBe(403);
    });
  });

  describe('role mappings are deleted with a JSON body (keycloak-admin-client)', () => {
    it('delRealmRoleMappings and delClientRoleMappings remove the listed roles', async () => {
      const id = await userId('plain');
      const auditor = await kc.roles.findOneByName({ name: 'auditor' });
      const ops = await kc.roles.findOneByName({ name: 'ops' });
      await kc.users.addRealmRoleMappings({
        id,
        roles: [
          { id: auditor!.id!, name: 'auditor' },
          { id: ops!.id!, name: 'ops' },
        ],
      });
      expect((await kc.users.listRealmRoleMappings({ id })).map((r) => r.name).sort()).toEqual([
        'auditor',
        'ops',
      ]);
      await kc.users.delRealmRoleMappings({ id, roles: [{ id: auditor!.id!, name: 'auditor' }] });
      expect((await kc.users.listRealmRoleMappings({ id })).map((r) => r.name)).toEqual(['ops']);

      const [management] = await kc.clients.find({ clientId: 'realm-management' });
      const viewUsers = (await kc.clients.findRole({
        id: management.id!,
        roleName: 'view-users',
      }))!;
      const queryUsers = (await kc.clients.findRole({
        id: management.id!,
        roleName: 'query-users',
      }))!;
      await kc.users.addClientRoleMappings({
        id,
        clientUniqueId: management.id!,
        roles: [
          { id: viewUsers.id!, name: 'view-users' },
          { id: queryUsers.id!, name: 'query-users' },
        ],
      });
      await kc.users.delClientRoleMappings({
        id,
        clientUniqueId: management.id!,
        roles: [{ id: viewUsers.id!, name: 'view-users' }],
      });
      expect(
        (await kc.users.listClientRoleMappings({ id, clientUniqueId: management.id! })).map(
          (r) => r.name,
        ),
      ).toEqual(['query-users']);
    });

    it('realm-admin removed with delClientRoleMappings stops the same token at once (403)', async () => {
      const token = await passwordToken(server.baseUrl, 'xr', 'mapper', PASSWORD);
      expect((await call(token, 'GET', '/xr/clients')).status).toBe(200);
      const [management] = await kc.clients.find({ clientId: 'realm-management' });
      const realmAdmin = (await kc.clients.findRole({
        id: management.id!,
        roleName: 'realm-admin',
      }))!;
      await kc.users.delClientRoleMappings({
        id: await userId('mapper'),
        clientUniqueId: management.id!,
        roles: [{ id: realmAdmin.id!, name: 'realm-admin' }],
      });
      expect((await call(token, 'GET', '/xr/clients')).status).toBe(403);
    });

    it('answers an unknown role or a role whose id does not match with 404, changing nothing', async () => {
      const id = await userId('plain');
      const ops = await kc.roles.findOneByName({ name: 'ops' });
      for (const roles of [[{ name: 'no-such-role' }], [{ id: 'not-the-id', name: 'ops' }]]) {
        expect(
          await call(root, 'DELETE', `/xr/users/${id}/role-mappings/realm`, roles),
        ).toMatchObject({ status: 404, body: { error: 'Role not found' } });
      }
      expect(
        (await call(root, 'DELETE', `/xr/users/${id}/role-mappings/realm`, { name: 'ops' })).status,
      ).toBe(400);
      expect((await kc.users.listRealmRoleMappings({ id })).map((r) => r.name)).toEqual(['ops']);
      // Without a body Keycloak removes every mapping of the container (roles == null).
      expect((await call(root, 'DELETE', `/xr/users/${id}/role-mappings/realm`)).status).toBe(204);
      expect((await kc.users.listRealmRoleMappings({ id })).map((r) => r.name)).not.toContain(
        ops!.name,
      );
    });
  });

  it('a user created or updated with serviceAccountClientId is not made a service account (Keycloak UsersResource.createUser)', async () => {
    expect(
      (
        await call(root, 'POST', '/xr/users', {
          username: 'fake-robot',
          serviceAccountClientId: 'x-robot2',
        })
      ).status,
    ).toBe(201);
    const [created] = (await call(root, 'GET', '/xr/users?username=fake-robot&exact=true'))
      .body as { id: string; serviceAccountClientId?: string }[];
    expect(created).toBeDefined();
    expect(created.serviceAccountClientId).toBeUndefined();
    expect(
      (await call(root, 'PUT', `/xr/users/${created.id}`, { serviceAccountClientId: 'x-robot2' }))
        .status,
    ).toBe(204);
    expect(
      (
        (await call(root, 'GET', `/xr/users/${created.id}`)).body as {
          serviceAccountClientId?: string;
        }
      ).serviceAccountClientId,
    ).toBeUndefined();
  });

  it("a realm created or partially imported through the admin API takes ${VAR} literally: the server's environment is not read (Keycloak resolves placeholders only in --import-realm files)", async () => {
    process.env.QSIGN_TEST_ENV_SECRET = 'env-secret-value-1';
    try {
      const body = {
        realm: `lit-${store.name.toLowerCase()}`,
        displayName: '${QSIGN_TEST_ENV_SECRET}',
        attributes: { probe: '${env.QSIGN_TEST_ENV_SECRET}' },
      };
      expect((await call(root, 'POST', '/', body)).status).toBe(201);
      const rep = (await call(root, 'GET', `/${body.realm}`)).body as {
        displayName: string;
        attributes: Record<string, string>;
      };
      expect([rep.displayName, rep.attributes.probe]).toEqual([
        '${QSIGN_TEST_ENV_SECRET}',
        '${env.QSIGN_TEST_ENV_SECRET}',
      ]);
      const imported = await call(root, 'POST', `/${body.realm}/partialImport`, {
        ifResourceExists: 'FAIL',
        roles: { realm: [{ name: 'probe-role', description: '${QSIGN_TEST_ENV_SECRET}' }] },
      });
      expect(imported.status).toBe(200);
      expect((await call(root, 'GET', `/${body.realm}/roles/probe-role`)).body).toMatchObject({
        description: '${QSIGN_TEST_ENV_SECRET}',
      });
      expect((await call(root, 'GET', '/')).text).not.toContain('env-secret-value-1');
    } finally {
      delete process.env.QSIGN_TEST_ENV_SECRET;
    }
  });

  describe('secrets in the realm representation', () => {
    it('GET masks the SMTP password and identity-provider client secrets as Keycloak does', async () => {
      const rep = (await kc.realms.findOne({ realm: 'xr' })) as Record<string, unknown>;
      expect(rep.smtpServer).toMatchObject({
        host: 'smtp.example.org',
        user: 'mailer',
        password: '**********',
      });
      expect(rep.identityProviders).toMatchObject([
        { alias: 'corp', config: { clientId: 'corp-client', clientSecret: '**********' } },
        { alias: 'vaulted', config: { clientSecret: '${vault.corp_secret}' } },
      ]);
      const listed = (await call(root, 'GET', '/')).text;
      expect(listed).not.toContain('smtp-secret-1');
      expect(listed).not.toContain('idp-secret-1');
    });

    it('a PUT carrying the mask back keeps the stored secret; a new value replaces it', async () => {
      const rep = (await kc.realms.findOne({ realm: 'xr' })) as Record<string, unknown>;
      await kc.realms.update({ realm: 'xr' }, { ...rep, displayName: 'X realm' });
      let stored = (await findRealm(server.db, 'xr'))!.doc as unknown as {
        displayName: string;
        smtpServer: Record<string, string>;
        identityProviders: { config: Record<string, string> }[];
      };
      expect(stored.displayName).toBe('X realm');
      expect(stored.smtpServer.password).toBe('smtp-secret-1');
      expect(stored.identityProviders.map((p) => p.config.clientSecret)).toEqual([
        'idp-secret-1',
        '${vault.corp_secret}',
      ]);
      await kc.realms.update(
        { realm: 'xr' },
        { smtpServer: { ...(rep.smtpServer as object), password: 'smtp-secret-2' } },
      );
      stored = (await findRealm(server.db, 'xr'))!.doc as never;
      expect(stored.smtpServer.password).toBe('smtp-secret-2');
    });
  });

  describe('bad input is a 4xx, never a 500', () => {
    const deep = (depth: number, inner: string) =>
      '{"a":'.repeat(depth) + inner + '}'.repeat(depth);

    it('answers 100k-deep JSON in a user or a realm import with 400, and keeps serving', async () => {
      const user = await call(
        root,
        'POST',
        '/xr/users',
        `{"username":"deep","notes":${deep(100_000, '1')}}`,
      );
      expect(user.status).toBe(400);
      expect(user.body).toEqual({ errorMessage: expect.stringContaining('nested deeper than') });
      const realm = await call(
        root,
        'POST',
        '/',
        `{"realm":"deep","smtpServer":${deep(100_000, '1')}}`,
      );
      expect(realm.status).toBe(400);
      expect(realm.body).toEqual({ errorMessage: expect.stringContaining('nested deeper than') });
      const array = await call(
        root,
        'POST',
        '/xr/clients',
        '['.repeat(100_000) + ']'.repeat(100_000),
      );
      expect(array.status).toBe(400);
      expect((await call(root, 'GET', '/xr/users?username=deep')).body).toEqual([]);
      expect((await call(root, 'GET', '/deep')).status).toBe(404);
    });

    it('answers NUL bytes in paths, queries and bodies with 4xx', async () => {
      for (const p of [
        '/%00',
        '/xr/users/%00',
        '/xr/clients/a%00b',
        '/xr/roles/%00',
        '/%00/users',
      ]) {
        const answer = await call(root, 'GET', p);
        expect({ p, status: answer.status }).toEqual({ p, status: 404 });
      }
      expect((await call(root, 'GET', '/xr/users?search=%00')).status).toBe(400);
      expect((await call(root, 'GET', '/xr/admin-events?authUser=%00')).status).toBe(400);
      expect((await call(root, 'POST', '/xr/users', { username: 'nul\u0000user' })).status).toBe(
        400,
      );
      expect(
        (await call(root, 'POST', '/xr/users', '{"username":"lone","firstName":"\\ud800"}')).status,
      ).toBe(400);
      expect((await call(root, 'PUT', '/xr', { displayName: 'a\u0000b' })).status).toBe(400);
      expect((await call(root, 'GET', '/xr')).status).toBe(200);
    });

    it('answers a forged token whose issuer holds a NUL byte with 401', async () => {
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      for (const realm of ['x\u0000r', 'x\ud800r']) {
        const forged = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: `${server.baseUrl}/realms/${realm}`, jti: 'a' })}.c2ln`;
        expect((await call(forged, 'GET', '/xr/users')).status).toBe(401);
      }
    });
  });
});

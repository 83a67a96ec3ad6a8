/**
 * The admin routes the Admin Console's create and role-mapping pages call, driven as the console
 * drives them (keycloak-admin-client where it has the call, else a bearer request like the
 * console's own fetch): the admin-ui-ext role pickers for every holder kind
 * (AvailableRoleMappingResource, AllEffectiveRoleMappingResource), a user's unmanaged attributes
 * and credential label (UserResource.getUnmanagedAttributes / setCredentialUserLabel),
 * impersonation (refused as Keycloak refuses it with the IMPERSONATION feature disabled) and the
 * client authenticator list (AuthenticationManagementResource.getClientAuthenticatorProviders).
 * Expected shapes and messages are those of Keycloak 26's classes named in each test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type KcAdminClient from '@keycloak/keycloak-admin-client';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import {
  adminCall,
  failure,
  masterAdmin,
  passwordToken,
  TEST_ADMIN_PASSWORD,
} from '../helpers/admin.ts';

const realm = 'uxr';
const fixture = {
  realm,
  enabled: true,
  roles: {
    realm: [
      { name: 'r1', composite: true, composites: { client: { app: ['c1'] } } },
      { name: 'r2' },
    ],
    client: { app: [{ name: 'c1', description: 'first' }, { name: 'c2' }] },
  },
  clients: [{ clientId: 'app', publicClient: false, secret: 'app-secret' }],
  clientScopes: [{ name: 'sc', protocol: 'openid-connect' }],
  scopeMappings: [{ clientScope: 'sc', roles: ['r1'] }],
  users: [
    {
      username: 'u',
      enabled: true,
      realmRoles: ['r1'],
      attributes: { extra: ['x'], blank: [''] },
    },
  ],
};

let server: TestServer;
let kc: KcAdminClient;
let token: string;
const ids: Record<string, string> = {};

const get = async (p: string) => adminCall(server.baseUrl, token, 'GET', `/${realm}${p}`);

beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [fixture],
  });
  kc = await masterAdmin(server.baseUrl);
  token = await passwordToken(server.baseUrl, 'master', 'admin', TEST_ADMIN_PASSWORD);
  ids.user = (await kc.users.find({ realm, username: 'u', exact: true }))[0].id!;
  ids.app = (await kc.clients.find({ realm, clientId: 'app' }))[0].id!;
  ids.sc = (await kc.clientScopes.findOneByName({ realm, name: 'sc' }))!.id!;
  ids.r1 = (await kc.roles.findOneByName({ realm, name: 'r1' }))!.id!;
}, 180_000);

afterAll(async () => {
  await server?.close();
});

describe('admin-ui-ext role pickers', () => {
  it('effective-roles-all lists realm roles first, then client roles, composites expanded (AllEffectiveRoleMappingResource)', async () => {
    for (const p of [`/users/${ids.user}`, `/clientScopes/${ids.sc}`, `/roles/${ids.r1}`]) {
      const { status, body } = await get(`/ui-ext/effective-roles-all${p}`);
      expect(status, p).toBe(200);
      const roles = body as { name: string; clientRole: boolean; client?: string }[];
      const r1 = roles.findIndex((r) => r.name === 'r1' && !r.clientRole);
      const c1 = roles.findIndex((r) => r.name === 'c1');
      expect(r1, p).toBeGreaterThanOrEqual(0);
      expect(c1, p).toBeGreaterThan(r1);
      expect(roles[c1], p).toMatchObject({
        name: 'c1',
        description: 'first',
        clientRole: true,
        client: 'app',
        clientId: ids.app,
      });
      expect(
        roles.some((r) => r.name === 'c2' || r.name === 'r2'),
        p,
      ).toBe(false);
    }
  });

  it('available-roles lists the client roles a holder lacks as ClientRole (AvailableRoleMappingResource)', async () => {
    for (const p of [`/clients/${ids.app}`, `/clientScopes/${ids.sc}`, `/roles/${ids.r1}`]) {
      const { status, body } = await get(`/ui-ext/available-roles${p}?first=0&max=100&search=app`);
      expect(status, p).toBe(200);
      expect(body, p).toEqual(
        expect.arrayContaining([
          {
            id: expect.any(String),
            role: 'c1',
            client: 'app',
            clientId: ids.app,
            description: 'first',
          },
          { id: expect.any(String), role: 'c2', client: 'app', clientId: ids.app },
        ]),
      );
    }
    // A user holding c1 directly no longer sees it.
    await kc.users.addClientRoleMappings({
      realm,
      id: ids.user,
      clientUniqueId: ids.app,
      roles: [
        {
          id: (await kc.clients.findRole({ realm, id: ids.app, roleName: 'c1' }))!.id!,
          name: 'c1',
        },
      ],
    });
    const { body } = await get(`/ui-ext/available-roles/users/${ids.user}?max=100`);
    expect((body as { role: string }[]).map((r) => r.role)).not.toContain('c1');
  });

  it('answers Keycloak 404s for unknown holders', async () => {
    const nothing = '00000000-0000-4000-8000-000000000000';
    expect(await get(`/ui-ext/available-roles/clientScopes/${nothing}`)).toMatchObject({
      status: 404,
      body: { error: 'Could not find client scope' },
    });
    expect(await get(`/ui-ext/effective-roles-all/clients/${nothing}`)).toMatchObject({
      status: 404,
      body: { error: 'Could not find client' },
    });
    expect(await get(`/ui-ext/effective-roles-all/roles/${nothing}`)).toMatchObject({
      status: 404,
      body: { error: 'Could not find role' },
    });
  });
});

describe('user pages', () => {
  it('unmanagedAttributes: attributes the user profile does not declare, blank ones left out (UserResource.getUnmanagedAttributes)', async () => {
    expect(await get(`/users/${ids.user}/unmanagedAttributes`)).toMatchObject({
      status: 200,
      body: { extra: ['x'] },
    });
  });

  it('credential userLabel: the console labels the password it set (UserResource.setCredentialUserLabel)', async () => {
    await kc.users.resetPassword({
      realm,
      id: ids.user,
      credential: { type: 'password', value: 'Label-pass-1', temporary: false },
    });
    const [password] = await kc.users.getCredentials({ realm, id: ids.user });
    await kc.users.updateCredentialLabel(
      { realm, id: ids.user, credentialId: password.id! },
      'My password',
    );
    expect((await kc.users.getCredentials({ realm, id: ids.user }))[0].userLabel).toBe(
      'My password',
    );
    const blank = await failure(
      kc.users.updateCredentialLabel({ realm, id: ids.user, credentialId: password.id! }, ' '),
    );
    expect(blank).toMatchObject({
      status: 400,
      body: {
        error: 'missingCredentialLabel',
        error_description: 'Credential label must not be empty',
      },
    });
    const unknown = await failure(
      kc.users.updateCredentialLabel({ realm, id: ids.user, credentialId: 'nope' }, 'x'),
    );
    expect(unknown).toMatchObject({ status: 404, body: { error: 'Credential not found' } });
  });

  it('impersonation is refused as by a Keycloak without the IMPERSONATION feature (ProfileHelper.requireFeature: 501)', async () => {
    expect(
      await adminCall(server.baseUrl, token, 'POST', `/${realm}/users/${ids.user}/impersonation`),
    ).toMatchObject({ status: 501, body: { error: 'Feature not enabled' } });
    expect(
      await adminCall(server.baseUrl, token, 'POST', `/${realm}/users/unknown/impersonation`),
    ).toMatchObject({ status: 404, body: { error: 'User not found' } });
  });

  it('client-authenticator-providers lists the authenticators applied here (getClientAuthenticatorProviders)', async () => {
    const { body } = await get('/authentication/client-authenticator-providers');
    const list = body as { id: string }[];
    expect(list.map((p) => p.id)).toEqual(['client-secret', 'client-jwt', 'client-secret-jwt']);
    expect(list[0]).toMatchObject({ displayName: 'Client Id and Secret', supportsSecret: true });
  });
});

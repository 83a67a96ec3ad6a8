/**
 * `/clients/{id}/evaluate-scopes/...` through @keycloak/keycloak-admin-client, as Keycloak 26's
 * ClientScopeEvaluateResource answers: the example access token, id token and userinfo hold the
 * claims a real token for the same user and `scope` holds (the same TokenManager code in
 * Keycloak; here the same pipeline), but for what belongs to one issuance (exp, iat, jti, the
 * session's sid and auth_time, at_hash); `protocol-mappers` lists
 * ProtocolMapperEvaluationRepresentation rows (containerType "client" with containerName "" for
 * the client's own mappers, "client-scope" with the scope's name otherwise); scope names the
 * client has not got are ignored (TokenManager.getRequestedClientScopes); 404 "No userId
 * provided" / "No user found" (getUserModel); ClientScopeEvaluateScopeMappingsResource's
 * granted / not-granted (all the container's roles with fullScopeAllowed). Runs on PGlite and
 * on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { failure, masterAdmin } from '../helpers/admin.ts';
import { testStores } from '../helpers/components.ts';

const ALL = {
  'access.token.claim': 'true',
  'id.token.claim': 'true',
  'userinfo.token.claim': 'true',
  'jsonType.label': 'String',
};
const REALM = {
  realm: 'evs',
  roles: { realm: [{ name: 'reader' }, { name: 'writer' }] },
  clients: [
    {
      clientId: 'app',
      publicClient: true,
      directAccessGrantsEnabled: true,
      standardFlowEnabled: false,
      fullScopeAllowed: false,
      protocolMappers: [
        {
          name: 'tenant',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-hardcoded-claim-mapper',
          config: { ...ALL, 'claim.name': 'tenant', 'claim.value': 'acme' },
        },
      ],
    },
    {
      clientId: 'full',
      publicClient: true,
      directAccessGrantsEnabled: true,
      standardFlowEnabled: false,
    },
    {
      clientId: 'aud-app',
      publicClient: true,
      directAccessGrantsEnabled: true,
      standardFlowEnabled: false,
      protocolMappers: [
        {
          name: 'api audience',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-audience-mapper',
          config: {
            'included.custom.audience': 'https://api.example.com',
            'access.token.claim': 'true',
            'id.token.claim': 'true',
          },
        },
        // id.token.claim unset: Keycloak's AudienceProtocolMapper defaults it to "false".
        {
          name: 'full audience',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-audience-mapper',
          config: { 'included.client.audience': 'full', 'access.token.claim': 'true' },
        },
      ],
    },
  ],
  users: [
    {
      username: 'alice',
      enabled: true,
      email: 'alice@example.com',
      emailVerified: true,
      firstName: 'Alice',
      lastName: 'Liddell',
      credentials: [{ type: 'password', value: 'alice-password' }],
      realmRoles: ['reader', 'writer'],
    },
  ],
};
/** What belongs to one issuance, not to the claims Keycloak's mappers make. */
const ISSUANCE = ['exp', 'iat', 'jti', 'sid', 'auth_time', 'at_hash', 'nonce', 'session_state'];
const claimsOf = (token: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(token).filter(([k]) => !ISSUANCE.includes(k)));

const stores = await testStores();

describe.each(stores)('evaluate-scopes admin API on $name', (store) => {
  let server: TestServer;
  let kc: KcAdminClient;
  const realm = 'evs';
  const ids: Record<string, string> = {};

  async function passwordGrant(clientId: string, scope: string) {
    const response = await fetch(
      `${server.baseUrl}/realms/${realm}/protocol/openid-connect/token`,
      {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: clientId,
          username: 'alice',
          password: 'alice-password',
          scope,
        }),
      },
    );
    const body = (await response.json()) as { access_token: string; id_token: string };
    const userinfo = await fetch(
      `${server.baseUrl}/realms/${realm}/protocol/openid-connect/userinfo`,
      { headers: { authorization: `Bearer ${body.access_token}` } },
    );
    return {
      access: decodeJwt(body.access_token),
      id: decodeJwt(body.id_token),
      userinfo: (await userinfo.json()) as Record<string, unknown>,
    };
  }

  beforeAll(async () => {
    server = await startStoreServer(store, {
      realms: [REALM],
    });
    kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: realm });
    ids.app = (await kc.clients.find({ clientId: 'app' }))[0].id!;
    ids.full = (await kc.clients.find({ clientId: 'full' }))[0].id!;
    ids.alice = (await kc.users.find({ username: 'alice', exact: true }))[0].id!;
    // An optional scope with a mapper and a role scope mapping (reader), made through the admin API.
    const department = {
      name: 'department',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-hardcoded-claim-mapper',
      config: { ...ALL, 'claim.name': 'department', 'claim.value': 'R&D' },
    };
    ids.extra = (
      await kc.clientScopes.create({
        name: 'extra',
        protocol: 'openid-connect',
        attributes: { 'include.in.token.scope': 'true' },
        protocolMappers: [department],
      })
    ).id;
    await kc.clients.addOptionalClientScope({ id: ids.app, clientScopeId: ids.extra });
    const reader = await kc.roles.findOneByName({ name: 'reader' });
    await kc.clientScopes.addRealmScopeMappings({ id: ids.extra }, [
      { id: reader!.id!, name: 'reader' },
    ]);
  }, 120_000);
  afterAll(() => server?.close());

  it('the example access token, id token and userinfo carry the claims of real ones for the same user and scope', async () => {
    const scope = 'openid extra';
    const real = await passwordGrant('app', scope);
    const query = { id: ids.app, userId: ids.alice, scope };
    const access = await kc.clients.evaluateGenerateAccessToken({ ...query, audience: '' });
    const id = await kc.clients.evaluateGenerateIdToken(query);
    const userinfo = await kc.clients.evaluateGenerateUserInfo(query);
    expect(claimsOf(access)).toEqual(claimsOf(real.access));
    expect(claimsOf(id)).toEqual(claimsOf(real.id));
    expect(userinfo).toEqual(real.userinfo);
    // The scope's mapper, its role scope (reader, not writer: fullScopeAllowed false) and the client's own mapper.
    expect(access).toMatchObject({
      department: 'R&D',
      tenant: 'acme',
      scope: expect.stringContaining('extra'),
      realm_access: { roles: ['reader'] },
      typ: 'Bearer',
      azp: 'app',
      sub: ids.alice,
    });
    expect(
      typeof access.exp === 'number' &&
        typeof access.iat === 'number' &&
        typeof access.jti === 'string',
    ).toBe(true);
    expect(id).toMatchObject({
      typ: 'ID',
      aud: 'app',
      azp: 'app',
      sub: ids.alice,
      department: 'R&D',
    });
  });

  it('without the optional scope its claims are gone; unknown scope names are ignored', async () => {
    const without = await kc.clients.evaluateGenerateAccessToken({
      id: ids.app,
      userId: ids.alice,
      scope: 'openid',
      audience: '',
    });
    expect(without.department).toBeUndefined();
    expect(without.realm_access).toBeUndefined();
    expect(claimsOf(without)).toEqual(claimsOf((await passwordGrant('app', 'openid')).access));
    const unknown = await kc.clients.evaluateGenerateAccessToken({
      id: ids.app,
      userId: ids.alice,
      scope: 'openid no-such-scope extra',
      audience: '',
    });
    expect(unknown.department).toBe('R&D');
  });

  it('an audience mapper with id.token.claim adds its audience to the real id token, beside the client (AudienceProtocolMapper is an OIDCIDTokenMapper)', async () => {
    const real = await passwordGrant('aud-app', 'openid');
    // AccessTokenResponseBuilder.generateIDToken: aud = the client, then the id token mappers.
    expect(real.id.aud).toEqual(['aud-app', 'https://api.example.com']);
    expect(real.access.aud).toEqual(expect.arrayContaining(['full', 'https://api.example.com']));
    ids.audApp = (await kc.clients.find({ clientId: 'aud-app' }))[0].id!;
    const example = await kc.clients.evaluateGenerateIdToken({
      id: ids.audApp,
      userId: ids.alice,
      scope: 'openid',
    });
    expect(claimsOf(example)).toEqual(claimsOf(real.id));
  });

  it('lists the protocol mappers that apply, with their containers', async () => {
    const rows = (await kc.clients.evaluateListProtocolMapper({
      id: ids.app,
      scope: 'openid extra',
    })) as unknown as Record<string, unknown>[];
    expect(rows).toContainEqual({
      mapperId: expect.any(String),
      mapperName: 'tenant',
      containerId: ids.app,
      containerName: '',
      containerType: 'client',
      protocolMapper: 'oidc-hardcoded-claim-mapper',
    });
    expect(rows).toContainEqual({
      mapperId: expect.any(String),
      mapperName: 'department',
      containerId: ids.extra,
      containerName: 'extra',
      containerType: 'client-scope',
      protocolMapper: 'oidc-hardcoded-claim-mapper',
    });
    // Keycloak 26's default `profile` scope and its full name mapper.
    expect(rows).toContainEqual(
      expect.objectContaining({
        mapperName: 'full name',
        containerName: 'profile',
        containerType: 'client-scope',
        protocolMapper: 'oidc-full-name-mapper',
      }),
    );
    const plain = (await kc.clients.evaluateListProtocolMapper({
      id: ids.app,
      scope: 'openid',
    })) as unknown as Record<string, unknown>[];
    expect(plain.map((r) => r.containerName)).not.toContain('extra');
  });

  it('granted and not-granted roles follow the role scope', async () => {
    const names = (roles: { name?: string }[]) => roles.map((r) => r.name);
    const granted = await kc.clients.evaluatePermission({
      id: ids.app,
      roleContainer: realm,
      type: 'granted',
      scope: 'openid extra',
    });
    const notGranted = await kc.clients.evaluatePermission({
      id: ids.app,
      roleContainer: realm,
      type: 'not-granted',
      scope: 'openid extra',
    });
    expect(names(granted)).toContain('reader');
    expect(names(granted)).not.toContain('writer');
    expect(names(notGranted)).toContain('writer');
    expect(names(notGranted)).not.toContain('reader');
    expect(
      names(
        await kc.clients.evaluatePermission({
          id: ids.app,
          roleContainer: realm,
          type: 'granted',
          scope: 'openid',
        }),
      ),
    ).not.toContain('reader');
    // fullScopeAllowed: every role of the container.
    const all = names(await kc.roles.find());
    expect(
      names(
        await kc.clients.evaluatePermission({
          id: ids.full,
          roleContainer: realm,
          type: 'granted',
          scope: 'openid',
        }),
      ).sort(),
    ).toEqual([...all].sort());
    expect(
      await kc.clients.evaluatePermission({
        id: ids.full,
        roleContainer: realm,
        type: 'not-granted',
        scope: 'openid',
      }),
    ).toEqual([]);
  });

  it("answers Keycloak's 404s for a missing user id, an unknown user, client or role container", async () => {
    expect(
      await failure(kc.clients.evaluateGenerateIdToken({ id: ids.app, scope: 'openid' } as never)),
    ).toEqual({ status: 404, body: { error: 'No userId provided' } });
    expect(
      await failure(
        kc.clients.evaluateGenerateUserInfo({
          id: ids.app,
          scope: 'openid',
          userId: '00000000-0000-4000-8000-000000000000',
        }),
      ),
    ).toEqual({ status: 404, body: { error: 'No user found' } });
    expect(
      await failure(
        kc.clients.evaluateGenerateAccessToken({
          id: ids.app,
          scope: 'openid',
          userId: 'not-a-uuid',
          audience: '',
        }),
      ),
    ).toEqual({ status: 404, body: { error: 'No user found' } });
    expect(
      await failure(
        kc.clients.evaluateListProtocolMapper({
          id: '00000000-0000-4000-8000-000000000000',
          scope: 'openid',
        }),
      ),
    ).toEqual({ status: 404, body: { error: 'Could not find client' } });
    expect(
      await failure(
        kc.clients.evaluatePermission({
          id: ids.app,
          roleContainer: 'no-such-container',
          type: 'granted',
          scope: '',
        }),
      ),
    ).toEqual({ status: 404, body: { error: 'Role Container not found' } });
  });
});

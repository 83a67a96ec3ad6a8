/**
 * Client scopes, protocol mappers and the default/optional scope lists through
 * @keycloak/keycloak-admin-client, as Keycloak 26 answers them: ClientScopesResource /
 * ClientScopeResource (409 "Client Scope {name} already exists", 400 `Unexpected name "{name}" for
 * ClientScope`, 400 "Unexpected protocol", 404 "Could not find client scope"),
 * ProtocolMappersResource (409 "Protocol mapper exists with same name", 404 "Model not found"),
 * RealmAdminResource and ClientResource default/optional lists ({id, name} entries; 404 "Client
 * scope not found") and ClientResource.getServiceAccountUser (400 "Service account not enabled
 * for the client '{clientId}'"). Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { adminCall, failure, masterAdmin } from '../helpers/admin.ts';

const USERNAME_MAPPER = {
  name: 'username',
  protocol: 'openid-connect',
  protocolMapper: 'oidc-usermodel-property-mapper',
  config: {
    'user.attribute': 'username',
    'claim.name': 'preferred_username',
    'jsonType.label': 'String',
  },
};
const REALM = {
  realm: 'csr',
  // As a realm export carries them, without ids (a hand-written file): the admin API gives them stable ones.
  clientScopes: [
    {
      name: 'profile',
      protocol: 'openid-connect',
      attributes: { 'include.in.token.scope': 'true' },
      protocolMappers: [USERNAME_MAPPER],
    },
    { name: 'email', protocol: 'openid-connect', attributes: { 'include.in.token.scope': 'true' } },
  ],
  defaultDefaultClientScopes: ['profile'],
  defaultOptionalClientScopes: ['email'],
  clients: [
    { clientId: 'app', secret: 'app-secret', redirectUris: ['https://app.example/*'] },
    {
      clientId: 'robot',
      secret: 'robot-secret',
      standardFlowEnabled: false,
      serviceAccountsEnabled: true,
    },
  ],
};

const stores = await testStores();

describe.each(stores)('client scopes admin API on $name', (store) => {
  let server: TestServer;
  let kc: KcAdminClient;
  const realm = 'csr';
  const ids: Record<string, string> = {};
  const names = (list: { name?: string }[]) => list.map((s) => s.name);

  beforeAll(async () => {
    server = await startStoreServer(store, {
      realms: [REALM],
    });
    kc = await masterAdmin(server.baseUrl);
    // (The realm-wide list calls take no realm parameter: they use the configured one.)
    kc.setConfig({ realmName: realm });
    ids.app = (await kc.clients.find({ realm, clientId: 'app' }))[0].id!;
    ids.robot = (await kc.clients.find({ realm, clientId: 'robot' }))[0].id!;
  }, 120_000);
  afterAll(() => server?.close());

  it("lists the realm file's scopes with stable ids and their mappers", async () => {
    const scopes = await kc.clientScopes.find({ realm });
    expect(scopes).toMatchObject([
      {
        name: 'profile',
        protocol: 'openid-connect',
        attributes: { 'include.in.token.scope': 'true' },
        protocolMappers: [USERNAME_MAPPER],
      },
      { name: 'email' },
    ]);
    expect(scopes[1]).not.toHaveProperty('protocolMappers');
    ids.profile = scopes[0].id!;
    ids.email = scopes[1].id!;
    expect(ids.profile).toMatch(/^[0-9a-f-]{36}$/);
    expect((await kc.clientScopes.find({ realm })).map((s) => s.id)).toEqual([
      ids.profile,
      ids.email,
    ]);
    expect(await kc.clientScopes.findOne({ realm, id: ids.profile })).toMatchObject({
      name: 'profile',
      protocolMappers: [{ ...USERNAME_MAPPER, id: scopes[0].protocolMappers![0].id }],
    });
  });

  it('creates, refuses duplicates, bad names and protocols, updates and renames', async () => {
    await kc.clientScopes.create({
      realm,
      name: 'audience',
      protocol: 'openid-connect',
      description: 'aud',
      attributes: { 'include.in.token.scope': 'false', 'display.on.consent.screen': 'true' },
    });
    ids.audience = (await kc.clientScopes.findOneByName({ realm, name: 'audience' }))!.id!;
    expect(
      await failure(
        kc.clientScopes.create({ realm, name: 'audience', protocol: 'openid-connect' }),
      ),
    ).toEqual({ status: 409, body: { errorMessage: 'Client Scope audience already exists' } });
    expect(
      await failure(
        kc.clientScopes.create({ realm, name: 'has space', protocol: 'openid-connect' }),
      ),
    ).toEqual({
      status: 400,
      body: { errorMessage: 'Unexpected name "has space" for ClientScope' },
    });
    expect(await failure(kc.clientScopes.create({ realm, name: 'noproto' }))).toEqual({
      status: 400,
      body: { errorMessage: 'Unexpected protocol' },
    });
    expect(
      await failure(
        kc.clientScopes.create({
          realm,
          name: 'x',
          protocol: 'openid-connect',
          attributes: { a: { deep: 1 } },
        } as never),
      ),
    ).toMatchObject({ status: 400 });
    expect(
      await failure(
        kc.clientScopes.update(
          { realm, id: ids.audience },
          { name: 'profile', protocol: 'openid-connect' },
        ),
      ),
    ).toEqual({ status: 409, body: { errorMessage: 'Client Scope profile already exists' } });
    await kc.clientScopes.update(
      { realm, id: ids.audience },
      {
        name: 'audience',
        protocol: 'openid-connect',
        attributes: { 'include.in.token.scope': 'true' },
      },
    );
    expect(await kc.clientScopes.findOne({ realm, id: ids.audience })).toMatchObject({
      name: 'audience',
      description: 'aud',
      attributes: { 'include.in.token.scope': 'true' },
    });
    const token = (await kc.getAccessToken())!;
    expect(
      await adminCall(server.baseUrl, token, 'GET', '/csr/client-scopes/no-such-scope'),
    ).toMatchObject({ status: 404, body: { error: 'Could not find client scope' } });
  });

  it('realm default and optional lists: GET {id, name}, PUT moves a scope between them, DELETE, unknown id 404', async () => {
    expect(await kc.clientScopes.listDefaultClientScopes()).toEqual([
      { id: ids.profile, name: 'profile' },
    ]);
    expect(await kc.clientScopes.listDefaultOptionalClientScopes()).toEqual([
      { id: ids.email, name: 'email' },
    ]);
    await kc.clientScopes.addDefaultClientScope({ realm, id: ids.audience });
    expect(names(await kc.clientScopes.listDefaultClientScopes())).toEqual(['profile', 'audience']);
    await kc.clientScopes.addDefaultOptionalClientScope({ realm, id: ids.audience });
    expect(names(await kc.clientScopes.listDefaultClientScopes())).toEqual(['profile']);
    expect(names(await kc.clientScopes.listDefaultOptionalClientScopes())).toEqual([
      'email',
      'audience',
    ]);
    await kc.clientScopes.delDefaultOptionalClientScope({ realm, id: ids.audience });
    expect(names(await kc.clientScopes.listDefaultOptionalClientScopes())).toEqual(['email']);
    expect(await failure(kc.clientScopes.addDefaultClientScope({ realm, id: 'nope' }))).toEqual({
      status: 404,
      body: { error: 'Client scope not found' },
    });
  });

  it("a client's default and optional scopes: the realm's until changed, then its own; a rename follows", async () => {
    expect(await kc.clients.listDefaultClientScopes({ realm, id: ids.app })).toEqual([
      { id: ids.profile, name: 'profile' },
    ]);
    expect(await kc.clients.listOptionalClientScopes({ realm, id: ids.app })).toEqual([
      { id: ids.email, name: 'email' },
    ]);
    await kc.clients.addOptionalClientScope({ realm, id: ids.app, clientScopeId: ids.audience });
    expect(names(await kc.clients.listDefaultClientScopes({ realm, id: ids.app }))).toEqual([
      'profile',
    ]);
    expect(names(await kc.clients.listOptionalClientScopes({ realm, id: ids.app }))).toEqual([
      'email',
      'audience',
    ]);
    await kc.clients.addDefaultClientScope({ realm, id: ids.app, clientScopeId: ids.audience });
    expect(names(await kc.clients.listDefaultClientScopes({ realm, id: ids.app }))).toEqual([
      'profile',
      'audience',
    ]);
    expect(names(await kc.clients.listOptionalClientScopes({ realm, id: ids.app }))).toEqual([
      'email',
    ]);
    expect(await kc.clients.findOne({ realm, id: ids.app })).toMatchObject({
      defaultClientScopes: ['profile', 'audience'],
      optionalClientScopes: ['email'],
    });
    await kc.clientScopes.update(
      { realm, id: ids.audience },
      { name: 'aud', protocol: 'openid-connect' },
    );
    expect(names(await kc.clients.listDefaultClientScopes({ realm, id: ids.app }))).toEqual([
      'profile',
      'aud',
    ]);
    await kc.clients.delDefaultClientScope({ realm, id: ids.app, clientScopeId: ids.audience });
    expect(names(await kc.clients.listDefaultClientScopes({ realm, id: ids.app }))).toEqual([
      'profile',
    ]);
    expect(
      await failure(
        kc.clients.addDefaultClientScope({ realm, id: ids.app, clientScopeId: 'nope' }),
      ),
    ).toEqual({ status: 404, body: { error: 'Client scope not found' } });
    // The other client still follows the realm's lists.
    expect(names(await kc.clients.listDefaultClientScopes({ realm, id: ids.robot }))).toEqual([
      'profile',
    ]);
  });

  it("a client's lists show only scopes of its protocol (ClientModel.getClientScopes)", async () => {
    await kc.clientScopes.create({ realm, name: 'saml-only', protocol: 'saml' });
    const saml = (await kc.clientScopes.findOneByName({ realm, name: 'saml-only' }))!.id!;
    await kc.clients.addOptionalClientScope({ realm, id: ids.app, clientScopeId: saml });
    expect(names(await kc.clients.listOptionalClientScopes({ realm, id: ids.app }))).toEqual([
      'email',
    ]);
    await kc.clientScopes.del({ realm, id: saml });
  });

  for (const owner of ['client scope', 'client'] as const) {
    it(`protocol mappers of a ${owner}: models, add-models, get, update, delete`, async () => {
      const api = owner === 'client' ? kc.clients : kc.clientScopes;
      const id = owner === 'client' ? ids.app : ids.audience;
      const audience = {
        name: 'aud-mapper',
        protocol: 'openid-connect',
        protocolMapper: 'oidc-audience-mapper',
        config: { 'included.client.audience': 'app', 'access.token.claim': 'true' },
      };
      await api.addProtocolMapper({ realm, id }, audience);
      const [created] = await api.listProtocolMappers({ realm, id });
      expect(created).toMatchObject(audience);
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await failure(api.addProtocolMapper({ realm, id }, audience))).toEqual({
        status: 409,
        body: { errorMessage: 'Protocol mapper exists with same name' },
      });
      expect(
        (
          await failure(
            api.addProtocolMapper({ realm, id }, { name: 'no-type', protocol: 'openid-connect' }),
          )
        ).status,
      ).toBe(400);
      await api.addMultipleProtocolMappers({ realm, id }, [
        {
          name: 'hard',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-hardcoded-claim-mapper',
          config: { 'claim.name': 'tier', 'claim.value': 'gold' },
        },
        {
          name: 'groups',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-group-membership-mapper',
          config: { 'claim.name': 'groups', 'full.path': 'false' },
        },
      ]);
      expect((await api.listProtocolMappers({ realm, id })).map((m) => m.name)).toEqual([
        'aud-mapper',
        'hard',
        'groups',
      ]);
      expect(
        (await api.findProtocolMappersByProtocol({ realm, id, protocol: 'openid-connect' })).length,
      ).toBe(3);
      const mapperId = created.id!;
      const find =
        owner === 'client' ? kc.clients.findProtocolMapperById : kc.clientScopes.findProtocolMapper;
      expect(await find({ realm, id, mapperId })).toEqual({ ...audience, id: mapperId });
      await api.updateProtocolMapper(
        { realm, id, mapperId },
        {
          ...audience,
          id: mapperId,
          config: {
            'included.custom.audience': 'https://api.example',
            'access.token.claim': 'true',
          },
        },
      );
      expect(await find({ realm, id, mapperId })).toMatchObject({
        config: { 'included.custom.audience': 'https://api.example', 'access.token.claim': 'true' },
      });
      await api.delProtocolMapper({ realm, id, mapperId });
      expect((await api.listProtocolMappers({ realm, id })).map((m) => m.name)).toEqual([
        'hard',
        'groups',
      ]);
      const base = owner === 'client' ? `/csr/clients/${id}` : `/csr/client-scopes/${id}`;
      expect(
        await adminCall(
          server.baseUrl,
          (await kc.getAccessToken())!,
          'GET',
          `${base}/protocol-mappers/models/${mapperId}`,
        ),
      ).toMatchObject({ status: 404, body: { error: 'Model not found' } });
      expect(await failure(api.delProtocolMapper({ realm, id, mapperId }))).toEqual({
        status: 404,
        body: { error: 'Model not found' },
      });
    });
  }

  it("service-account-user: the robot's user, 400 for a client without service accounts", async () => {
    expect(await kc.clients.getServiceAccountUser({ realm, id: ids.robot })).toMatchObject({
      username: 'service-account-robot',
      serviceAccountClientId: 'robot',
      enabled: true,
    });
    expect(await failure(kc.clients.getServiceAccountUser({ realm, id: ids.app }))).toEqual({
      status: 400,
      body: { errorMessage: "Service account not enabled for the client 'app'" },
    });
  });

  it('deleting a scope takes it off every list; deleting the last scope is refused', async () => {
    await kc.clients.addOptionalClientScope({ realm, id: ids.app, clientScopeId: ids.audience });
    await kc.clientScopes.addDefaultOptionalClientScope({ realm, id: ids.audience });
    await kc.clientScopes.del({ realm, id: ids.audience });
    expect(names(await kc.clientScopes.find({ realm }))).toEqual(['profile', 'email']);
    expect(names(await kc.clients.listOptionalClientScopes({ realm, id: ids.app }))).toEqual([
      'email',
    ]);
    expect(names(await kc.clientScopes.listDefaultOptionalClientScopes())).toEqual(['email']);
    expect(await failure(kc.clientScopes.del({ realm, id: ids.audience }))).toEqual({
      status: 404,
      body: { error: 'Could not find client scope' },
    });
    await kc.clientScopes.del({ realm, id: ids.email });
    expect(await failure(kc.clientScopes.del({ realm, id: ids.profile }))).toEqual({
      status: 403,
      body: { errorMessage: 'You are not allowed to delete all the client scopes.' },
    });
  });
});

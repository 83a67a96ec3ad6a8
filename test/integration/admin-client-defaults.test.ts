/**
 * Clients created through the admin API with @keycloak/keycloak-admin-client get Keycloak's
 * defaults, and their redirect URIs are checked as at import.
 * Defaults: JpaClientProvider.addClient (enabled, standardFlowEnabled true; other flags false),
 * RepresentationToModel.createClient (protocol openid-connect when none,
 * clientAuthenticatorType KeycloakModelUtils.getDefaultClientAuthenticatorType() = "client-secret",
 * nodeReRegistrationTimeout -1, KeycloakModelUtils.generateSecret when the body has no secret).
 * URI checks: ClientsResource.createClient / ClientResource.update run ValidationUtil.validateClient
 * (DefaultClientValidationProvider.checkUri messages) and fail with
 * ErrorResponseException(Errors.INVALID_INPUT, message, 400) → `{"error":"invalid_input","error_description":…}`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { failure, masterAdmin } from '../helpers/admin.ts';

const stores = await testStores();

describe.each(stores)('admin API client defaults and URI checks on $name', (store) => {
  let server: TestServer;
  let kc: KcAdminClient;
  const realm = 'cd';

  beforeAll(async () => {
    server = await startStoreServer(store, {
      realms: [{ realm }],
    });
    kc = await masterAdmin(server.baseUrl);
  }, 120_000);
  afterAll(() => server?.close());

  it("a client created with only a clientId has Keycloak's defaults", async () => {
    const { id } = await kc.clients.create({ realm, clientId: 'plain' });
    const client = await kc.clients.findOne({ realm, id });
    expect(client).toMatchObject({
      clientId: 'plain',
      enabled: true,
      protocol: 'openid-connect',
      clientAuthenticatorType: 'client-secret',
      standardFlowEnabled: true,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      publicClient: false,
      bearerOnly: false,
      consentRequired: false,
      fullScopeAllowed: true,
      nodeReRegistrationTimeout: -1,
    });
    expect(typeof client!.secret).toBe('string');
    expect((await kc.clients.getClientSecret({ realm, id })).value).toBe(client!.secret);
  });

  it('a public client gets no secret; what the body sets is kept', async () => {
    const { id } = await kc.clients.create({
      realm,
      clientId: 'spa',
      publicClient: true,
      directAccessGrantsEnabled: true,
      clientAuthenticatorType: 'client-jwt',
    });
    const client = await kc.clients.findOne({ realm, id });
    expect(client).toMatchObject({
      publicClient: true,
      directAccessGrantsEnabled: true,
      clientAuthenticatorType: 'client-jwt',
    });
    expect(client!.secret).toBeUndefined();
  });

  it("refuses a redirect URI that can never match at create, with Keycloak's invalid_input body", async () => {
    expect(
      await failure(
        kc.clients.create({ realm, clientId: 'frag', redirectUris: ['https://app.example/cb#x'] }),
      ),
    ).toEqual({
      status: 400,
      body: {
        error: 'invalid_input',
        error_description:
          'Redirect URIs must not contain an URI fragment: "https://app.example/cb#x"',
      },
    });
    const js = await failure(
      kc.clients.create({ realm, clientId: 'js', redirectUris: ['javascript:alert(1)'] }),
    );
    expect(js).toMatchObject({ status: 400, body: { error: 'invalid_input' } });
    expect((js.body as { error_description: string }).error_description).toMatch(
      /^A redirect URI uses an illegal scheme/,
    );
    expect(await kc.clients.find({ realm, clientId: 'frag' })).toEqual([]);
    expect(await kc.clients.find({ realm, clientId: 'js' })).toEqual([]);
  });

  it('accepts what Keycloak accepts: native-app schemes, "*", relative patterns, "+" post-logout', async () => {
    const { id } = await kc.clients.create({
      realm,
      clientId: 'native',
      publicClient: true,
      redirectUris: ['com.example.app://cb', '*', '/cb/*', 'http://localhost:4000*'],
      attributes: { 'post.logout.redirect.uris': '+' },
    });
    expect((await kc.clients.findOne({ realm, id }))!.redirectUris).toEqual([
      'com.example.app://cb',
      '*',
      '/cb/*',
      'http://localhost:4000*',
    ]);
  });

  it('refuses a bad URI at update and leaves the stored client as it was', async () => {
    const { id } = await kc.clients.create({
      realm,
      clientId: 'upd',
      redirectUris: ['https://upd.example/cb'],
    });
    expect(
      await failure(
        kc.clients.update({ realm, id }, { redirectUris: ['https://upd.example/cb', 'not a uri'] }),
      ),
    ).toMatchObject({ status: 400, body: { error: 'invalid_input' } });
    const bad = await failure(
      kc.clients.update(
        { realm, id },
        { attributes: { 'post.logout.redirect.uris': 'https://upd.example/bye#frag' } },
      ),
    );
    expect(bad).toMatchObject({
      status: 400,
      body: {
        error: 'invalid_input',
        error_description: expect.stringMatching(/^Redirect URIs must not contain an URI fragment/),
      },
    });
    const stored = await kc.clients.findOne({ realm, id });
    expect(stored!.redirectUris).toEqual(['https://upd.example/cb']);
    expect(stored!.attributes?.['post.logout.redirect.uris']).toBeUndefined();
  });
});

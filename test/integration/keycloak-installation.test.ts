/**
 * The client installation endpoint (issue 18, item 12): `keycloak.json` as Keycloak 26 writes it
 * (KeycloakOIDCClientInstallation#generateInstallation; ClientManager.InstallationAdapterConfig's
 * field order; the authenticators' getAdapterConfiguration for `credentials`), and keycloak-connect
 * 26 configured ONLY from that file protecting an Express route with `verify-token-audience` on.
 * The same server runs with OUTBOUND_ALLOW_PRIVATE_NETWORKS=false: a realm admin's `jwks.url`
 * pointing at a private address is not fetched (oidc-provider's SSRF guard; issue 18, item 13).
 * Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Keycloak from 'keycloak-connect';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair } from 'jose';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { adminCall, passwordToken } from '../helpers/admin.ts';
import { asJson } from '../helpers/json.ts';
import {
  BUILTIN_DEFAULT_SCOPES,
  BUILTIN_OPTIONAL_SCOPES,
  builtinClientScopes,
} from '../../src/mappers/builtin-client-scopes.ts';

const shop = (jwksUrl: string) => ({
  realm: 'shop',
  defaultSignatureAlgorithm: 'RS256',
  roles: { client: { api: [{ name: 'reader' }] } },
  clients: [
    { clientId: 'api', secret: 'api-secret', standardFlowEnabled: false },
    {
      clientId: 'web',
      publicClient: true,
      directAccessGrantsEnabled: true,
      standardFlowEnabled: false,
    },
    { clientId: 'legacy', bearerOnly: true },
    {
      clientId: 'jwt-app',
      clientAuthenticatorType: 'client-jwt',
      standardFlowEnabled: false,
      attributes: { 'token.endpoint.auth.signing.alg': 'RS256' },
    },
    {
      clientId: 'hmac-app',
      clientAuthenticatorType: 'client-secret-jwt',
      secret: 'hmac-app-secret-of-enough-length-123456',
      standardFlowEnabled: false,
    },
    {
      clientId: 'authz',
      secret: 'authz-secret',
      authorizationServicesEnabled: true,
      standardFlowEnabled: false,
    },
    { clientId: 'aud-target', secret: 'aud-target-secret', standardFlowEnabled: false },
    {
      clientId: 'private-jwks',
      clientAuthenticatorType: 'client-jwt',
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      attributes: { 'use.jwks.url': 'true', 'jwks.url': jwksUrl },
    },
  ],
  // A realm file that lists clientScopes gets exactly those (Keycloak's RepresentationToModel.importRealm
  // creates the default scopes only when the file has none; src/mappers/client-scopes.ts), so Keycloak 26's built-ins are listed
  // too, as a real export has them; plus a client scope with an audience mapper naming
  // `aud-target` (KeycloakOIDCClientInstallation.showVerifyTokenAudience).
  defaultDefaultClientScopes: [...BUILTIN_DEFAULT_SCOPES],
  defaultOptionalClientScopes: [...BUILTIN_OPTIONAL_SCOPES],
  clientScopes: [
    ...builtinClientScopes(),
    {
      name: 'aud-scope',
      protocol: 'openid-connect',
      protocolMappers: [
        {
          name: 'aud',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-audience-mapper',
          config: { 'included.client.audience': 'aud-target', 'access.token.claim': 'true' },
        },
      ],
    },
  ],
  users: [
    { username: 'alice', credentials: [{ value: 'alice-pw' }], clientRoles: { api: ['reader'] } },
    { username: 'bob', credentials: [{ value: 'bob-pw' }] },
  ],
});

const stores = await testStores();

describe.each(stores)('client installation (keycloak.json) on $name', (store) => {
  let server: TestServer;
  let admin = '';
  let jwksServer: http.Server;
  let jwksRequests = 0;
  let jwtKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    jwtKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwksServer = http.createServer((_req, res) => {
      jwksRequests += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    server = await startStoreServer(store, {
      realms: [shop(`http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`)],
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false' },
    });
    admin = await passwordToken(server.baseUrl, 'master', 'admin', 'admin-test-password');
  }, 120_000);
  afterAll(async () => {
    jwksServer?.close();
    await server?.close();
  });

  const installation = async (clientId: string, provider = 'keycloak-oidc-keycloak-json') => {
    const [client] = (
      await adminCall(server.baseUrl, admin, 'GET', `/shop/clients?clientId=${clientId}`)
    ).body as { id: string }[];
    return fetch(
      `${server.baseUrl}/admin/realms/shop/clients/${client.id}/installation/providers/${provider}`,
      { headers: { authorization: `Bearer ${admin}` } },
    );
  };
  const json = async (clientId: string) => {
    const res = await installation(clientId);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return JSON.parse(await res.text()) as Record<string, unknown>;
  };

  it("writes Keycloak's fields, in Keycloak's order, for each kind of client", async () => {
    const base = `${server.baseUrl}/`;
    const api = await json('api');
    expect(api).toEqual({
      realm: 'shop',
      'auth-server-url': base,
      'ssl-required': 'external',
      resource: 'api',
      'verify-token-audience': true,
      credentials: { secret: 'api-secret' },
      'use-resource-role-mappings': true,
      'confidential-port': 0,
    });
    expect(Object.keys(api)).toEqual([
      'realm',
      'auth-server-url',
      'ssl-required',
      'resource',
      'verify-token-audience',
      'credentials',
      'use-resource-role-mappings',
      'confidential-port',
    ]);
    expect(await json('web')).toEqual({
      realm: 'shop',
      'auth-server-url': base,
      'ssl-required': 'external',
      resource: 'web',
      'public-client': true,
      'confidential-port': 0,
    });
    expect(Object.keys(await json('legacy'))).toEqual([
      'realm',
      'bearer-only',
      'auth-server-url',
      'ssl-required',
      'resource',
      'confidential-port',
    ]);
    expect((await json('jwt-app')).credentials).toEqual({
      jwt: {
        'client-key-password': 'REPLACE WITH THE KEY PASSWORD IN KEYSTORE',
        'client-keystore-file': 'REPLACE WITH THE LOCATION OF YOUR KEYSTORE FILE',
        'client-keystore-password': 'REPLACE WITH THE KEYSTORE PASSWORD',
        'client-key-alias': 'jwt-app',
        'token-timeout': 10,
        'client-keystore-type': 'jks',
        algorithm: 'RS256',
      },
    });
    expect((await json('hmac-app')).credentials).toEqual({
      'secret-jwt': { secret: 'hmac-app-secret-of-enough-length-123456' },
    });
    expect(await json('authz')).toMatchObject({
      credentials: { secret: 'authz-secret' },
      'policy-enforcer': {},
    });
    expect(await json('aud-target')).toMatchObject({
      'verify-token-audience': true,
      credentials: { secret: 'aud-target-secret' },
    });
    expect(await json('aud-target')).not.toHaveProperty('use-resource-role-mappings');
  });

  it('an unknown provider or client is 404; a realm admin of another realm is refused', async () => {
    expect((await installation('api', 'keycloak-oidc-jboss-subsystem-xx')).status).toBe(404);
    const missing = await fetch(
      `${server.baseUrl}/admin/realms/shop/clients/no-such-id/installation/providers/keycloak-oidc-keycloak-json`,
      { headers: { authorization: `Bearer ${admin}` } },
    );
    expect(missing.status).toBe(404);
    const anonymous = await fetch(
      `${server.baseUrl}/admin/realms/shop/clients/x/installation/providers/keycloak-oidc-keycloak-json`,
    );
    expect(anonymous.status).toBe(401);
  });

  it('keycloak-connect configured only from keycloak.json protects a route and validates tokens (verify-token-audience on)', async () => {
    const config = await json('api');
    const keycloak = new Keycloak({}, config as never);
    const app = express();
    app.use(keycloak.middleware());
    app.get('/orders', keycloak.protect('reader'), (_req, res) => {
      res.json({ ok: true });
    });
    const api = app.listen(0, '127.0.0.1');
    await new Promise((r) => api.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/orders`;
      const token = async (username: string, password: string) =>
        String(
          (
            (await (
              await fetch(`${server.baseUrl}/realms/shop/protocol/openid-connect/token`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: new URLSearchParams({
                  grant_type: 'password',
                  client_id: 'web',
                  username,
                  password,
                }),
              })
            )
              .json()
              .then(asJson)) as { access_token: string }
          ).access_token,
        );
      const alice = await token('alice', 'alice-pw');
      const ok = await fetch(url, { headers: { authorization: `Bearer ${alice}` } });
      expect([ok.status, await ok.json()]).toEqual([200, { ok: true }]);
      // bob's token has no `api` audience (no role of it): refused by the audience check.
      const bob = await token('bob', 'bob-pw');
      await expect(
        keycloak.grantManager.createGrant({ access_token: bob } as never),
      ).rejects.toThrow(/wrong audience/);
      // Not bearer-only, so keycloak-connect sends a refused or missing token to this realm's login.
      expect(
        (await fetch(url, { headers: { authorization: `Bearer ${bob}` }, redirect: 'manual' }))
          .status,
      ).toBe(302);
      const login = await fetch(url, { redirect: 'manual' });
      expect(login.status).toBe(302);
      expect(login.headers.get('location')).toMatch(
        new RegExp(`^${server.baseUrl}/realms/shop/protocol/openid-connect/auth\\?client_id=api&`),
      );
      // validateAccessToken introspects with the file's credentials; an empty token is inactive.
      expect(await keycloak.grantManager.validateAccessToken(alice)).toBe(alice);
      expect(await keycloak.grantManager.validateAccessToken('')).toBe(false);
    } finally {
      api.close();
    }
  });

  it('a jwks.url on a private address is not fetched while OUTBOUND_ALLOW_PRIVATE_NETWORKS is off', async () => {
    const before = jwksRequests;
    const config = await oidc.discovery(
      new URL(`${server.baseUrl}/realms/shop`),
      'private-jwks',
      {},
      oidc.PrivateKeyJwt({ key: jwtKey, kid: 'k1' }),
      { execute: [oidc.allowInsecureRequests] },
    );
    await expect(oidc.clientCredentialsGrant(config)).rejects.toMatchObject({
      error: 'invalid_client',
    });
    expect(jwksRequests).toBe(before);
  });
});

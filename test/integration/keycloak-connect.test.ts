/**
 * keycloak-connect 26 (Keycloak's Node adapter) against the running server, for a client set to
 * RS256 (keycloak-connect verifies RS256 only): protect() on an Express route with bearer tokens,
 * grantManager.obtainDirectly, obtainFromClientCredentials, validateAccessToken, userInfo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import Keycloak from 'keycloak-connect';
import { decodeProtectedHeader } from 'jose';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let api: Server;
let apiUrl = '';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let keycloak: any;

beforeAll(async () => {
  const realm = {
    realm: 'node',
    clients: [
      {
        clientId: 'node-app',
        secret: 'node-secret',
        directAccessGrantsEnabled: true,
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
        attributes: {
          'access.token.signed.response.alg': 'RS256',
          'id.token.signed.response.alg': 'RS256',
        },
      },
    ],
    users: [{ username: 'alice', email: 'alice@example.com', credentials: [{ value: 'alice' }] }],
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qsign-kc-connect-')), 'node.json');
  writeFileSync(file, JSON.stringify(realm));
  server = await startServer({ realmFiles: [file] });
  keycloak = new Keycloak({}, {
    realm: 'node',
    'auth-server-url': `${server.baseUrl}/`,
    'ssl-required': 'none',
    resource: 'node-app',
    credentials: { secret: 'node-secret' },
    'bearer-only': true,
    'confidential-port': 0,
  } as never);
  const app = express();
  app.use(keycloak.middleware());
  app.get('/protected', keycloak.protect(), (req, res) => {
    res.json({
      user: (
        req as unknown as {
          kauth: { grant: { access_token: { content: { preferred_username: string } } } };
        }
      ).kauth.grant.access_token.content.preferred_username,
    });
  });
  api = app.listen(0, '127.0.0.1');
  await new Promise((r) => api.once('listening', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  api?.close();
  await server?.close();
});

describe('keycloak-connect with an RS256 client', () => {
  it('obtainDirectly gets validated RS256 tokens; userInfo and validateAccessToken work', async () => {
    const grant = await keycloak.grantManager.obtainDirectly('alice', 'alice', undefined, 'openid');
    expect(decodeProtectedHeader(grant.access_token.token).alg).toBe('RS256');
    expect(grant.access_token.content).toMatchObject({
      preferred_username: 'alice',
      azp: 'node-app',
      typ: 'Bearer',
    });
    expect(await keycloak.grantManager.validateAccessToken(grant.access_token)).toBe(
      grant.access_token,
    );
    const info = await keycloak.grantManager.userInfo(grant.access_token);
    expect(info).toMatchObject({ preferred_username: 'alice', email: 'alice@example.com' });
  });

  it('obtainFromClientCredentials gets a service-account token', async () => {
    const grant = await keycloak.grantManager.obtainFromClientCredentials();
    expect(grant.access_token.content).toMatchObject({
      preferred_username: 'service-account-node-app',
      client_id: 'node-app',
    });
  });

  it('protect() admits a valid bearer token and refuses a missing or forged one', async () => {
    const grant = await keycloak.grantManager.obtainDirectly('alice', 'alice');
    const ok = await fetch(`${apiUrl}/protected`, {
      headers: { authorization: `Bearer ${grant.access_token.token}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ user: 'alice' });
    expect((await fetch(`${apiUrl}/protected`)).status).toBe(403);
    const [h, p, s] = grant.access_token.token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...grant.access_token.content, preferred_username: 'root' })).toString('base64url')}.${s}`;
    expect(
      (await fetch(`${apiUrl}/protected`, { headers: { authorization: `Bearer ${forged}` } }))
        .status,
    ).toBe(403);
    expect(p.length).toBeGreaterThan(0);
  });

  it('validateAccessToken refuses a revoked token (introspection says inactive)', async () => {
    const grant = await keycloak.grantManager.obtainDirectly('alice', 'alice');
    await fetch(`${server.baseUrl}/realms/node/protocol/openid-connect/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('node-app:node-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ token: grant.access_token.token }),
    });
    expect(await keycloak.grantManager.validateAccessToken(grant.access_token)).toBe(false);
  });
});

/**
 * Every real Keycloak realm export in ../shared/fixtures/keycloak-realms imports, and its users
 * and clients get tokens as they would from Keycloak (quickstarts of keycloak/keycloak-quickstarts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { asJson } from '../helpers/json.ts';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { FIXTURES, startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const fixture = (name: string) => path.join(FIXTURES, name);
async function token(realm: string, form: Record<string, string>, auth?: [string, string]) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth) headers.authorization = `Basic ${Buffer.from(auth.join(':')).toString('base64')}`;
  const res = await fetch(`${server!.baseUrl}/realms/${realm}/protocol/openid-connect/token`, { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: res.status, body: await res.json().then(asJson) };
}
async function verified(realm: string, jwt: string) {
  const issuer = `${server!.baseUrl}/realms/${realm}`;
  return (await jwtVerify(jwt, createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`)), { issuer, algorithms: ['ML-DSA-65'] })).payload;
}

describe('Keycloak quickstart realm exports', () => {
  it('the fixture folder holds the four exports this suite covers', () => {
    expect(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()).toEqual([
      'quickstarts-device.json', 'quickstarts-js-spa.json', 'quickstarts-nodejs-resource-server.json', 'quickstarts-spring-rest-authz-resource-server.json',
    ]);
  });

  it('js-spa: public client with direct access grants; realm and client roles in the token', async () => {
    server = await startServer({ realmFiles: [fixture('quickstarts-js-spa.json')] });
    const alice = await token('quickstart', { grant_type: 'password', client_id: 'spa', username: 'alice', password: 'alice', scope: 'openid' });
    expect(alice.status).toBe(200);
    const claims = await verified('quickstart', alice.body.access_token);
    expect((claims.realm_access as { roles: string[] }).roles).toEqual(expect.arrayContaining(['user', 'offline_access', 'default-roles-quickstart']));
    expect(claims.resource_access).toMatchObject({ account: { roles: expect.arrayContaining(['manage-account', 'manage-account-links', 'view-profile']) } });
    const admin = await token('quickstart', { grant_type: 'password', client_id: 'spa', username: 'admin', password: 'admin' });
    const adminClaims = await verified('quickstart', admin.body.access_token);
    expect((adminClaims.resource_access as Record<string, { roles: string[] }>)['realm-management'].roles).toEqual(expect.arrayContaining(['realm-admin', 'manage-users', 'view-realm']));
    // The wildcard redirect URI admits any path under http://localhost:8080/.
    const auth = await fetch(`${server.baseUrl}/realms/quickstart/protocol/openid-connect/auth?client_id=spa&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://localhost:8080/app/callback')}&code_challenge=${'A'.repeat(43)}&code_challenge_method=S256`, { redirect: 'manual' });
    expect(auth.status).toBe(303);
    expect(auth.headers.get('location')).toContain('/realms/quickstart/login-actions/');
  });

  it('nodejs-resource-server: CLI client logs in; the bearer-only client cannot get tokens', async () => {
    server = await startServer({ realmFiles: [fixture('quickstarts-nodejs-resource-server.json')] });
    const alice = await token('quickstart', { grant_type: 'password', client_id: 'test-cli', username: 'alice', password: 'alice' });
    expect(alice.status).toBe(200);
    expect(await verified('quickstart', alice.body.access_token)).toMatchObject({ azp: 'test-cli', preferred_username: 'alice' });
    const bearerOnly = await token('quickstart', { grant_type: 'password', client_id: 'resource-server', username: 'alice', password: 'alice' });
    expect(bearerOnly.status).toBeGreaterThanOrEqual(400);
    expect(bearerOnly.body.error).toBeDefined();
  });

  it('device: the realm and its user import; the device client has no password grant', async () => {
    server = await startServer({ realmFiles: [fixture('quickstarts-device.json')] });
    const res = await token('device-flow-quickstart', { grant_type: 'password', client_id: 'device-client', username: 'alice', password: 'password' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'unauthorized_client', error_description: 'Client not allowed for direct access grants' });
    const info = await (await fetch(`${server.baseUrl}/realms/device-flow-quickstart`)).json().then(asJson);
    expect(info.realm).toBe('device-flow-quickstart');
  });

  it('spring authz: confidential client with secret, password grant, and its service account', async () => {
    server = await startServer({ realmFiles: [fixture('quickstarts-spring-rest-authz-resource-server.json')] });
    const jdoe = await token('quickstart', { grant_type: 'password', username: 'jdoe', password: 'jdoe' }, ['authz-servlet', 'secret']);
    expect(jdoe.status).toBe(200);
    expect((await verified('quickstart', jdoe.body.access_token)).realm_access).toMatchObject({ roles: expect.arrayContaining(['user', 'user_premium']) });
    const sa = await token('quickstart', { grant_type: 'client_credentials' }, ['authz-servlet', 'secret']);
    expect(sa.status).toBe(200);
    const claims = await verified('quickstart', sa.body.access_token);
    expect(claims).toMatchObject({ preferred_username: 'service-account-authz-servlet', resource_access: expect.objectContaining({ 'authz-servlet': { roles: ['uma_protection'] } }) });
    const wrong = await token('quickstart', { grant_type: 'client_credentials' }, ['authz-servlet', 'not-the-secret']);
    expect(wrong.status).toBe(401);
  });
});

/**
 * Every real Keycloak realm export in ../shared/fixtures/keycloak-realms imports, and its users
 * and clients get tokens as they would from Keycloak (quickstarts of keycloak/keycloak-quickstarts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { asJson } from '../helpers/json.ts';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { FIXTURES, startServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';

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

  it('device: the device client gets tokens through the device authorization grant (RFC 8628, openid-client), not the password grant', async () => {
    server = await startServer({ realmFiles: [fixture('quickstarts-device.json')] });
    const res = await token('device-flow-quickstart', { grant_type: 'password', client_id: 'device-client', username: 'alice', password: 'password' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'unauthorized_client', error_description: 'Client not allowed for direct access grants' });

    const issuer = `${server.baseUrl}/realms/device-flow-quickstart`;
    const config = await oidc.discovery(new URL(issuer), 'device-client', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${issuer}/protocol/openid-connect/auth/device`);
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    expect(device).toMatchObject({ verification_uri: `${issuer}/device`, expires_in: 600, interval: 5 });
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const early = await token('device-flow-quickstart', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'device-client', device_code: device.device_code });
    expect(early).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });

    // The user, in a browser: the verification page, a wrong code, the right one, confirm, log in.
    const browser = new TestBrowser();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)![1];
    const submit = async (fields: Record<string, string>) => {
      const page = await (await browser.fetch(device.verification_uri)).text();
      expect(page).toContain('Enter the code provided by your device and click Submit');
      return browser.fetch(device.verification_uri, { method: 'POST', headers: form, body: new URLSearchParams({ xsrf: xsrfOf(page), ...fields }) });
    };
    expect(await (await submit({ user_code: 'BBBB-BBBB' })).text()).toContain('Invalid code, please try again.');
    const sessionless = await fetch(device.verification_uri, { method: 'POST', headers: form, body: new URLSearchParams({ user_code: device.user_code }), redirect: 'manual' });
    expect([sessionless.status, sessionless.headers.get('location')]).toEqual([303, device.verification_uri]);
    const confirmPage = await (await submit({ user_code: device.user_code.toLowerCase().replace('-', '') })).text();
    expect(confirmPage).toContain(device.user_code);
    const confirmed = await browser.fetch(device.verification_uri, { method: 'POST', headers: form, body: new URLSearchParams({ xsrf: xsrfOf(confirmPage), user_code: device.user_code, confirm: 'yes' }) });
    expect(confirmed.status).toBe(303);
    const login = await signIn(browser, new URL(confirmed.headers.get('location')!, device.verification_uri).toString(), server.baseUrl, 'alice', 'password');
    expect(login.page).toContain('Device Login Successful');

    // The device, polling at the stated interval.
    const tokens = await oidc.pollDeviceAuthorizationGrant(config, device);
    expect(await verified('device-flow-quickstart', tokens.access_token)).toMatchObject({ azp: 'device-client', preferred_username: 'alice', typ: 'Bearer' });
    expect(tokens.claims()).toMatchObject({ typ: 'ID', azp: 'device-client', email: 'alice@example.com' });
    expect(tokens.refresh_token).toBeDefined();
    // A device code works once.
    const again = await token('device-flow-quickstart', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'device-client', device_code: device.device_code });
    expect(again.status).toBe(400);
  }, 30_000);

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

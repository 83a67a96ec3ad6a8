/**
 * Brute-force detection with Keycloak's realm settings: after `failureFactor` wrong passwords the
 * user is locked out (the same generic answer, even with the right password, on the login page
 * and the password grant), released after `waitIncrementSeconds`; admins see and clear the
 * lockout through @keycloak/keycloak-admin-client's attackDetection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asJson } from '../helpers/json.ts';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';

let server: TestServer;
beforeAll(async () => {
  const realm = {
    realm: 'guarded',
    bruteForceProtected: true,
    failureFactor: 3,
    waitIncrementSeconds: 2,
    maxFailureWaitSeconds: 2,
    clients: [
      {
        clientId: 'cli',
        publicClient: true,
        standardFlowEnabled: false,
        directAccessGrantsEnabled: true,
      },
      { clientId: 'web', publicClient: true, redirectUris: ['http://localhost:4000/*'] },
    ],
    users: [{ username: 'mallory-target', credentials: [{ value: 'right-password' }] }],
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qsign-bf-')), 'guarded.json');
  writeFileSync(file, JSON.stringify(realm));
  server = await startServer({ realmFiles: [path.join(REPO, 'realms', 'master.json'), file] });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const grant = async (password: string) => {
  const res = await fetch(`${server.baseUrl}/realms/guarded/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'cli',
      username: 'mallory-target',
      password,
    }),
  });
  return { status: res.status, body: await res.json().then(asJson) };
};
const INVALID = { error: 'invalid_grant', error_description: 'Invalid user credentials' };

describe('brute-force detection', () => {
  it('locks out after failureFactor failures with the same generic answer, then releases after the wait', async () => {
    // A wrong password is 401 (Keycloak's ValidatePassword); a locked-out user gets the same 401
    // (Keycloak's ValidateUsername answers 400: stricter here, docs/protocol-security.md).
    for (let i = 0; i < 3; i += 1)
      expect(await grant('wrong')).toEqual({ status: 401, body: INVALID });
    expect(await grant('right-password')).toEqual({ status: 401, body: INVALID });
    const page = await signIn(
      new TestBrowser(),
      `${server.baseUrl}/realms/guarded/protocol/openid-connect/auth?client_id=web&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://localhost:4000/cb')}`,
      server.baseUrl,
      'mallory-target',
      'right-password',
    );
    expect(page.page).toContain('Invalid username or password.');
    await new Promise((r) => setTimeout(r, 2_200));
    expect((await grant('right-password')).status).toBe(200);
  });

  it('admins see and clear a lockout through the attack-detection API', async () => {
    for (let i = 0; i < 3; i += 1) await grant('wrong');
    const kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'guarded' });
    const [user] = await kc.users.find({ username: 'mallory-target', exact: true });
    const status = await kc.attackDetection.findOne({ id: user.id! });
    expect(status).toMatchObject({
      numFailures: 3,
      disabled: true,
      lastFailure: expect.any(Number),
    });
    // Attempts while locked out count for nothing.
    await grant('wrong');
    expect(await kc.attackDetection.findOne({ id: user.id! })).toMatchObject({
      numFailures: 3,
      disabled: true,
    });
    await kc.attackDetection.del({ id: user.id! });
    expect(await kc.attackDetection.findOne({ id: user.id! })).toMatchObject({
      numFailures: 0,
      disabled: false,
    });
    expect((await grant('right-password')).status).toBe(200);
  });
});

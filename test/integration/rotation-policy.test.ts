/**
 * Rotation policies and the keys they may touch, against the real server: a policy never replaces
 * a key held in Vault transit (the transit test server, test/vault) or in an HSM (real SoftHSM2)
 * with a key generated into the database, neither when it is created (400 from the admin API) nor
 * when the back-end key appears later (the scheduler and `keys rotate` refuse, change nothing, and
 * the scheduler warns once per pass without secrets). And the default `retireAfter` of an HS512
 * policy keeps the replaced key verifying for as long as the offline tokens it signed live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import { asJson } from '../helpers/json.ts';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { REQUIRE_ALL, initSoftHsmTokens } from '../helpers/components.ts';
import { VaultTransitTestServer } from '../vault/transit-server.ts';
import { defaultRetireAfter, rotateKey, runRotation } from '../../src/keys/rotation.ts';
import { listKeys } from '../../src/keys/repository.ts';
import { findRealm } from '../../src/store/realms.ts';
import { createTokenKey } from '../../src/signer/pkcs11/keygen.ts';
import type { Logger } from '../../src/log.ts';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const hsmAvailable =
  existsSync(MODULE) &&
  (() => {
    try {
      execFileSync('softhsm2-util', ['--version']);
      return true;
    } catch {
      return false;
    }
  })();
if (!hsmAvailable) {
  if (REQUIRE_ALL)
    throw new Error(
      `SoftHSM2 is required (REQUIRE_ALL=1): install the Debian package softhsm2 (${MODULE})`,
    );
  console.warn(
    'skipping the PKCS#11 rotation-policy tests: SoftHSM2 is not installed (apt-get install softhsm2)',
  );
}

const ADMIN_PASSWORD = 'admin-test-password';
const POLICY = 'qsign.keys.RotationPolicy';
const hsmDir = mkdtempSync(path.join(tmpdir(), 'qsign-rotpol-hsm-'));
const HSM_KEY_ID = 'a1b2c3d4';
let vault: VaultTransitTestServer;
let server: TestServer;
let kc: KcAdminClient;

beforeAll(async () => {
  vault = await new VaultTransitTestServer().start();
  vault.createKey('pq-key', 'ml-dsa');
  process.env.QSIGN_TEST_ROTPOL_VAULT_TOKEN = vault.rootToken;
  if (hsmAvailable) {
    process.env.QSIGN_TEST_ROTPOL_HSM_PIN = '4321';
    initSoftHsmTokens(hsmDir, ['qsign-rotpol'], '4321', '8765');
  }
  // The operator's declaration (docs/backends.md): the components below name these back ends.
  const KEY_BACKENDS = JSON.stringify({
    'rotpol-vault': {
      type: 'vault-transit',
      address: vault.url,
      auth: { method: 'token', tokenEnv: 'QSIGN_TEST_ROTPOL_VAULT_TOKEN' },
      realms: ['*'],
    },
    'rotpol-hsm': {
      type: 'pkcs11',
      module: MODULE,
      tokenLabel: 'qsign-rotpol',
      pinEnv: 'QSIGN_TEST_ROTPOL_HSM_PIN',
      realms: ['*'],
    },
  });
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    env: { KEY_BACKENDS },
  });
  if (hsmAvailable)
    await createTokenKey(
      server.backends.pkcs11('rotpol-hsm', 'master'),
      'RS256',
      HSM_KEY_ID,
      'qsign-rotpol-RS256',
    );
  kc = new KcAdminClient({ baseUrl: server.baseUrl, realmName: 'master' });
  await kc.auth({
    username: 'admin',
    password: ADMIN_PASSWORD,
    grantType: 'password',
    clientId: 'admin-cli',
  });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await vault?.stop();
  rmSync(hsmDir, { recursive: true, force: true });
});

const issuer = (realm: string) => `${server.baseUrl}/realms/${realm}`;
async function admin(method: string, realm: string, subPath: string, body?: unknown) {
  await kc.auth({
    username: 'admin',
    password: ADMIN_PASSWORD,
    grantType: 'password',
    clientId: 'admin-cli',
  });
  const res = await fetch(`${server.baseUrl}/admin/realms/${realm}${subPath}`, {
    method,
    headers: { authorization: `Bearer ${kc.accessToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? asJson(JSON.parse(text)) : undefined,
    location: res.headers.get('location'),
  };
}
async function token(realm: string, form: Record<string, string>, basic?: [string, string]) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(basic.join(':')).toString('base64')}`;
  const res = await fetch(`${issuer(realm)}/protocol/openid-connect/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: await res.json().then(asJson) };
}

/** A realm with the default keys (local ML-DSA-65, RS256, HS512) and a service client per alg. */
async function realmWithClients(realm: string, algs: string[] = []) {
  expect((await admin('POST', '', '', { realm, enabled: true })).status).toBe(201);
  for (const alg of algs) {
    expect(
      (
        await admin('POST', realm, '/clients', {
          clientId: `c-${alg}`,
          secret: 's',
          publicClient: false,
          serviceAccountsEnabled: true,
          standardFlowEnabled: false,
          attributes: { 'access.token.signed.response.alg': alg },
        })
      ).status,
    ).toBe(201);
  }
  const stored = (await findRealm(server.db, realm))!;
  return { realmId: stored.id, stored };
}
const vaultProvider = (realmId: string) => ({
  name: 'vault-pq',
  providerId: 'vault-transit',
  providerType: 'org.keycloak.keys.KeyProvider',
  parentId: realmId,
  config: {
    backend: ['rotpol-vault'],
    keyName: ['pq-key'],
    algorithm: ['ML-DSA-65'],
    priority: ['200'],
  },
});
const hsmProvider = (realmId: string) => ({
  name: 'hsm-rs256',
  providerId: 'pkcs11',
  providerType: 'org.keycloak.keys.KeyProvider',
  parentId: realmId,
  config: { backend: ['rotpol-hsm'], keyId: [HSM_KEY_ID], algorithm: ['RS256'], priority: ['300'] },
});
const policy = (realmId: string, alg: string, config: Record<string, string[]> = {}) => ({
  name: `rotate-${alg.toLowerCase()}`,
  providerId: 'scheduled-rotation',
  providerType: POLICY,
  parentId: realmId,
  config: { algorithm: [alg], rotationPeriod: ['100'], prePublication: ['20'], ...config },
});

/** The scheduler's warnings, captured. */
function capture() {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = {
    warn: (obj: Record<string, unknown>, msg: string) => {
      warnings.push({ obj, msg });
    },
  } as unknown as Pick<Logger, 'warn'>;
  return { warnings, log };
}
/** Runs one scheduler pass at `now`; returns this realm's actions and warnings. */
async function pass(realm: string, now: number) {
  const { warnings, log } = capture();
  const actions = (await runRotation(server.db, server.config.keyEncryptionKey, { now, log }))
    .filter((a) => a.realm === realm)
    .map((a) => a.message);
  server.registry.invalidate(realm);
  return { actions, warnings: warnings.filter((w) => w.obj.realm === realm) };
}
const keysOf = async (realmId: string, alg: string) =>
  (await listKeys(server.db, realmId))
    .filter((k) => k.alg === alg)
    .map((k) => ({ kid: k.kid, status: k.status, backend: k.backend, componentId: k.componentId }));

describe('rotation policies and back-end keys', () => {
  it('refuses a policy for an alg whose active key is in Vault: 400 naming the alg, the back end and how to rotate in Vault; other algs are accepted', async () => {
    const { realmId } = await realmWithClients('pol-vault');
    expect((await admin('POST', 'pol-vault', '/components', vaultProvider(realmId))).status).toBe(
      201,
    );
    const before = await listKeys(server.db, realmId);

    const refused = await admin('POST', 'pol-vault', '/components', policy(realmId, 'ML-DSA-65'));
    expect(refused.status).toBe(400);
    expect(refused.body.field).toBe('algorithm');
    expect(refused.body.errorMessage).toMatch(
      /^refused: the active ML-DSA-65 key pq-key-v1-\S+ is held in Vault transit \(key transit\/pq-key\) \(back end vault-transit\)/,
    );
    expect(refused.body.errorMessage).toContain('vault write -f transit/keys/pq-key/rotate');
    expect(refused.body.errorMessage).not.toContain(vault.rootToken);
    expect((await admin('GET', 'pol-vault', `/components?type=${POLICY}`)).body).toEqual([]);
    expect(await listKeys(server.db, realmId)).toEqual(before);

    // RS256 and HS512 are local here: their policies are fine; changing one to ML-DSA-65 is not.
    const created = await admin('POST', 'pol-vault', '/components', policy(realmId, 'RS256'));
    expect(created.status).toBe(201);
    const id = created.location!.split('/').pop()!;
    const update = await admin('PUT', 'pol-vault', `/components/${id}`, {
      ...policy(realmId, 'ML-DSA-65'),
      id,
    });
    expect(update.status).toBe(400);
    expect(update.body.errorMessage).toContain('vault write -f transit/keys/pq-key/rotate');
    expect((await admin('GET', 'pol-vault', `/components/${id}`)).body.config.algorithm).toEqual([
      'RS256',
    ]);
  });

  it('a Vault key added after the policy: the scheduler neither activates the pre-published key nor retires the Vault key, and warns once per pass', async () => {
    const { realmId, stored } = await realmWithClients('later-vault', ['ML-DSA-65']);
    expect(
      (await admin('POST', 'later-vault', '/components', policy(realmId, 'ML-DSA-65'))).status,
    ).toBe(201);
    const t0 = Math.floor(Date.now() / 1000);
    expect(await pass('later-vault', t0 + 85)).toEqual({
      actions: ['ML-DSA-65 next key pre-published'],
      warnings: [],
    });

    const vaultComponent = await admin(
      'POST',
      'later-vault',
      '/components',
      vaultProvider(realmId),
    );
    expect(vaultComponent.status).toBe(201);
    const vaultId = vaultComponent.location!.split('/').pop()!;
    const before = await keysOf(realmId, 'ML-DSA-65');
    expect(before.filter((k) => k.backend === 'vault-transit')).toEqual([
      expect.objectContaining({ status: 'ACTIVE' }),
    ]);
    expect(before.filter((k) => k.status === 'PASSIVE')).toHaveLength(1); // the pre-published local key

    for (const now of [t0 + 106, t0 + 10_000]) {
      const { actions, warnings } = await pass('later-vault', now);
      expect(actions).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0].obj).toMatchObject({
        realm: 'later-vault',
        alg: 'ML-DSA-65',
        backends: ['vault-transit'],
        kids: [expect.stringMatching(/^pq-key-v1-/)],
      });
      expect(warnings[0].msg).toContain(
        'scheduled key rotation refused for ML-DSA-65 in realm later-vault',
      );
      expect(JSON.stringify(warnings)).not.toContain(vault.rootToken);
      expect(await keysOf(realmId, 'ML-DSA-65')).toEqual(before);
    }
    const component = (await admin('GET', 'later-vault', `/components/${vaultId}`)).body;
    expect(component.config.active ?? ['true']).toEqual(['true']);
    expect(component.config['qsign.retireAt']).toBeUndefined();
    expect(
      (await listKeys(server.db, realmId))
        .filter((k) => k.backend === 'vault-transit')
        .map((k) => k.retireAt),
    ).toEqual([null]);

    // `keys rotate` (the CLI) goes through rotateKey: refused before any change.
    await expect(
      server.db.transaction((tx) =>
        rotateKey(tx, server.config.keyEncryptionKey, stored, 'ML-DSA-65', {
          prePublication: 0,
          actor: 'cli',
        }),
      ),
    ).rejects.toThrow(
      /refused: the active ML-DSA-65 key pq-key-v1-\S+ is held in Vault transit.*vault write -f transit\/keys\/pq-key\/rotate/,
    );
    expect(await keysOf(realmId, 'ML-DSA-65')).toEqual(before);

    // Tokens are still signed in Vault.
    const res = await token('later-vault', { grant_type: 'client_credentials' }, [
      'c-ML-DSA-65',
      's',
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(decodeProtectedHeader(res.body.access_token).kid).toMatch(/^pq-key-v1-/);
  });

  describe.skipIf(!hsmAvailable)('with the key in SoftHSM2', () => {
    it('refuses a policy for an alg whose active key is in the HSM: 400 naming the alg, the back end and a new key provider', async () => {
      const { realmId } = await realmWithClients('pol-hsm');
      expect((await admin('POST', 'pol-hsm', '/components', hsmProvider(realmId))).status).toBe(
        201,
      );
      const before = await listKeys(server.db, realmId);
      const refused = await admin('POST', 'pol-hsm', '/components', policy(realmId, 'RS256'));
      expect(refused.status).toBe(400);
      expect(refused.body.errorMessage).toMatch(
        new RegExp(
          `^refused: the active RS256 key pkcs11-${HSM_KEY_ID}-\\S+ is held in the HSM \\(PKCS#11, CKA_ID ${HSM_KEY_ID}\\) \\(back end pkcs11\\)`,
        ),
      );
      expect(refused.body.errorMessage).toContain(
        'create a new key on the token and a new pkcs11 key provider',
      );
      expect(refused.body.errorMessage).not.toContain('4321');
      expect(await listKeys(server.db, realmId)).toEqual(before);
    });

    it('an HSM key added after the policy: the scheduler creates no key and retires neither the HSM key nor the local one', async () => {
      const { realmId } = await realmWithClients('later-hsm', ['RS256']);
      expect(
        (await admin('POST', 'later-hsm', '/components', policy(realmId, 'RS256'))).status,
      ).toBe(201);
      expect((await admin('POST', 'later-hsm', '/components', hsmProvider(realmId))).status).toBe(
        201,
      );
      const before = await keysOf(realmId, 'RS256');
      expect(before.map((k) => `${k.backend} ${k.status}`).sort()).toEqual([
        'local ACTIVE',
        'pkcs11 ACTIVE',
      ]);
      const t0 = Math.floor(Date.now() / 1000);
      const { actions, warnings } = await pass('later-hsm', t0 + 100_000);
      expect(actions).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0].obj).toMatchObject({ alg: 'RS256', backends: ['pkcs11'] });
      expect(JSON.stringify(warnings)).not.toContain('4321');
      expect(await keysOf(realmId, 'RS256')).toEqual(before);
      const res = await token('later-hsm', { grant_type: 'client_credentials' }, ['c-RS256', 's']);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(decodeProtectedHeader(res.body.access_token).kid).toMatch(/^pkcs11-/);
    });
  });
});

describe('default retireAfter of an HS512 policy', () => {
  it('covers the offline session idle timeout (and the offline max lifespan when enabled), in seconds', () => {
    const realm = {
      accessTokenLifespan: 300,
      ssoSessionIdleTimeout: 1800,
      ssoSessionMaxLifespan: 36000,
      offlineSessionIdleTimeout: 2592000,
    };
    expect(defaultRetireAfter(realm, 'HS512')).toBe(2592000);
    expect(
      defaultRetireAfter(
        { ...realm, offlineSessionMaxLifespanEnabled: true, offlineSessionMaxLifespan: 5184000 },
        'HS512',
      ),
    ).toBe(5184000);
    expect(
      defaultRetireAfter(
        { ...realm, offlineSessionMaxLifespanEnabled: false, offlineSessionMaxLifespan: 5184000 },
        'HS512',
      ),
    ).toBe(2592000);
    expect(defaultRetireAfter(realm, 'ML-DSA-65')).toBe(36000);
  });

  it('an offline token signed by the replaced HS512 key still refreshes after ssoSessionMaxLifespan, until offlineSessionIdleTimeout', async () => {
    const { realmId } = await realmWithClients('offline');
    expect(
      (
        await admin('POST', 'offline', '/clients', {
          clientId: 'cli',
          publicClient: true,
          standardFlowEnabled: false,
          directAccessGrantsEnabled: true,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await admin('POST', 'offline', '/users', {
          username: 'olga',
          enabled: true,
          credentials: [{ type: 'password', value: 'olga-pw', temporary: false }],
        })
      ).status,
    ).toBe(201);
    const grant = await token('offline', {
      grant_type: 'password',
      client_id: 'cli',
      username: 'olga',
      password: 'olga-pw',
      scope: 'openid offline_access',
    });
    expect(grant.status, JSON.stringify(grant.body)).toBe(200);
    const offline = grant.body.refresh_token as string;
    expect(decodeJwt(offline).typ).toBe('Offline');
    expect(decodeProtectedHeader(offline).alg).toBe('HS512');
    const kid0 = decodeProtectedHeader(offline).kid!;

    // A long period, so that the simulated months below see exactly one rotation each.
    const P = 10_000_000;
    expect(
      (
        await admin(
          'POST',
          'offline',
          '/components',
          policy(realmId, 'HS512', { rotationPeriod: [String(P)] }),
        )
      ).status,
    ).toBe(201);
    const t0 = Math.floor(Date.now() / 1000);
    expect((await pass('offline', t0 + P)).actions).toEqual(['HS512 next key pre-published']);
    const A = t0 + P + 21;
    expect((await pass('offline', A)).actions).toEqual([
      expect.stringMatching(/^HS512 key \S+ activated$/),
    ]);
    const old = (await listKeys(server.db, realmId)).find((k) => k.kid === kid0)!;
    expect(old.status).toBe('PASSIVE');
    // Its retirement is data on its key row (retire_at, migration 13).
    expect(old.retireAt).toEqual(new Date((A + 2592000) * 1000));

    // Past ssoSessionMaxLifespan (10 h, the old default): the old key still verifies the offline token.
    expect((await pass('offline', A + 36000 + 1)).actions).toEqual([]);
    const refreshed = await token('offline', {
      grant_type: 'refresh_token',
      client_id: 'cli',
      refresh_token: offline,
    });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(decodeProtectedHeader(refreshed.body.refresh_token).kid).not.toBe(kid0);

    // Once every offline token it signed has expired (offlineSessionIdleTimeout, 30 days), it goes.
    expect((await pass('offline', A + 2592000 - 1)).actions).toEqual([]);
    expect((await pass('offline', A + 2592000)).actions).toEqual([`HS512 key ${kid0} disabled`]);

    // With offlineSessionMaxLifespanEnabled the next retirement waits offlineSessionMaxLifespan (60 days).
    expect(
      (
        await admin('PUT', 'offline', '', {
          offlineSessionMaxLifespanEnabled: true,
          offlineSessionMaxLifespan: 5184000,
        })
      ).status,
    ).toBe(204);
    const signing = (await listKeys(server.db, realmId)).find(
      (k) => k.alg === 'HS512' && k.status === 'ACTIVE',
    )!;
    expect((await pass('offline', t0 + 2 * P)).actions).toEqual(['HS512 next key pre-published']);
    expect((await pass('offline', t0 + 2 * P + 21)).actions).toEqual([
      expect.stringMatching(/^HS512 key \S+ activated$/),
    ]);
    expect(
      (await listKeys(server.db, realmId)).find((k) => k.kid === signing.kid)!.retireAt,
    ).toEqual(new Date((t0 + 2 * P + 21 + 5184000) * 1000));
  });
});

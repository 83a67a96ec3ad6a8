/**
 * The vault-transit signer back end on the QSIGN `oqs-transit` Vault plugin (ARCHITECTURE.md §7;
 * issue 19 item 3), against the Vault test server (test/vault) with the plugin mounted at a
 * mount of the operator's choosing (`qsign-pq`): a DILITHIUM3 (CRYSTALS-Dilithium round 3) key
 * signs tokens that a verifier written here exactly as the QSIGN API server checks them accepts
 * (look up kid in the JWKS, base64url-decode `x` and the signature, round-3 verify with
 * @noble/post-quantum 0.1, an implementation independent of the server's pqclean); a composite
 * ML-DSA-65-ES256 lives in Vault entirely (ML-DSA half: plugin `ml-dsa-65` key signing with
 * ctx = label; ES256 half: a transit `ecdsa-p256` key); rotation in Vault gives a new kid while
 * the old one verifies; the plugin's error bodies; a sealed Vault makes the token endpoint answer
 * 503 with an OAuth error body, and it recovers by itself after the unseal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { dilithium_v31 } from 'noble-pq-v01/ml-dsa';
import { createLocalJWKSet, verifyToken } from 'qsign-oidc/verify';
import { asJson } from '../helpers/json.ts';
import { adminCall, passwordToken } from '../helpers/admin.ts';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { referenceCompositeVerify } from '../helpers/composite-reference.ts';
import { VaultTransitTestServer } from '../vault/transit-server.ts';
import { syncAllExternalKeys } from '../../src/keys/external.ts';
import { createKeyProvider } from '../../src/keys/providers.ts';
import { VaultClient } from '../../src/signer/vault/client.ts';

let vault: VaultTransitTestServer;
let server: TestServer;
const issuer = () => `${server.baseUrl}/realms/oqs`;

beforeAll(async () => {
  vault = await new VaultTransitTestServer().start();
  vault.addMount('qsign-pq', true);
  vault.createKey('d3-key', 'dilithium3', 'qsign-pq');
  vault.createKey('composite-mldsa', 'ml-dsa-65', 'qsign-pq');
  vault.createKey('composite-ec', 'ecdsa-p256', 'transit');
  process.env.QSIGN_TEST_OQS_VAULT_TOKEN = vault.rootToken;
  const connection = {
    type: 'vault-transit',
    address: vault.url,
    auth: { method: 'token', tokenEnv: 'QSIGN_TEST_OQS_VAULT_TOKEN' },
    timeoutMs: 500,
    breakerResetMs: 300,
    realms: ['oqs'],
  };
  // The operator names the plugin's mount; the realm's components name only the back end.
  const keyBackends = {
    'vault-pq': { ...connection, mount: 'qsign-pq' },
    'vault-main': connection,
  };
  const realm = {
    realm: 'oqs',
    components: {
      'org.keycloak.keys.KeyProvider': [
        {
          name: 'vault-dilithium3',
          providerId: 'vault-transit',
          config: {
            backend: ['vault-pq'],
            keyName: ['d3-key'],
            algorithm: ['DILITHIUM3'],
            priority: ['200'],
          },
        },
        // Composite members: made for it, never published (enabled: false).
        {
          name: 'member-ml-dsa',
          providerId: 'vault-transit',
          config: {
            backend: ['vault-pq'],
            keyName: ['composite-mldsa'],
            algorithm: ['ML-DSA-65'],
            enabled: ['false'],
          },
        },
        {
          name: 'member-es256',
          providerId: 'vault-transit',
          config: {
            backend: ['vault-main'],
            keyName: ['composite-ec'],
            algorithm: ['ES256'],
            enabled: ['false'],
          },
        },
      ],
    },
    // The composite's client is added once the composite exists (the import checks the alg has a key).
    clients: ['DILITHIUM3'].map((alg) => ({
      clientId: `c-${alg}`,
      secret: 's',
      serviceAccountsEnabled: true,
      attributes: { 'access.token.signed.response.alg': alg },
    })),
  };
  // The master realm too: the composite's client is added through the admin API.
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [realm],
    env: { KEY_BACKENDS: JSON.stringify(keyBackends) },
  });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await vault?.stop();
});

async function tokenFor(alg: string) {
  const res = await fetch(`${issuer()}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`c-${alg}:s`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return { status: res.status, body: await res.json().then(asJson) };
}
const certs = async () =>
  (await (await fetch(`${issuer()}/protocol/openid-connect/certs`)).json().then(asJson)) as {
    keys: Record<string, string>[];
  };
const sync = async () => {
  const r = await syncAllExternalKeys(server.db, server.backends);
  for (const name of r.changed) server.registry.invalidate(name);
  return r;
};

/**
 * The QSIGN API server's check, written here from its sequence diagram: the kid of the header
 * picks the key in the JWKS; `x` and the signature are base64url-decoded; round-3 Dilithium3
 * verifies the signature over the JWS signing input (no pre-hash, no context).
 */
function qsignVerify(token: string, jwks: { keys: Record<string, string>[] }): boolean {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || jwk.kty !== 'OQS' || jwk.alg !== 'DILITHIUM3' || header.alg !== 'DILITHIUM3')
    return false;
  return dilithium_v31.dilithium3.verify(
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(`${h}.${p}`, 'ascii'),
    Buffer.from(s, 'base64url'),
  );
}

describe('vault-transit on the oqs-transit plugin', () => {
  it('a DILITHIUM3 key in Vault signs tokens that the QSIGN-style round-3 verifier and qsign-oidc/verify accept', async () => {
    const before = vault.count('/v1/qsign-pq/sign/d3-key');
    const res = await tokenFor('DILITHIUM3');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const kid = decodeProtectedHeader(res.body.access_token).kid!;
    expect(kid).toMatch(/^d3-key-v1-/);
    expect(vault.count('/v1/qsign-pq/sign/d3-key')).toBe(before + 1);
    const jwks = await certs();
    const jwk = jwks.keys.find((k) => k.kid === kid)!;
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'kid', 'kty', 'use', 'x']);
    expect(jwk).toMatchObject({ kty: 'OQS', alg: 'DILITHIUM3', use: 'sig' });
    expect(Buffer.from(jwk.x, 'base64url')).toHaveLength(1952);
    expect(Buffer.from(res.body.access_token.split('.')[2], 'base64url')).toHaveLength(3293);
    expect(qsignVerify(res.body.access_token, jwks)).toBe(true);
    await verifyToken(res.body.access_token, createLocalJWKSet(jwks), {
      algorithms: ['DILITHIUM3'],
      issuer: issuer(),
    });
  });

  it('a composite ML-DSA-65-ES256 with both halves in Vault signs, and both halves verify independently', async () => {
    const [realm] = await server.db.query<{ id: string }>(
      "SELECT id FROM realms WHERE name = 'oqs'",
    );
    const kidOf = async (keyName: string) =>
      (
        await server.db.query<{ kid: string }>(
          'SELECT kid FROM keys WHERE realm_id = $1 AND kid LIKE $2',
          [realm.id, `${keyName}-v1-%`],
        )
      )[0].kid;
    const members = [await kidOf('composite-mldsa'), await kidOf('composite-ec')];
    await server.db.transaction((tx) =>
      createKeyProvider(
        tx,
        server.config.keyEncryptionKey,
        realm.id,
        {
          name: 'hybrid-vault',
          providerId: 'composite',
          config: { algorithm: ['ML-DSA-65-ES256'], members, priority: ['400'] },
        },
        'test',
      ),
    );
    server.registry.invalidate('oqs');
    const root = await passwordToken(server.baseUrl, 'master', 'admin', 'admin-test-password');
    const client = await adminCall(server.baseUrl, root, 'POST', '/oqs/clients', {
      clientId: 'c-ML-DSA-65-ES256',
      secret: 's',
      serviceAccountsEnabled: true,
      publicClient: false,
      attributes: { 'access.token.signed.response.alg': 'ML-DSA-65-ES256' },
    });
    expect(client.status, client.text).toBe(201);
    const signs = [
      vault.count('/v1/qsign-pq/sign/composite-mldsa'),
      vault.count('/v1/transit/sign/composite-ec'),
    ];
    const res = await tokenFor('ML-DSA-65-ES256');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect([
      vault.count('/v1/qsign-pq/sign/composite-mldsa'),
      vault.count('/v1/transit/sign/composite-ec'),
    ]).toEqual(signs.map((n) => n + 1));
    const kid = decodeProtectedHeader(res.body.access_token).kid;
    expect(kid).toMatch(/^composite-/);
    const jwks = await certs();
    // The members are never published; only the composite is.
    expect(jwks.keys.map((k) => k.kid)).not.toContain(members[0]);
    expect(jwks.keys.map((k) => k.kid)).not.toContain(members[1]);
    await verifyToken(res.body.access_token, createLocalJWKSet(jwks), {
      algorithms: ['ML-DSA-65-ES256'],
      issuer: issuer(),
    });
    const [h, p, s] = res.body.access_token.split('.');
    const jwk = jwks.keys.find((k) => k.kid === kid)! as unknown as {
      kty: string;
      alg: string;
      pub: string;
    };
    expect(
      referenceCompositeVerify(
        'ML-DSA-65-ES256',
        jwk,
        Buffer.from(`${h}.${p}`),
        Buffer.from(s, 'base64url'),
      ),
    ).toEqual([true, true]);
  });

  it('a rotation in Vault gives a new kid in the JWKS; tokens of the old version still verify', async () => {
    const old = await tokenFor('DILITHIUM3');
    const rotated = await fetch(`${vault.url}/v1/qsign-pq/keys/d3-key/rotate`, {
      method: 'POST',
      headers: { 'x-vault-token': vault.rootToken },
    });
    expect(rotated.status).toBe(200);
    expect(
      ((await rotated.json()) as { data: { latest_version: number } }).data.latest_version,
    ).toBe(2);
    expect((await sync()).changed).toEqual(['oqs']);
    const fresh = await tokenFor('DILITHIUM3');
    expect(fresh.status).toBe(200);
    expect(decodeProtectedHeader(fresh.body.access_token).kid).toMatch(/^d3-key-v2-/);
    const jwks = await certs();
    const kids = jwks.keys
      .filter((k) => k.alg === 'DILITHIUM3')
      .map((k) => k.kid.split('-v')[1][0])
      .sort();
    expect(kids).toEqual(['1', '2']);
    for (const token of [old.body.access_token, fresh.body.access_token]) {
      expect(qsignVerify(token, jwks)).toBe(true);
      await verifyToken(token, createLocalJWKSet(jwks), {
        algorithms: ['DILITHIUM3'],
        issuer: issuer(),
      });
    }
  });

  it('answers with the plugin\'s error bodies: "encryption key not found", a version mismatch; its key types only on its mount', async () => {
    const client = new VaultClient({
      address: vault.url,
      auth: { method: 'token', token: vault.rootToken },
      maxAttempts: 1,
    });
    try {
      await expect(
        client.sign('qsign-pq', 'no-such-key', Buffer.from('x'), {}),
      ).rejects.toMatchObject({ status: 400, errors: ['encryption key not found'] });
      await expect(
        client.sign('qsign-pq', 'd3-key', Buffer.from('x'), { key_version: 9 }),
      ).rejects.toMatchObject({
        status: 400,
        errors: ['key version mismatch: requested version 9, latest_version is 2'],
      });
      const key = await client.readKey('qsign-pq', 'd3-key');
      expect(key).toMatchObject({ type: 'dilithium3', latestVersion: 2 });
      expect(Buffer.from(key.publicKeys.get(1)!, 'base64')).toHaveLength(1952);
    } finally {
      await client.close();
    }
    const plain = await fetch(`${vault.url}/v1/transit/keys/d3-elsewhere`, {
      method: 'POST',
      headers: { 'x-vault-token': vault.rootToken },
      body: JSON.stringify({ type: 'dilithium3' }),
    });
    expect(plain.status).toBe(400);
    expect(await plain.json()).toEqual({ errors: ['unknown key type dilithium3'] });
  });

  it('DILITHIUM3 is refused for a Vault key that is not a dilithium3 key of the plugin (Keycloak admin error body)', async () => {
    const root = await passwordToken(server.baseUrl, 'master', 'admin', 'admin-test-password');
    const [realm] = await server.db.query<{ id: string }>(
      "SELECT id FROM realms WHERE name = 'oqs'",
    );
    for (const [backend, keyName] of [
      ['vault-pq', 'composite-mldsa'],
      ['vault-main', 'composite-ec'],
    ]) {
      const res = await adminCall(server.baseUrl, root, 'POST', '/oqs/components', {
        name: `d3-on-${keyName}`,
        providerId: 'vault-transit',
        providerType: 'org.keycloak.keys.KeyProvider',
        parentId: realm.id,
        config: { backend: [backend], keyName: [keyName], algorithm: ['DILITHIUM3'] },
      });
      expect(res.status, res.text).toBe(400);
      expect(res.body).toMatchObject({
        field: 'algorithm',
        errorMessage: expect.stringMatching(
          new RegExp(
            `^Vault key ${keyName} is of type (ml-dsa-65|ecdsa-p256), which cannot sign DILITHIUM3`,
          ),
        ),
      });
    }
  });

  it('sealed Vault: the token endpoint answers 503 with an OAuth error body, and recovers by itself after the unseal', async () => {
    vault.fault = 'sealed';
    try {
      for (const alg of ['DILITHIUM3', 'ML-DSA-65-ES256']) {
        const res = await tokenFor(alg);
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ error: 'temporarily_unavailable' });
        expect(typeof res.body.error_description).toBe('string');
        expect(JSON.stringify(res.body)).not.toContain(vault.rootToken);
      }
    } finally {
      vault.fault = 'none';
    }
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i += 1) {
      status = (await tokenFor('DILITHIUM3')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    const res = await tokenFor('ML-DSA-65-ES256');
    expect(res.status).toBe(200);
    await verifyToken(res.body.access_token, createLocalJWKSet(await certs()), {
      algorithms: ['ML-DSA-65-ES256'],
      issuer: issuer(),
    });
  });
});

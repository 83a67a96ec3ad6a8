/**
 * One key whose signer cannot be built on this node (here: an HSM key whose component lost its
 * public key record, as a half-restored database would have it) takes out its own alg only: the
 * realm still loads, its other algs sign, the broken alg answers 503 temporarily_unavailable,
 * readiness names the key, and the realm serves again once the key is mended.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { asJson } from '../helpers/json.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { loadRealmKeys } from '../../src/keys/realm-keys.ts';
import { createKeyProvider } from '../../src/keys/providers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    realms: [
      {
        realm: 'broken',
        components: {
          'org.keycloak.keys.KeyProvider': [
            {
              name: 'ml-dsa-87',
              providerId: 'ml-dsa-generated',
              config: { algorithm: ['ML-DSA-87'], priority: ['100'] },
            },
          ],
        },
        clients: ['ML-DSA-65', 'ML-DSA-87'].map((alg) => ({
          clientId: `c-${alg}`,
          secret: 's',
          serviceAccountsEnabled: true,
          standardFlowEnabled: false,
          attributes: { 'access.token.signed.response.alg': alg },
        })),
      },
    ],
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const grant = async (alg: string) => {
  const res = await fetch(`${server.baseUrl}/realms/broken/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`c-${alg}:s`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  return { status: res.status, body: await res.json().then(asJson) };
};

describe('readiness at process start', () => {
  it('answers DOWN while every realm and its keys are loading, UP once they are', async () => {
    server.registry.drop('broken');
    const get = vi.spyOn(server.registry, 'get');
    try {
      const loading = server.registry.loadAll();
      expect(server.registry.loadingRealms).toBe(true);
      await loading;
      expect(get).toHaveBeenCalledWith('broken');
      await expect(
        get.mock.results.find((_, i) => get.mock.calls[i][0] === 'broken')!.value,
      ).resolves.toBeDefined();
    } finally {
      get.mockRestore();
    }
    expect(server.registry.loadingRealms).toBe(false);
    expect((await fetch(`${server.baseUrl}/health/ready`)).status).toBe(200);
    // The probe reads the flag: held up while loading, whatever the realms' own checks say.
    server.registry.loadingRealms = true;
    try {
      const ready = await fetch(`${server.baseUrl}/health/ready`);
      expect(ready.status).toBe(503);
      expect((await ready.json().then(asJson)).checks).toContainEqual({
        name: 'realms',
        status: 'DOWN',
        reason: 'loading every realm and its keys (process start)',
      });
    } finally {
      server.registry.loadingRealms = false;
    }
  });
});

describe('a key that cannot be built', () => {
  it('fails its own alg closed (503) while the realm and its other algs keep serving, and recovers when mended', async () => {
    expect((await grant('ML-DSA-87')).status).toBe(200);
    const [realm] = await server.db.query<{ id: string }>(
      "SELECT id FROM realms WHERE name = 'broken'",
    );
    const [key] = await server.db.query<{ kid: string; backend: string; public_jwk: unknown }>(
      "SELECT kid, backend, public_jwk FROM keys WHERE realm_id = $1 AND alg = 'ML-DSA-87'",
      [realm.id],
    );
    await server.db.query("UPDATE keys SET backend = 'pkcs11', public_jwk = NULL WHERE kid = $1", [
      key.kid,
    ]);
    server.registry.invalidate('broken');

    expect(await grant('ML-DSA-87')).toEqual({
      status: 503,
      body: {
        error: 'temporarily_unavailable',
        error_description: 'The service is temporarily unavailable; retry later.',
      },
    });
    expect((await grant('ML-DSA-65')).status).toBe(200);
    expect(
      (await fetch(`${server.baseUrl}/realms/broken/.well-known/openid-configuration`)).status,
    ).toBe(200);
    // This node cannot sign with every key: readiness says so, naming the key (and no secret).
    const ready = await fetch(`${server.baseUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect((await ready.json().then(asJson)).checks).toContainEqual({
      name: `key ${key.kid} (pkcs11) of realm broken`,
      status: 'DOWN',
      reason: `key ${key.kid} lost its pkcs11 component`,
    });

    await server.db.query('UPDATE keys SET backend = $2, public_jwk = $3 WHERE kid = $1', [
      key.kid,
      key.backend,
      JSON.stringify(key.public_jwk),
    ]);
    server.registry.invalidate('broken');
    expect((await grant('ML-DSA-87')).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/health/ready`)).status).toBe(200);
  });
});

describe('a local key that cannot be decrypted', () => {
  it('(a tampered record) fails its own alg closed (503), not the realm with a 500, and recovers when restored', async () => {
    const [realm] = await server.db.query<{ id: string }>(
      "SELECT id FROM realms WHERE name = 'broken'",
    );
    const [key] = await server.db.query<{ kid: string; private_key: Uint8Array }>(
      "SELECT kid, private_key FROM keys WHERE realm_id = $1 AND alg = 'ML-DSA-87'",
      [realm.id],
    );
    await server.db.query("UPDATE keys SET private_key = decode('00', 'hex') WHERE kid = $1", [
      key.kid,
    ]);
    server.registry.invalidate('broken');

    expect(await grant('ML-DSA-87')).toEqual({
      status: 503,
      body: {
        error: 'temporarily_unavailable',
        error_description: 'The service is temporarily unavailable; retry later.',
      },
    });
    expect((await grant('ML-DSA-65')).status).toBe(200);
    // Still published (its public JWK is recorded), so what it signed before still verifies.
    const certs = await (
      await fetch(`${server.baseUrl}/realms/broken/protocol/openid-connect/certs`)
    )
      .json()
      .then(asJson);
    expect(certs.keys.map((k: { kid: string }) => k.kid)).toContain(key.kid);
    const ready = await fetch(`${server.baseUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect((await ready.json().then(asJson)).checks).toContainEqual({
      name: `key ${key.kid} (local) of realm broken`,
      status: 'DOWN',
      reason: `private key ${key.kid} cannot be decrypted: wrong KEY_ENCRYPTION_KEY or tampered record`,
    });

    await server.db.query('UPDATE keys SET private_key = $2 WHERE kid = $1', [
      key.kid,
      key.private_key,
    ]);
    server.registry.invalidate('broken');
    expect((await grant('ML-DSA-87')).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/health/ready`)).status).toBe(200);
  });
});

describe('a PASSIVE composite across back ends', () => {
  it('loads without a key error (its disabled members are not loaded: it only verifies) and stays in the JWKS', async () => {
    const disabled = (name: string, providerId: string, alg: string) => ({
      name,
      providerId,
      config: { algorithm: [alg], priority: ['1'], enabled: ['false'] },
    });
    const passive = await startServer({
      realms: [
        {
          realm: 'passive-composite',
          components: {
            'org.keycloak.keys.KeyProvider': [
              disabled('ml-member', 'ml-dsa-generated', 'ML-DSA-65'),
              disabled('ec-member', 'ecdsa-generated', 'ES256'),
            ],
          },
        },
      ],
    });
    try {
      const [realm] = await passive.db.query<{ id: string }>(
        "SELECT id FROM realms WHERE name = 'passive-composite'",
      );
      const members = await passive.db.query<{ kid: string; alg: string }>(
        "SELECT kid, alg FROM keys WHERE realm_id = $1 AND status = 'DISABLED' ORDER BY alg DESC",
        [realm.id],
      );
      expect(members.map((m) => m.alg)).toEqual(['ML-DSA-65', 'ES256']);
      await createKeyProvider(
        passive.db,
        passive.config.keyEncryptionKey,
        realm.id,
        {
          name: 'hybrid',
          providerId: 'composite',
          config: {
            algorithm: ['ML-DSA-65-ES256'],
            priority: ['100'],
            active: ['false'],
            members: members.map((m) => m.kid),
          },
        },
        'test',
      );
      const [composite] = await passive.db.query<{ kid: string; status: string; backend: string }>(
        "SELECT kid, status, backend FROM keys WHERE realm_id = $1 AND alg = 'ML-DSA-65-ES256'",
        [realm.id],
      );
      expect(composite).toMatchObject({ status: 'PASSIVE', backend: 'composite' });
      const errors: string[] = [];
      const keys = await loadRealmKeys(
        passive.db,
        passive.config.keyEncryptionKey,
        realm.id,
        (kid) => errors.push(kid),
      );
      expect(errors).toEqual([]);
      expect(keys.keys.map((k) => k.record.kid)).toContain(composite.kid);
      passive.registry.invalidate('passive-composite');
      const certs = await (
        await fetch(`${passive.baseUrl}/realms/passive-composite/protocol/openid-connect/certs`)
      )
        .json()
        .then(asJson);
      expect(certs.keys.map((k: { kid: string }) => k.kid)).toContain(composite.kid);
      expect((await fetch(`${passive.baseUrl}/health/ready`)).status).toBe(200);
    } finally {
      await passive.close();
    }
  });
});

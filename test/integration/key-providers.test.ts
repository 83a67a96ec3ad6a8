/**
 * Keycloak's generated key providers with their own settings: `eddsa-generated` (Ed25519,
 * Keycloak's `eddsaEllipticCurveKey`) and `rsa-generated` with `keySize`; a size or curve we do not
 * make is refused with Keycloak's admin error body, never silently replaced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { asJson } from '../helpers/json.ts';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';

const KEY_PROVIDER = 'org.keycloak.keys.KeyProvider';
let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [{
      realm: 'sized',
      components: {
        [KEY_PROVIDER]: [
          { name: 'ed', providerId: 'eddsa-generated', config: { priority: ['100'], eddsaEllipticCurveKey: ['Ed25519'] } },
          { name: 'rsa-4096', providerId: 'rsa-generated', config: { priority: ['200'], keySize: ['4096'], algorithm: ['RS384'] } },
        ],
      },
    }],
  });
}, 60_000);
afterAll(async () => { await server?.close(); });

describe('generated key providers', () => {
  it('make an Ed25519 EdDSA key and an RSA key of the asked keySize, published in the JWKS', async () => {
    const { keys } = await (await fetch(`${server.baseUrl}/realms/sized/protocol/openid-connect/certs`)).json().then(asJson) as { keys: Record<string, string>[] };
    expect(keys.find((k) => k.alg === 'EdDSA')).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig' });
    const rsa = keys.find((k) => k.alg === 'RS384')!;
    expect(Buffer.from(rsa.n, 'base64url').length * 8).toBe(4096);
    expect(Buffer.from(keys.find((k) => k.alg === 'RS256')!.n, 'base64url').length * 8).toBe(2048);
  });

  it('refuse a keySize or curve they do not make (400, Keycloak error body)', async () => {
    const kc = new KcAdminClient({ baseUrl: server.baseUrl, realmName: 'master' });
    await kc.auth({ username: 'admin', password: 'admin-test-password', grantType: 'password', clientId: 'admin-cli' });
    kc.setConfig({ realmName: 'sized' });
    const parentId = (await kc.realms.findOne({ realm: 'sized' }))!.id!;
    for (const [providerId, config] of [['rsa-generated', { keySize: ['1000'] }], ['eddsa-generated', { eddsaEllipticCurveKey: ['Ed448'] }]] as const) {
      await expect(kc.components.create({ name: providerId, providerId, providerType: KEY_PROVIDER, parentId, config: { priority: ['1'], ...config } }))
        .rejects.toMatchObject({ response: { status: 400 } });
    }
  });
});

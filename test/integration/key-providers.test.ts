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
import { syncAllExternalKeys } from '../../src/keys/external.ts';

const KEY_PROVIDER = 'org.keycloak.keys.KeyProvider';
let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [
      {
        realm: 'sized',
        components: {
          [KEY_PROVIDER]: [
            {
              name: 'ed',
              providerId: 'eddsa-generated',
              config: { priority: ['100'], eddsaEllipticCurveKey: ['Ed25519'] },
            },
            {
              name: 'rsa-4096',
              providerId: 'rsa-generated',
              config: { priority: ['200'], keySize: ['4096'], algorithm: ['RS384'] },
            },
            // Keys made for composites: never published.
            {
              name: 'rsa-a',
              providerId: 'rsa-generated',
              config: {
                priority: ['10'],
                keySize: ['3072'],
                algorithm: ['RS256'],
                enabled: ['false'],
              },
            },
            {
              name: 'rsa-b',
              providerId: 'rsa-generated',
              config: {
                priority: ['5'],
                keySize: ['3072'],
                algorithm: ['RS256'],
                enabled: ['false'],
              },
            },
            {
              name: 'ml-member',
              providerId: 'ml-dsa-generated',
              config: { priority: ['5'], algorithm: ['ML-DSA-65'], enabled: ['false'] },
            },
          ],
        },
      },
    ],
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

describe('generated key providers', () => {
  it('make an Ed25519 EdDSA key and an RSA key of the asked keySize, published in the JWKS', async () => {
    const { keys } = (await (
      await fetch(`${server.baseUrl}/realms/sized/protocol/openid-connect/certs`)
    )
      .json()
      .then(asJson)) as { keys: Record<string, string>[] };
    expect(keys.find((k) => k.alg === 'EdDSA')).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      use: 'sig',
    });
    const rsa = keys.find((k) => k.alg === 'RS384')!;
    expect(Buffer.from(rsa.n, 'base64url').length * 8).toBe(4096);
    expect(
      keys
        .filter((k) => k.alg === 'RS256')
        .map((k) => Buffer.from(k.n, 'base64url').length * 8)
        .sort(),
    ).toEqual([2048]);
  });

  it('refuse a keySize or curve they do not make (400, Keycloak error body)', async () => {
    const kc = new KcAdminClient({ baseUrl: server.baseUrl, realmName: 'master' });
    await kc.auth({
      username: 'admin',
      password: 'admin-test-password',
      grantType: 'password',
      clientId: 'admin-cli',
    });
    kc.setConfig({ realmName: 'sized' });
    const parentId = (await kc.realms.findOne({ realm: 'sized' }))!.id!;
    const refused: [string, Record<string, string[]>][] = [
      ['rsa-generated', { keySize: ['1000'] }],
      ['eddsa-generated', { eddsaEllipticCurveKey: ['Ed448'] }],
    ];
    for (const [providerId, config] of refused) {
      await expect(
        kc.components.create({
          name: providerId,
          providerId,
          providerType: KEY_PROVIDER,
          parentId,
          config: { priority: ['1'], ...config },
        }),
      ).rejects.toMatchObject({ response: { status: 400 } });
    }
  });

  it('a composite is made of unpublished keys, keeps its members, and a steady state makes no change', async () => {
    const kc = new KcAdminClient({ baseUrl: server.baseUrl, realmName: 'master' });
    await kc.auth({
      username: 'admin',
      password: 'admin-test-password',
      grantType: 'password',
      clientId: 'admin-cli',
    });
    kc.setConfig({ realmName: 'sized' });
    const parentId = (await kc.realms.findOne({ realm: 'sized' }))!.id!;
    const components = await kc.components.find({ parent: parentId, type: KEY_PROVIDER });
    const { keys } = await kc.realms.getKeys({ realm: 'sized' });
    const kidOf = (
      test: (k: { algorithm?: string; providerId?: string; status?: string }) => boolean,
    ) => keys!.find(test)!.kid!;
    const componentId = (name: string) => components.find((c) => c.name === name)!.id!;
    const [mlDsa, a, b] = ['ml-member', 'rsa-a', 'rsa-b'].map((name) =>
      kidOf((k) => k.providerId === componentId(name)),
    );
    const published = kidOf((k) => k.algorithm === 'ML-DSA-65' && k.status === 'ACTIVE');
    const composite = {
      name: 'hybrid',
      providerId: 'composite',
      providerType: KEY_PROVIDER,
      parentId,
      config: { priority: ['100'], algorithm: ['ML-DSA-65-RS256'], members: [mlDsa, a] },
    };
    // draft-ietf-jose-pq-composite-sigs-05 §6.2: a key published as a JWK is no composite member.
    await expect(
      kc.components.create({
        ...composite,
        config: { ...composite.config, members: [published, a] },
      }),
    ).rejects.toMatchObject({ response: { status: 400 } });
    // Nor is the same key material under another kid (an HSM or Vault key registered twice),
    // simulated here by giving a disabled key the published key's public JWK.
    const { id: copyId } = await kc.components.create({
      name: 'ml-copy',
      providerId: 'ml-dsa-generated',
      providerType: KEY_PROVIDER,
      parentId,
      config: { priority: ['1'], algorithm: ['ML-DSA-65'], enabled: ['false'] },
    });
    await server.db.query(
      'UPDATE keys SET public_jwk = (SELECT public_jwk FROM keys WHERE kid = $1) WHERE component_id = $2',
      [published, copyId],
    );
    const [{ kid: copy }] = await server.db.query<{ kid: string }>(
      'SELECT kid FROM keys WHERE component_id = $1',
      [copyId],
    );
    await expect(
      kc.components.create({ ...composite, config: { ...composite.config, members: [copy, a] } }),
    ).rejects.toMatchObject({ response: { status: 400 } });
    const { id } = await kc.components.create(composite);
    const compositeJwk = async () =>
      (
        (await (
          await fetch(`${server.baseUrl}/realms/sized/protocol/openid-connect/certs`)
        )
          .json()
          .then(asJson)) as { keys: Record<string, string>[] }
      ).keys.find((k) => k.alg === 'ML-DSA-65-RS256')!;
    const before = await compositeJwk();
    const kids = (
      (await (
        await fetch(`${server.baseUrl}/realms/sized/protocol/openid-connect/certs`)
      )
        .json()
        .then(asJson)) as { keys: { kid: string }[] }
    ).keys.map((k) => k.kid);
    expect(kids).not.toContain(mlDsa);
    expect(kids).not.toContain(a);
    expect((await syncAllExternalKeys(server.db, server.backends)).changed).toEqual([]);

    // Its members are its key: another set would be another key under the same kid (relying
    // parties cache JWKS by kid), so it is refused; status and priority still change.
    await expect(
      kc.components.update(
        { id },
        { ...composite, id, config: { ...composite.config, members: [mlDsa, b] } },
      ),
    ).rejects.toMatchObject({ response: { status: 400 } });
    expect((await compositeJwk()).pub).toBe(before.pub);
    await kc.components.update(
      { id },
      { ...composite, id, config: { ...composite.config, priority: ['90'] } },
    );
    expect((await syncAllExternalKeys(server.db, server.backends)).changed).toEqual([]);
    // A member stays unpublished, and cannot be deleted from under its composite.
    const memberRep = components.find((c) => c.name === 'rsa-a')!;
    await expect(
      kc.components.update(
        { id: memberRep.id! },
        { ...memberRep, config: { ...memberRep.config, enabled: ['true'] } },
      ),
    ).rejects.toMatchObject({ response: { status: 400 } });
    await expect(kc.components.del({ id: componentId('rsa-a') })).rejects.toMatchObject({
      response: { status: 400 },
    });
    await kc.components.del({ id: componentId('rsa-b') });
  });
});

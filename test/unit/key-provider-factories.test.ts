/**
 * The key provider factories' validation (keys/providers/): pure logic, no database. Expected
 * values follow Keycloak's providers where they are Keycloak's (GeneratedRsaKeyProviderFactory:
 * keySize 2048/3072/4096, default RS256; GeneratedEcdsaKeyProviderFactory: ecdsaEllipticCurveKey
 * P-256/P-384/P-521; Keycloak's rule for a key's state: DISABLED unless enabled, else ACTIVE or
 * PASSIVE by `active`).
 */
import { describe, expect, it } from 'vitest';
import { ComponentError } from '../../src/keys/component-model.ts';
import {
  EXTERNAL_PROVIDERS,
  KEY_PROVIDER_IDS,
  keyProvider,
  keyProviderSettings,
} from '../../src/keys/providers/registry.ts';
import { parsePolicy } from '../../src/keys/providers/rotation-policy.ts';
import { versionRole, versionStatus } from '../../src/keys/providers/vault-transit.ts';

/** The ComponentError `fn` throws. */
function refusal(fn: () => unknown): ComponentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ComponentError);
    return err as ComponentError;
  }
  throw new Error('expected a ComponentError');
}

describe('key provider registry', () => {
  it('knows every provider by its id, and which hold keys elsewhere', () => {
    expect([...KEY_PROVIDER_IDS].sort()).toEqual([
      'aes-generated',
      'composite',
      'composite-generated',
      'ecdsa-generated',
      'eddsa-generated',
      'hmac-generated',
      'ml-dsa-generated',
      'pkcs11',
      'rsa',
      'rsa-enc',
      'rsa-enc-generated',
      'rsa-generated',
      'vault-transit',
    ]);
    expect([...EXTERNAL_PROVIDERS].sort()).toEqual(['composite', 'pkcs11', 'vault-transit']);
    for (const id of KEY_PROVIDER_IDS) expect(keyProvider(id).id).toBe(id);
    expect(refusal(() => keyProvider('java-keystore'))).toMatchObject({ field: 'providerId' });
  });
});

describe('settings every provider shares', () => {
  it('state is DISABLED unless enabled, else ACTIVE or PASSIVE; priority an integer; algorithm and priority filled in', () => {
    expect(keyProviderSettings('rsa-generated', {})).toEqual({
      alg: 'RS256',
      priority: 0,
      status: 'ACTIVE',
      config: { algorithm: ['RS256'], priority: ['0'] },
    });
    expect(keyProviderSettings('rsa-generated', { active: ['false'] }).status).toBe('PASSIVE');
    expect(
      keyProviderSettings('rsa-generated', { enabled: ['false'], active: ['true'] }).status,
    ).toBe('DISABLED');
    expect(keyProviderSettings('ml-dsa-generated', { priority: '-5' })).toMatchObject({
      alg: 'ML-DSA-65',
      priority: -5,
    });
    expect(
      refusal(() => keyProviderSettings('rsa-generated', { priority: ['high'] })),
    ).toMatchObject({
      field: 'priority',
      message: 'config.priority must be an integer, got "high"',
    });
    expect(refusal(() => keyProviderSettings('rsa-generated', { enabled: ['yes'] }))).toMatchObject(
      { field: 'enabled', message: 'config.enabled must be "true" or "false", got "yes"' },
    );
    expect(
      refusal(() => keyProviderSettings('rsa-generated', { config: { nested: true } } as never)),
    ).toMatchObject({ field: 'config.config' });
  });

  it.each([
    ['rsa-generated', 'ES256'],
    ['ecdsa-generated', 'RS256'],
    ['eddsa-generated', 'ES256'],
    ['hmac-generated', 'RS256'],
    ['ml-dsa-generated', 'RS256'],
    ['composite-generated', 'ML-DSA-65'],
    ['vault-transit', 'HS256'],
    ['pkcs11', 'EdDSA'],
    ['composite', 'ML-DSA-87-RS256'],
  ])('%s refuses algorithm %s', (providerId, alg) => {
    const own: Record<string, Record<string, string[]>> = {
      'vault-transit': { backend: ['b'], keyName: ['k'] },
      pkcs11: { backend: ['b'], keyId: ['01'] },
      composite: { members: ['a', 'b'] },
    };
    expect(
      refusal(() => keyProviderSettings(providerId, { algorithm: [alg], ...own[providerId] })),
    ).toMatchObject({ field: 'algorithm' });
  });
});

describe("each provider's own config", () => {
  it('rsa-generated: keySize one of 2048, 3072, 4096', () => {
    expect(
      keyProviderSettings('rsa-generated', { keySize: ['4096'], algorithm: ['PS384'] }).alg,
    ).toBe('PS384');
    expect(
      refusal(() => keyProviderSettings('rsa-generated', { keySize: ['1000'] })),
    ).toMatchObject({
      field: 'keySize',
      message: 'config.keySize must be one of 2048, 3072, 4096, got "1000"',
    });
  });

  it('rsa: a privateKey is required', () => {
    expect(refusal(() => keyProviderSettings('rsa', {}))).toMatchObject({
      field: 'privateKey',
      message: 'config.privateKey (PEM) is required for provider rsa',
    });
    expect(keyProvider('rsa')).toMatchObject({ kind: 'local', secretFields: ['privateKey'] });
  });

  it('ecdsa-generated: the alg follows ecdsaEllipticCurveKey when no algorithm is given', () => {
    expect(keyProviderSettings('ecdsa-generated', { ecdsaEllipticCurveKey: ['P-384'] }).alg).toBe(
      'ES384',
    );
    expect(keyProviderSettings('ecdsa-generated', { ecdsaEllipticCurveKey: ['P-521'] }).alg).toBe(
      'ES512',
    );
    expect(keyProviderSettings('ecdsa-generated', {}).alg).toBe('ES256');
  });

  it('eddsa-generated: Ed25519 only', () => {
    expect(keyProviderSettings('eddsa-generated', { eddsaEllipticCurveKey: ['Ed25519'] }).alg).toBe(
      'EdDSA',
    );
    expect(
      refusal(() => keyProviderSettings('eddsa-generated', { eddsaEllipticCurveKey: ['Ed448'] })),
    ).toMatchObject({ field: 'eddsaEllipticCurveKey' });
  });

  it('vault-transit: a back end and a key name, nothing else of the connection', () => {
    expect(
      keyProviderSettings('vault-transit', {
        backend: ['vault-prod'],
        keyName: ['k'],
        algorithm: ['ML-DSA-87'],
      }),
    ).toMatchObject({ alg: 'ML-DSA-87', status: 'ACTIVE' });
    expect(
      refusal(() => keyProviderSettings('vault-transit', { backend: ['vault-prod'] })),
    ).toMatchObject({ field: 'keyName' });
    expect(
      refusal(() => keyProviderSettings('vault-transit', { backend: ['a', 'b'], keyName: ['k'] })),
    ).toMatchObject({ field: 'backend' });
    expect(
      refusal(() =>
        keyProviderSettings('vault-transit', {
          backend: ['v'],
          keyName: ['k'],
          address: ['http://x'],
        }),
      ),
    ).toMatchObject({ field: 'address' });
    expect(
      refusal(() =>
        keyProviderSettings('vault-transit', { backend: ['v'], keyName: ['k'], surprise: ['x'] }),
      ),
    ).toMatchObject({
      field: 'surprise',
      message: expect.stringContaining('is not a setting of provider vault-transit'),
    });
    expect(keyProvider('vault-transit').identityFields).toEqual(['keyName']);
  });

  it('pkcs11: a back end and a CKA_ID in hex', () => {
    expect(
      keyProviderSettings('pkcs11', {
        backend: ['hsm'],
        keyId: ['a1B2'],
        wrappedSeed: ['AAAA'],
        algorithm: ['ML-DSA-65'],
      }).alg,
    ).toBe('ML-DSA-65');
    for (const keyId of [[], ['xyz'], ['']])
      expect(
        refusal(() => keyProviderSettings('pkcs11', { backend: ['hsm'], keyId })),
      ).toMatchObject({ field: 'keyId' });
    expect(
      refusal(() =>
        keyProviderSettings('pkcs11', {
          backend: ['hsm'],
          keyId: ['01'],
          modulePath: ['/tmp/evil.so'],
        }),
      ),
    ).toMatchObject({ field: 'modulePath' });
    expect(keyProvider('pkcs11').identityFields).toEqual(['keyId', 'wrappedSeed']);
  });

  it('composite: two members', () => {
    expect(
      keyProviderSettings('composite', { members: ['a', 'b'], algorithm: ['ML-DSA-65-ES256'] }).alg,
    ).toBe('ML-DSA-65-ES256');
    for (const members of [undefined, ['a'], []])
      expect(
        refusal(() => keyProviderSettings('composite', members ? { members } : {})),
      ).toMatchObject({ field: 'members' });
  });
});

describe('Vault key versions', () => {
  it('the latest signs as the component says, versions down to min_decryption_version verify, older ones are disabled', () => {
    const key = { latestVersion: 5, minDecryptionVersion: 3 };
    expect([5, 4, 3, 2].map((v) => versionRole(key, v))).toEqual([
      'latest',
      'verify',
      'verify',
      'old',
    ]);
    expect(versionStatus('latest', 'ACTIVE')).toBe('ACTIVE');
    expect(versionStatus('latest', 'PASSIVE')).toBe('PASSIVE');
    expect(versionStatus('verify', 'ACTIVE')).toBe('PASSIVE');
    expect(versionStatus('old', 'ACTIVE')).toBe('DISABLED');
    expect(versionStatus('verify', 'DISABLED')).toBe('DISABLED');
  });
});

describe('rotation policy', () => {
  it('reads its seconds, with the pre-publication default of half the period (at most a day)', () => {
    expect(parsePolicy('p', { algorithm: ['ML-DSA-65'], rotationPeriod: ['100'] })).toEqual({
      id: 'p',
      alg: 'ML-DSA-65',
      rotationPeriod: 100,
      prePublication: 50,
      retireAfter: undefined,
    });
    expect(
      parsePolicy('p', { algorithm: ['RS256'], rotationPeriod: ['864000'], retireAfter: ['30'] }),
    ).toMatchObject({ prePublication: 86_400, retireAfter: 30 });
  });

  it.each([
    [{ algorithm: ['XX1'], rotationPeriod: ['100'] }, 'algorithm'],
    [{ algorithm: ['RS256'] }, 'rotationPeriod'],
    [{ algorithm: ['RS256'], rotationPeriod: ['-1'] }, 'rotationPeriod'],
    [{ algorithm: ['RS256'], rotationPeriod: ['100'], prePublication: ['soon'] }, 'prePublication'],
    [{ algorithm: ['RS256'], rotationPeriod: ['100'], prePublication: ['100'] }, 'prePublication'],
    [{ algorithm: ['RS256'], rotationPeriod: ['100'], retireAfter: ['0'] }, 'retireAfter'],
  ])('refuses %j naming %s', (config, field) => {
    expect(refusal(() => parsePolicy('p', config))).toMatchObject({ field });
  });
});

describe('encryption key providers (Keycloak KeyUse.ENC)', () => {
  it("default to Keycloak's algorithms: RSA-OAEP (Attributes.RS_ENC_ALGORITHM_PROPERTY) and AES (GeneratedAesKeyProviderFactory)", () => {
    expect(keyProviderSettings('rsa-enc-generated', {}).alg).toBe('RSA-OAEP');
    expect(keyProviderSettings('rsa-enc-generated', { algorithm: ['RSA1_5'] }).alg).toBe('RSA1_5');
    expect(keyProviderSettings('aes-generated', {}).alg).toBe('AES');
    expect(keyProvider('rsa-enc').use).toBe('enc');
  });
  it.each([
    ['rsa-enc-generated', { algorithm: ['RS256'] }, 'algorithm'],
    ['rsa-generated', { algorithm: ['RSA-OAEP'] }, 'algorithm'],
    ['rsa-enc-generated', { keySize: ['1024'] }, 'keySize'],
    ['aes-generated', { secretSize: ['20'] }, 'secretSize'],
    ['rsa-enc', {}, 'privateKey'],
  ])('%s refuses %j naming %s', (id, config, field) => {
    expect(refusal(() => keyProviderSettings(id, config))).toMatchObject({ field });
  });
  it("an aes-generated key keeps the file's secret and kid; a bad secret is refused", async () => {
    const aes = keyProvider('aes-generated');
    if (aes.kind !== 'local') throw new Error('aes-generated is local');
    const secret = Buffer.alloc(16, 3).toString('base64url');
    const key = await aes.createKey(
      keyProviderSettings('aes-generated', { secret: [secret], kid: ['k-1'] }),
    );
    expect(key).toMatchObject({ kid: 'k-1', alg: 'AES', use: 'enc', publicJwk: null });
    expect(key.privateKey.toString('base64url')).toBe(secret);
    await expect(
      aes.createKey(
        keyProviderSettings('aes-generated', { secret: [Buffer.alloc(20).toString('base64url')] }),
      ),
    ).rejects.toMatchObject({ field: 'secret' });
    expect(
      (await aes.createKey(keyProviderSettings('aes-generated', { secretSize: ['24'] })))
        .privateKey,
    ).toHaveLength(24);
  });
});

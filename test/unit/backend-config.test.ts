/**
 * The operator's back-end declaration (KEY_BACKENDS / KEY_BACKENDS_FILE, docs/backends.md) and
 * what a realm's component may say about a back end: pure checks, no server, no Vault, no HSM.
 */
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pkcs11js from 'pkcs11js';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { BackendRefusedError, Backends } from '../../src/signer/backends.ts';
import { signerFor } from '../../src/keys/signers.ts';
import { keyProviderSettings, ComponentError } from '../../src/keys/providers.ts';
import type { KeyRecord } from '../../src/keys/repository.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'qsign-backends-'));
const vault = {
  type: 'vault-transit',
  address: 'https://vault:8200',
  auth: { method: 'approle', roleId: 'r', secretIdFile: '/run/secrets/sid' },
  realms: ['*'],
};
const hsm = {
  type: 'pkcs11',
  module: '/usr/lib/softhsm/libsofthsm2.so',
  tokenLabel: 'qsign',
  pinFile: '/run/secrets/pin',
  realms: ['demo'],
};
const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: dir, ...env });
const problems = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('back-end declaration', () => {
  it('reads KEY_BACKENDS inline or from KEY_BACKENDS_FILE, with the defaults filled in', () => {
    const inline = load({ KEY_BACKENDS: JSON.stringify({ 'vault-prod': vault, hsm }) }).keyBackends;
    expect(inline['vault-prod']).toMatchObject({
      mount: 'transit',
      timeoutMs: 5000,
      breakerResetMs: 5000,
      auth: { approleMount: 'approle' },
    });
    expect(inline.hsm).toMatchObject({ sessions: 4, realms: ['demo'] });
    const file = path.join(dir, 'backends.json');
    writeFileSync(file, JSON.stringify({ hsm }));
    expect(load({ KEY_BACKENDS_FILE: file }).keyBackends).toEqual({ hsm: { ...hsm, sessions: 4 } });
    expect(load({}).keyBackends).toEqual({});
  });

  it('stops the process with a message naming the variable and the JSON path', () => {
    expect(
      problems({
        KEY_BACKENDS: JSON.stringify({
          'vault-prod': { ...vault, auth: { method: 'approle', secretIdFile: '/x' } },
        }),
      }),
    ).toMatch(/KEY_BACKENDS: vault-prod\.auth\.roleId: /);
    expect(problems({ KEY_BACKENDS: JSON.stringify({ hsm: { ...hsm, sessions: 0 } }) })).toMatch(
      /KEY_BACKENDS: hsm\.sessions: /,
    );
    expect(problems({ KEY_BACKENDS: JSON.stringify({ hsm: { ...hsm, slot: 1 } }) })).toMatch(
      /KEY_BACKENDS: hsm: needs exactly one of tokenLabel, slot/,
    );
    expect(
      problems({
        KEY_BACKENDS: JSON.stringify({
          v: { ...vault, auth: { method: 'token', tokenEnv: 'A', tokenFile: '/b' } },
        }),
      }),
    ).toMatch(/KEY_BACKENDS: v\.auth: token auth needs exactly one of tokenFile, tokenEnv/);
    expect(problems({ KEY_BACKENDS: JSON.stringify({ v: { ...vault, adress: 'typo' } }) })).toMatch(
      /KEY_BACKENDS: v: Unrecognized key: "adress"/,
    );
    expect(
      problems({
        KEY_BACKENDS: JSON.stringify({ v: { ...vault, address: 'file:///etc/passwd' } }),
      }),
    ).toMatch(/KEY_BACKENDS: v\.address: /);
    expect(problems({ KEY_BACKENDS: '{not json' })).toMatch(/KEY_BACKENDS: not valid JSON: /);
    expect(problems({ KEY_BACKENDS_FILE: path.join(dir, 'missing.json') })).toMatch(
      /KEY_BACKENDS_FILE: cannot read .*missing\.json \(ENOENT\)/,
    );
    expect(problems({ KEY_BACKENDS: '{}', KEY_BACKENDS_FILE: '/x' })).toMatch(
      /set one of them, not both/,
    );
  });

  it('gives a realm only a back end declared for it, of the type asked for, with one text for every refusal', () => {
    const backends = new Backends(
      load({ KEY_BACKENDS: JSON.stringify({ 'vault-prod': vault, hsm }) }).keyBackends,
    );
    expect(backends.declaration('vault-prod', 'vault-transit', 'any-realm').address).toBe(
      'https://vault:8200',
    );
    expect(backends.declaration('hsm', 'pkcs11', 'demo').module).toBe(hsm.module);
    const refusals = [
      ['hsm', 'pkcs11', 'master'],
      ['vault-prod', 'pkcs11', 'demo'],
      ['nope', 'pkcs11', 'demo'],
      ['__proto__', 'pkcs11', 'demo'],
      ['toString', 'pkcs11', 'demo'],
    ] as const;
    for (const [name, type, realm] of refusals) {
      expect(() => backends.declaration(name, type, realm)).toThrow(
        new BackendRefusedError(name, type),
      );
    }
  });
});

describe('a component names a back end, never its settings', () => {
  it.each([
    'address',
    'tokenEnv',
    'tokenFile',
    'roleId',
    'secretIdEnv',
    'mount',
    'caCertFile',
    'timeoutMs',
    'namespace',
    'authMethod',
    'approleMount',
    'breakerResetMs',
    'secretIdFile',
  ])('vault-transit config.%s is refused naming it', (field) => {
    expect(() =>
      keyProviderSettings('vault-transit', { backend: ['v'], keyName: ['k'], [field]: ['x'] }),
    ).toThrow(expect.objectContaining({ field }) as Error);
  });

  it.each([
    'modulePath',
    'module',
    'tokenLabel',
    'slot',
    'pinEnv',
    'pinFile',
    'sessions',
    'somethingElse',
  ])('pkcs11 config.%s is refused naming it', (field) => {
    let err: unknown;
    try {
      keyProviderSettings('pkcs11', { backend: ['hsm'], keyId: ['01'], [field]: ['x'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ComponentError);
    expect(err).toMatchObject({ field, status: 400 });
  });

  it('the signer factory never loads a library named by a component: a stored one with modulePath fails closed, nothing loaded', () => {
    const spy = vi.spyOn(pkcs11js.PKCS11.prototype, 'load');
    try {
      const record = {
        kid: 'pkcs11-01-abcdef12',
        realmId: 'r',
        alg: 'RS256',
        providerId: 'pkcs11',
        priority: 1,
        status: 'ACTIVE',
        componentId: 'c',
        privateKey: undefined,
        backend: 'pkcs11',
        backendRef: { keyId: '01', mode: 'native' },
        publicJwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
        createdAt: new Date(),
        activateAt: null,
        retireAt: null,
        publishedAt: null,
      } satisfies KeyRecord;
      const legacy = {
        id: 'c',
        name: 'old',
        providerId: 'pkcs11',
        providerType: 'org.keycloak.keys.KeyProvider',
        parentId: 'r',
        config: { modulePath: ['/tmp/evil.so'], tokenLabel: ['t'], pinEnv: ['X'], keyId: ['01'] },
      };
      const backends = { backends: new Backends({}), realm: 'demo' };
      expect(() =>
        signerFor(record, {
          kek: Buffer.alloc(32),
          components: new Map([['c', legacy]]),
          byKid: () => undefined,
          backends,
        }),
      ).toThrow(
        /carries its back end's settings inline \(modulePath, tokenLabel, pinEnv\), which are no longer acted upon/,
      );
      // Even with a declared back end named as well: the inline settings make it a stored legacy component.
      expect(() =>
        signerFor(record, {
          kek: Buffer.alloc(32),
          components: new Map([
            ['c', { ...legacy, config: { ...legacy.config, backend: ['hsm'] } }],
          ]),
          byKid: () => undefined,
          backends,
        }),
      ).toThrow(/no longer acted upon/);
      expect(() =>
        signerFor(record, {
          kek: Buffer.alloc(32),
          components: new Map([['c', { ...legacy, config: { backend: ['hsm'], keyId: ['01'] } }]]),
          byKid: () => undefined,
          backends,
        }),
      ).toThrow(BackendRefusedError);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

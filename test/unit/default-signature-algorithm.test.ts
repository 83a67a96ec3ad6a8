/**
 * A realm file without `defaultSignatureAlgorithm` gets RS256 (Keycloak's default,
 * Constants.DEFAULT_SIGNATURE_ALGORITHM) unless the operator's DEFAULT_SIGNATURE_ALGORITHM names
 * another; a file that names one keeps it. The setting is validated at start.
 */
import { describe, expect, it } from 'vitest';
import { parseRealm } from '../../src/realm/import.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';

const KEK = Buffer.alloc(32, 1).toString('base64');
const env = (extra: Record<string, string>) => ({
  DATA_DIR: mkdtempSync(path.join(tmpdir(), 'qsign-alg-')),
  KEY_ENCRYPTION_KEY: KEK,
  ...extra,
});

describe('default signature algorithm', () => {
  it("is RS256 where the file names none, the server setting where set, the file's own otherwise", () => {
    expect(parseRealm({ realm: 'a' }, 'a.json', {}).defaultSignatureAlgorithm).toBe('RS256');
    expect(
      parseRealm({ realm: 'a' }, 'a.json', { DEFAULT_SIGNATURE_ALGORITHM: 'ML-DSA-65' })
        .defaultSignatureAlgorithm,
    ).toBe('ML-DSA-65');
    expect(
      parseRealm({ realm: 'a', defaultSignatureAlgorithm: 'PS256' }, 'a.json', {
        DEFAULT_SIGNATURE_ALGORITHM: 'ML-DSA-65',
      }).defaultSignatureAlgorithm,
    ).toBe('PS256');
  });

  it('DEFAULT_SIGNATURE_ALGORITHM must be an asymmetric alg the server supports', () => {
    expect(
      loadConfig(env({ DEFAULT_SIGNATURE_ALGORITHM: 'ML-DSA-87' })).defaultSignatureAlgorithm,
    ).toBe('ML-DSA-87');
    expect(loadConfig(env({})).defaultSignatureAlgorithm).toBe('RS256');
    for (const bad of ['HS256', 'none', 'RSA-OAEP'])
      expect(() => loadConfig(env({ DEFAULT_SIGNATURE_ALGORITHM: bad }))).toThrow(
        /DEFAULT_SIGNATURE_ALGORITHM: must be an asymmetric signing algorithm/,
      );
  });
});

/**
 * Keycloak's kid (KeyUtils.createKeyId: Base64Url.encode(SHA-256(publicKey.getEncoded())), where
 * getEncoded() of a Java RSAPublicKey is the X.509 SubjectPublicKeyInfo DER) against a value
 * computed by openssl, not by our code; and the export forms of keycloak-material.ts.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { keycloakKeyId } from '../../src/keys/keycloak-kid.ts';
import { keycloakRsaPrivateKey, keycloakSecret } from '../../src/keys/keycloak-material.ts';
import { ComponentError } from '../../src/keys/component-model.ts';

describe('Keycloak key material', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
  // `openssl rsa -pubout -outform DER` writes the SubjectPublicKeyInfo; `openssl dgst -sha256 -binary` hashes it.
  const spki = execFileSync('openssl', ['rsa', '-pubout', '-outform', 'DER'], {
    input: pem,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const expected = execFileSync('openssl', ['dgst', '-sha256', '-binary'], {
    input: spki,
  }).toString('base64url');

  it('computes the kid as Keycloak does, from the private or the public key', () => {
    expect(keycloakKeyId(privateKey)).toBe(expected);
    expect(keycloakKeyId(keycloakRsaPrivateKey(pem))).toBe(expected);
  });

  it('reads base64 PKCS#1 and PKCS#8 DER without armour, and PEM', () => {
    const pkcs1 = privateKey.export({ format: 'der', type: 'pkcs1' }).toString('base64');
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    for (const text of [
      pkcs1,
      pkcs8,
      pem,
      privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    ])
      expect(keycloakKeyId(keycloakRsaPrivateKey(text))).toBe(expected);
  });

  it('refuses what is not an RSA private key, naming the field', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'der', type: 'pkcs8' })
      .toString('base64');
    for (const text of ['not a key', ec])
      expect(() => keycloakRsaPrivateKey(text)).toThrow(
        expect.objectContaining({ field: 'privateKey' }) as ComponentError,
      );
  });

  it('reads a base64url secret as Keycloak exports it and refuses a short or malformed one', () => {
    expect(keycloakSecret('dVVhOm3O4JSTkf3rN8TOFw')).toHaveLength(16);
    expect(() => keycloakSecret('short')).toThrow(/at least 16 bytes/);
    expect(() => keycloakSecret('not base64url!')).toThrow(/base64url/);
  });
});

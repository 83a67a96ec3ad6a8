/**
 * Key material in the forms Keycloak writes to a realm export: RSA private keys as base64 DER,
 * PKCS#1 (`RSAPrivateKey`, what `PemUtils.encodeKey` writes for rsa-generated/rsa-enc-generated) or
 * PKCS#8, without PEM armour, or as PEM; certificates as base64 DER (`PemUtils.encodeCertificate`)
 * or PEM; HMAC/AES secrets as base64url (GeneratedSecretKeyProvider's `secret`). Parsing only,
 * through node:crypto; no I/O.
 */
import {
  createPrivateKey,
  createPublicKey,
  X509Certificate,
  createHash,
  KeyObject,
} from 'node:crypto';
import type { JWK } from 'jose';
import { ComponentError } from './component-model.ts';

const stripPem = (text: string) =>
  text.replace(/-----(BEGIN|END)[^-]*-----/g, '').replace(/\s+/g, '');

/**
 * An RSA private key from Keycloak's `privateKey` config.
 * @throws ComponentError (field privateKey) for anything that is not an RSA private key.
 */
export function keycloakRsaPrivateKey(text: string): KeyObject {
  const attempts: (() => KeyObject)[] = text.includes('-----BEGIN')
    ? [() => createPrivateKey(text)]
    : [
        () =>
          createPrivateKey({
            key: Buffer.from(stripPem(text), 'base64'),
            format: 'der',
            type: 'pkcs1',
          }),
        () =>
          createPrivateKey({
            key: Buffer.from(stripPem(text), 'base64'),
            format: 'der',
            type: 'pkcs8',
          }),
      ];
  for (const attempt of attempts) {
    try {
      const key = attempt();
      if (key.asymmetricKeyType === 'rsa') return key;
    } catch {
      // next form
    }
  }
  throw new ComponentError(
    'config.privateKey is not an RSA private key (PEM, or base64 PKCS#1 / PKCS#8 DER as Keycloak exports it)',
    'privateKey',
  );
}

/** A certificate as published in a JWK (RFC 7517 §4.7 `x5c`, §4.9 `x5t#S256`). */
export interface CertificateFields {
  x5c: string[];
  'x5t#S256': string;
}

/**
 * The JWK certificate fields of Keycloak's `certificate` config (base64 DER or PEM), checked against
 * the key's public half (Keycloak's ImportedRsaKeyProviderFactory refuses a certificate that does
 * not match the private key).
 * @throws ComponentError (field certificate) for a malformed or mismatching certificate.
 */
export function keycloakCertificate(text: string, privateKey: KeyObject): CertificateFields {
  return certificateFields(text, createPublicKey(privateKey));
}

/**
 * The JWK certificate fields of a certificate (base64 DER or PEM) for the public key `publicKey`
 * (a KeyObject or a public JWK).
 * @throws ComponentError (field certificate) for a malformed certificate or one of another key.
 */
export function certificateFields(text: string, publicKey: KeyObject | JWK): CertificateFields {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(stripPem(text), 'base64'));
  } catch {
    throw new ComponentError(
      'config.certificate is not an X.509 certificate (PEM, or base64 DER as Keycloak exports it)',
      'certificate',
    );
  }
  const key: KeyObject =
    publicKey instanceof KeyObject
      ? publicKey
      : createPublicKey({ key: publicKey as never, format: 'jwk' });
  const spki = (k: KeyObject) => k.export({ format: 'der', type: 'spki' });
  if (!spki(cert.publicKey).equals(spki(key)))
    throw new ComponentError('config.certificate does not match config.privateKey', 'certificate');
  return {
    x5c: [cert.raw.toString('base64')],
    'x5t#S256': createHash('sha256').update(cert.raw).digest('base64url'),
  };
}

/**
 * A secret from Keycloak's `secret` config (base64url, as GeneratedSecretKeyProvider stores it).
 * @throws ComponentError (field secret) when it is empty or not base64url.
 */
export function keycloakSecret(text: string): Buffer {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(text))
    throw new ComponentError('config.secret must be base64url, as Keycloak exports it', 'secret');
  const secret = Buffer.from(text, 'base64url');
  if (secret.length < 16)
    throw new ComponentError('config.secret must be at least 16 bytes', 'secret');
  return secret;
}

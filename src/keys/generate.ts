/**
 * Key generation for the local back end, one function per Keycloak key provider type:
 * `ml-dsa-generated` (ML-DSA-44/65/87: a random 32-byte seed, RFC 9964 `priv`),
 * `rsa-generated` (RSA 2048, Keycloak's default size, PKCS#8 DER), `hmac-generated`
 * (HS512: 64 random bytes, Keycloak's default secret size for HS512).
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

export interface GeneratedKey {
  kid: string;
  alg: string;
  providerId: string;
  /** Private material in the LocalSigner's input form (seed, PKCS#8 DER, or secret). */
  privateKey: Buffer;
}

export function generateKey(alg: string): GeneratedKey {
  const kid = randomUUID();
  if (/^ML-DSA-(44|65|87)$/.test(alg)) return { kid, alg, providerId: 'ml-dsa-generated', privateKey: randomBytes(32) };
  if (/^(RS|PS)(256|384|512)$/.test(alg)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { kid, alg, providerId: 'rsa-generated', privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }) };
  }
  if (/^ES(256|384|512)$/.test(alg)) {
    const namedCurve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg]!;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve });
    return { kid, alg, providerId: 'ecdsa-generated', privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }) };
  }
  if (/^HS(256|384|512)$/.test(alg)) return { kid, alg, providerId: 'hmac-generated', privateKey: randomBytes(Number(alg.slice(2)) / 8) };
  throw new Error(`no key generator for alg ${alg}`);
}

/** Keys every new realm gets: ML-DSA-65 (our default), RS256 (Keycloak's default) and HS512 (refresh tokens). */
export const DEFAULT_REALM_KEY_ALGS = ['ML-DSA-65', 'RS256', 'HS512'] as const;

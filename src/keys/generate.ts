/**
 * Key generation for the local back end. The provider id names the Keycloak key provider type
 * that owns the key: `ml-dsa-generated` (ML-DSA-44/65/87, DILITHIUM3), `composite-generated`
 * (ML-DSA-65 + RSA-3072 or ECDSA P-256), `rsa-generated` (RSA 2048, Keycloak's default size),
 * `ecdsa-generated`, `eddsa-generated`, `hmac-generated`.
 */
import { randomUUID } from 'node:crypto';
import { jwsAlgorithm } from '../jose/algorithms.ts';

export interface GeneratedKey {
  kid: string;
  alg: string;
  providerId: string;
  /** Private material in the registry's form for `alg`. */
  privateKey: Buffer;
}

export function providerIdFor(alg: string): string {
  if (/^(ML-DSA-(44|65|87)|DILITHIUM3)$/.test(alg)) return 'ml-dsa-generated';
  if (alg.includes('-') && alg.startsWith('ML-DSA-65-')) return 'composite-generated';
  if (/^(RS|PS)/.test(alg)) return 'rsa-generated';
  if (alg.startsWith('ES')) return 'ecdsa-generated';
  if (alg === 'EdDSA') return 'eddsa-generated';
  return 'hmac-generated';
}

/** @param options.rsaBits RSA modulus size (Keycloak's `keySize`), default 2048. @throws JwkError for an unsupported alg. */
export async function generateKey(
  alg: string,
  options?: { rsaBits?: number },
): Promise<GeneratedKey> {
  return {
    kid: randomUUID(),
    alg,
    providerId: providerIdFor(alg),
    privateKey: await jwsAlgorithm(alg).generate(options),
  };
}

/** Keys every new realm gets: ML-DSA-65 (our default), RS256 (Keycloak's default) and HS512 (refresh tokens). */
export const DEFAULT_REALM_KEY_ALGS = ['ML-DSA-65', 'RS256', 'HS512'] as const;

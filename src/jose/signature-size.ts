/**
 * The size a JWS signature must have for its alg and key, checked before the signature is, so a
 * wrong one is named instead of a generic failure: the expected and actual byte counts, and the
 * algorithm family a foreign post-quantum size belongs to (a 3,309-byte signature under
 * DILITHIUM3 is FIPS 204 ML-DSA-65's, a 3,293-byte one under ML-DSA-65 is round-3 Dilithium3's,
 * the mix-up of issue 19). Sizes in bytes:
 * - ML-DSA-44/65/87: 2,420 / 3,309 / 4,627 (FIPS 204 Table 2); DILITHIUM3: 3,293 (CRYSTALS-Dilithium
 *   round 3 specification 3.1, Table 2).
 * - ES256/384/512: 64 / 96 / 132, r‖s (RFC 7518 §3.4); EdDSA: 64 (Ed25519) or 114 (Ed448) (RFC 8032).
 * - RS*, PS*: the modulus length of the key's `n` (RFC 8017 §8.1.1, §8.2.1).
 * - Composites (jose/composite.ts): ML-DSA-65's 3,309 followed by the traditional half: RSA-3072 384
 *   bytes, or ECDSA P-256 in DER, 8 to 72 bytes.
 */
import type { JWK } from 'jose';
import { ML_DSA_SIZES } from './ml-dsa.ts';
import { DILITHIUM3_SIZES } from './dilithium3.ts';

/** Post-quantum signature sizes and what they are, for naming a signature of another family. */
const PQ_FAMILIES: Record<number, string> = {
  [ML_DSA_SIZES['ML-DSA-44'].signature]: 'ML-DSA-44',
  [ML_DSA_SIZES['ML-DSA-65'].signature]: 'ML-DSA-65',
  [ML_DSA_SIZES['ML-DSA-87'].signature]: 'ML-DSA-87',
  [DILITHIUM3_SIZES.signature]: 'DILITHIUM3 (round 3)',
};
const FAMILY_OF: Record<string, string> = {
  'ML-DSA-44': 'FIPS 204 ML-DSA-44',
  'ML-DSA-65': 'FIPS 204 ML-DSA-65',
  'ML-DSA-87': 'FIPS 204 ML-DSA-87',
  DILITHIUM3: 'CRYSTALS-Dilithium round 3 Dilithium3',
};
const ECDSA: Record<string, number> = { ES256: 64, ES384: 96, ES512: 132 };
const ML_DSA_65 = ML_DSA_SIZES['ML-DSA-65'].signature;

/** [min, max] bytes a signature of `alg` under `jwk` may have; undefined when the alg has no known size. */
function expectedRange(alg: string, jwk: JWK): [number, number] | undefined {
  if (alg in ML_DSA_SIZES)
    return [
      ML_DSA_SIZES[alg as keyof typeof ML_DSA_SIZES].signature,
      ML_DSA_SIZES[alg as keyof typeof ML_DSA_SIZES].signature,
    ];
  if (alg === 'DILITHIUM3') return [DILITHIUM3_SIZES.signature, DILITHIUM3_SIZES.signature];
  if (alg in ECDSA) return [ECDSA[alg], ECDSA[alg]];
  if (alg === 'EdDSA') return jwk.crv === 'Ed448' ? [114, 114] : [64, 64];
  if (/^(RS|PS)(256|384|512)$/.test(alg) && typeof jwk.n === 'string') {
    const bytes = Buffer.from(jwk.n, 'base64url').length;
    return [bytes, bytes];
  }
  if (/^ML-DSA-65-(RS|PS)256$/.test(alg)) return [ML_DSA_65 + 384, ML_DSA_65 + 384];
  if (alg === 'ML-DSA-65-ES256') return [ML_DSA_65 + 8, ML_DSA_65 + 72];
  return undefined;
}

/**
 * Why `signature` cannot be a signature of `alg` under `jwk` by its size alone; undefined when the
 * size fits (the signature itself is still to be verified).
 * @returns e.g. "ML-DSA-65 signature under DILITHIUM3: ..." or "ES256 signature must be 64 bytes, got 63".
 */
export function signatureSizeProblem(
  alg: string,
  jwk: JWK,
  signature: Uint8Array,
): string | undefined {
  const range = expectedRange(alg, jwk);
  if (!range) return undefined;
  const [min, max] = range;
  const actual = signature.length;
  if (actual >= min && actual <= max) return undefined;
  const expected = min === max ? `${min} bytes` : `${min} to ${max} bytes`;
  const other = PQ_FAMILIES[actual];
  if (other && FAMILY_OF[alg]) {
    return `${other} signature under ${alg}: ${actual} bytes is the size of a ${other} signature; ${alg} (${FAMILY_OF[alg]}) signatures are ${expected}`;
  }
  return `${alg} signature must be ${expected}, got ${actual}`;
}

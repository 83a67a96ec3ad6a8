/**
 * An independent reference of the composite ML-DSA construction (draft-ietf-lamps-pq-composite-sigs,
 * "Composite-ML-DSA.Verify"), written for the tests only, with @noble/post-quantum for the ML-DSA
 * half and node:crypto for the traditional half. It shares no code with src/.
 */
import { createHash, createPublicKey, verify, constants } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';

export const LABELS: Record<string, string> = {
  'ML-DSA-65-RS256': 'COMPSIG-MLDSA65-RSA3072-PKCS15-SHA512',
  'ML-DSA-65-PS256': 'COMPSIG-MLDSA65-RSA3072-PSS-SHA512',
  'ML-DSA-65-ES256': 'COMPSIG-MLDSA65-ECDSA-P256-SHA512',
};

export function referenceMPrime(
  label: string,
  message: Uint8Array,
  ctx: Uint8Array = new Uint8Array(),
): Buffer {
  return Buffer.concat([
    Buffer.from('CompositeAlgorithmSignatures2025'),
    Buffer.from(label),
    Buffer.of(ctx.length),
    ctx,
    createHash('sha512').update(message).digest(),
  ]);
}

interface Jwk {
  kty: string;
  alg: string;
  pub?: string;
}

/** Returns [mlDsaValid, traditionalValid] for a composite JWS signature over `input`. */
export function referenceCompositeVerify(
  alg: string,
  jwk: Jwk,
  input: Uint8Array,
  signature: Uint8Array,
): [boolean, boolean] {
  const label = LABELS[alg];
  const mPrime = referenceMPrime(label, input);
  // AKP only: the OQS form of the withdrawn DILITHIUM3-RS256 / -PS256 is gone (docs/algorithms.md).
  const pub = Buffer.from(jwk.pub!, 'base64url');
  const mldsaPk = pub.subarray(0, 1952);
  const rest = pub.subarray(1952);
  const trad = alg.endsWith('ES256')
    ? createPublicKey({
        key: {
          kty: 'EC',
          crv: 'P-256',
          x: rest.subarray(1, 33).toString('base64url'),
          y: rest.subarray(33).toString('base64url'),
        },
        format: 'jwk',
      })
    : createPublicKey({ key: rest, format: 'der', type: 'pkcs1' });
  const sig = Buffer.from(signature);
  const mldsaOk = ml_dsa65.verify(sig.subarray(0, 3309), mPrime, mldsaPk, {
    context: Buffer.from(label),
  });
  const tradSig = sig.subarray(3309);
  const options = alg.endsWith('PS256')
    ? { key: trad, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
    : alg.endsWith('ES256')
      ? { key: trad, dsaEncoding: 'der' as const }
      : trad;
  let tradOk = false;
  try {
    tradOk = verify('sha256', mPrime, options, tradSig);
  } catch {
    tradOk = false;
  }
  return [mldsaOk, tradOk];
}

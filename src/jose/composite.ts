/**
 * Composite ML-DSA signatures, the construction of draft-ietf-lamps-pq-composite-sigs
 * (section "Composite-ML-DSA.Sign"), used by the JWS algorithms `ML-DSA-65-RS256`,
 * `DILITHIUM3-RS256`, `ML-DSA-65-PS256`, `DILITHIUM3-PS256` (RSA-3072; JOSE defines no RSA
 * composite, so these names are ours) and `ML-DSA-65-ES256` (draft-ietf-jose-pq-composite-sigs):
 *
 *   M'  = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ SHA-512(M)      (ctx empty, so len(ctx) = 0x00)
 *   sig = ML-DSA-65.Sign(sk1, M', ctx = Label) ‖ Trad.Sign(sk2, M')
 *
 * Both halves must verify. The traditional half is RSASSA-PKCS1-v1_5 or RSASSA-PSS (SHA-256,
 * MGF1-SHA-256, 32-byte salt) over M', or ECDSA P-256 with SHA-256 over M', DER-encoded.
 * Sizes in bytes: ML-DSA-65 signature 3,309; RSA-3072 signature 384; ECDSA DER 70 to 72.
 */
import { createHash, constants, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const signAsync = promisify(nodeSign);
const verifyAsync = promisify(nodeVerify);

export const COMPOSITE_PREFIX = Buffer.from('CompositeAlgorithmSignatures2025', 'ascii');
export const ML_DSA_65_SIGNATURE_BYTES = 3309;

export type TraditionalKind = 'RSA-PKCS15' | 'RSA-PSS' | 'ECDSA-P256';

export const COMPOSITE_LABELS: Record<TraditionalKind, string> = {
  'RSA-PKCS15': 'COMPSIG-MLDSA65-RSA3072-PKCS15-SHA512',
  'RSA-PSS': 'COMPSIG-MLDSA65-RSA3072-PSS-SHA512',
  'ECDSA-P256': 'COMPSIG-MLDSA65-ECDSA-P256-SHA512',
};

/** M' of the LAMPS construction for an empty context. */
export function messageRepresentative(kind: TraditionalKind, message: Uint8Array): Buffer {
  return Buffer.concat([COMPOSITE_PREFIX, Buffer.from(COMPOSITE_LABELS[kind], 'ascii'), Buffer.of(0), createHash('sha512').update(message).digest()]);
}

function traditionalOptions(kind: TraditionalKind, key: KeyObject) {
  if (kind === 'RSA-PSS') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  if (kind === 'ECDSA-P256') return { key, dsaEncoding: 'der' as const };
  return { key, padding: constants.RSA_PKCS1_PADDING };
}

export interface CompositePrivateKey {
  kind: TraditionalKind;
  /** node:crypto ML-DSA-65 private key (from the seed). */
  mlDsa: KeyObject;
  traditional: KeyObject;
}

/**
 * Signs `message` (the JWS signing input). Both halves run on libuv's thread pool at the same
 * time (node:crypto's asynchronous sign), so a composite costs about the slower half.
 */
export async function compositeSign(key: CompositePrivateKey, message: Uint8Array): Promise<Buffer> {
  const mPrime = messageRepresentative(key.kind, message);
  const label = Buffer.from(COMPOSITE_LABELS[key.kind], 'ascii');
  const [mlDsaSig, tradSig] = await Promise.all([
    signAsync(null, mPrime, { key: key.mlDsa, context: label } as never),
    signAsync('sha256', mPrime, traditionalOptions(key.kind, key.traditional) as never),
  ]);
  return Buffer.concat([mlDsaSig, tradSig]);
}

export interface CompositePublicKey {
  kind: TraditionalKind;
  mlDsa: KeyObject;
  traditional: KeyObject;
}

/** Why a composite signature failed, or undefined when both halves verify. */
export async function compositeVerify(key: CompositePublicKey, message: Uint8Array, signature: Uint8Array): Promise<string | undefined> {
  if (signature.length <= ML_DSA_65_SIGNATURE_BYTES) return 'composite signature too short';
  const sig = Buffer.from(signature);
  const mPrime = messageRepresentative(key.kind, message);
  const label = Buffer.from(COMPOSITE_LABELS[key.kind], 'ascii');
  const [mlDsaOk, tradOk] = await Promise.all([
    verifyAsync(null, mPrime, { key: key.mlDsa, context: label } as never, sig.subarray(0, ML_DSA_65_SIGNATURE_BYTES)),
    verifyAsync('sha256', mPrime, traditionalOptions(key.kind, key.traditional) as never, sig.subarray(ML_DSA_65_SIGNATURE_BYTES)).catch(() => false),
  ]);
  if (!mlDsaOk && !tradOk) return 'both composite signature halves are invalid';
  if (!mlDsaOk) return 'the ML-DSA half of the composite signature is invalid';
  if (!tradOk) return 'the traditional half of the composite signature is invalid';
  return undefined;
}

/**
 * Composite ML-DSA signatures, the construction of draft-ietf-lamps-pq-composite-sigs
 * (section "Composite-ML-DSA.Sign"), used by the JWS algorithms `ML-DSA-65-RS256`,
 * `ML-DSA-65-PS256` (RSA-3072; JOSE defines no RSA composite, so these names are ours) and
 * `ML-DSA-65-ES256` (draft-ietf-jose-pq-composite-sigs).
 *
 * `DILITHIUM3-RS256` / `DILITHIUM3-PS256` are withdrawn: they were this construction with the
 * ML-DSA-65 half in an OQS JWK, and the construction needs FIPS 204's context string (ctx = Label),
 * which CRYSTALS-Dilithium round 3 (what DILITHIUM3 now is) does not have; a round-3 variant would
 * be a construction of our own that no verifier implements. Keys stored under those names are
 * renamed ML-DSA-65-RS256 / -PS256 by migration 12 (the same bytes sign the same signatures).
 * The construction:
 *
 *   M'  = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ SHA-512(M)      (ctx empty, so len(ctx) = 0x00)
 *   sig = ML-DSA-65.Sign(sk1, M', ctx = Label) ‖ Trad.Sign(sk2, M')
 *
 * Both halves must verify. The traditional half is RSASSA-PKCS1-v1_5 or RSASSA-PSS (SHA-256,
 * MGF1-SHA-256, 32-byte salt) over M', or ECDSA P-256 with SHA-256 over M', DER-encoded.
 * Sizes in bytes: ML-DSA-65 signature 3,309; RSA-3072 signature 384; ECDSA DER 70 to 72.
 */
import {
  createHash,
  createPublicKey,
  constants,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import type { JWK } from 'jose';
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

export const COMPOSITE_MEMBERS: Record<
  string,
  { mlDsa: 'ML-DSA-65'; traditional: string; kind: TraditionalKind }
> = {
  'ML-DSA-65-RS256': { mlDsa: 'ML-DSA-65', traditional: 'RS256', kind: 'RSA-PKCS15' },
  'ML-DSA-65-PS256': { mlDsa: 'ML-DSA-65', traditional: 'PS256', kind: 'RSA-PSS' },
  'ML-DSA-65-ES256': { mlDsa: 'ML-DSA-65', traditional: 'ES256', kind: 'ECDSA-P256' },
};

/** DER Ecdsa-Sig-Value from JWS r‖s (RFC 3279 / SEC 1): two minimal INTEGERs in a SEQUENCE. */
export function ecdsaRawToDer(raw: Uint8Array): Buffer {
  const half = raw.length / 2;
  const integer = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i += 1;
    const trimmed = Buffer.from(bytes.subarray(i));
    const body = trimmed[0] & 0x80 ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed;
    return Buffer.concat([Buffer.of(0x02, body.length), body]);
  };
  const content = Buffer.concat([integer(raw.subarray(0, half)), integer(raw.subarray(half))]);
  return Buffer.concat([Buffer.of(0x30, content.length), content]);
}

/**
 * The composite's public JWK (`{"kty":"AKP","alg","pub"}`, pub = ML-DSA-65 key ‖ traditional key)
 * from its members' public JWKs (docs/algorithms.md).
 * @throws Error when the ML-DSA member is not an AKP ML-DSA-65 key (a DILITHIUM3 key cannot be a member).
 */
export function compositePublicJwk(alg: string, mlDsa: JWK, traditional: JWK): JWK {
  const spec = COMPOSITE_MEMBERS[alg];
  if (mlDsa.kty !== 'AKP' || (mlDsa.alg !== undefined && mlDsa.alg !== 'ML-DSA-65'))
    throw new Error(
      `the ML-DSA member of ${alg} must be an ML-DSA-65 (AKP) key, got ${mlDsa.alg ?? mlDsa.kty}`,
    );
  const mlDsaPub = Buffer.from(mlDsa.pub as string, 'base64url');
  const tradBytes =
    spec.kind === 'ECDSA-P256'
      ? Buffer.concat([
          Buffer.of(4),
          Buffer.from(traditional.x as string, 'base64url'),
          Buffer.from(traditional.y as string, 'base64url'),
        ])
      : rsaPublicKeyDer(traditional);
  return { kty: 'AKP', alg, pub: Buffer.concat([mlDsaPub, tradBytes]).toString('base64url') };
}

function rsaPublicKeyDer(jwk: JWK): Buffer {
  return createPublicKey({
    key: { kty: 'RSA', n: jwk.n, e: jwk.e },
    format: 'jwk',
  } as never).export({ format: 'der', type: 'pkcs1' });
}

/** M' of the LAMPS construction for an empty context. */
export function messageRepresentative(kind: TraditionalKind, message: Uint8Array): Buffer {
  return Buffer.concat([
    COMPOSITE_PREFIX,
    Buffer.from(COMPOSITE_LABELS[kind], 'ascii'),
    Buffer.of(0),
    createHash('sha512').update(message).digest(),
  ]);
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
 * The two halves of a composite key, wherever they are: the ML-DSA-65 half signs M' with a FIPS 204
 * context string; the traditional half signs M' (RSA: the signature; ECDSA: DER-encoded).
 */
export interface CompositeHalves {
  mlDsa(mPrime: Buffer, context: Buffer): Promise<Uint8Array>;
  traditional(mPrime: Buffer): Promise<Uint8Array>;
}

/**
 * Signs `message` (the JWS signing input) with both halves at the same time, so a composite costs
 * about the slower half: ML-DSA-65(M', ctx = label) ‖ traditional(M').
 */
export async function compositeSign(
  kind: TraditionalKind,
  halves: CompositeHalves,
  message: Uint8Array,
): Promise<Buffer> {
  const mPrime = messageRepresentative(kind, message);
  const [mlDsaSig, tradSig] = await Promise.all([
    halves.mlDsa(mPrime, Buffer.from(COMPOSITE_LABELS[kind], 'ascii')),
    halves.traditional(mPrime),
  ]);
  return Buffer.concat([mlDsaSig, tradSig]);
}

/** Halves of a local composite key: node:crypto on libuv's thread pool. */
export function localHalves(key: CompositePrivateKey): CompositeHalves {
  return {
    mlDsa: (mPrime, context) => signAsync(null, mPrime, { key: key.mlDsa, context } as never),
    traditional: (mPrime) =>
      signAsync('sha256', mPrime, traditionalOptions(key.kind, key.traditional) as never),
  };
}

export interface CompositePublicKey {
  kind: TraditionalKind;
  mlDsa: KeyObject;
  traditional: KeyObject;
}

/** Why a composite signature failed, or undefined when both halves verify. */
export async function compositeVerify(
  key: CompositePublicKey,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<string | undefined> {
  if (signature.length <= ML_DSA_65_SIGNATURE_BYTES) return 'composite signature too short';
  const sig = Buffer.from(signature);
  const mPrime = messageRepresentative(key.kind, message);
  const label = Buffer.from(COMPOSITE_LABELS[key.kind], 'ascii');
  const [mlDsaOk, tradOk] = await Promise.all([
    verifyAsync(
      null,
      mPrime,
      { key: key.mlDsa, context: label } as never,
      sig.subarray(0, ML_DSA_65_SIGNATURE_BYTES),
    ),
    verifyAsync(
      'sha256',
      mPrime,
      traditionalOptions(key.kind, key.traditional) as never,
      sig.subarray(ML_DSA_65_SIGNATURE_BYTES),
    ).catch(() => false),
  ]);
  if (!mlDsaOk && !tradOk) return 'both composite signature halves are invalid';
  if (!mlDsaOk) return 'the ML-DSA half of the composite signature is invalid';
  if (!tradOk) return 'the traditional half of the composite signature is invalid';
  return undefined;
}

/**
 * ML-DSA (FIPS 204) signing for JOSE (RFC 9964): pure ML-DSA with an empty context over the JWS
 * signing input. Private keys are kept as the 32-byte seed (the RFC 9964 `priv` member) and
 * expanded once at load with @noble/post-quantum; signatures are made by liboqs (WebAssembly),
 * the fastest signer measured here (see ARCHITECTURE.md section 1). Sizes in bytes.
 */
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { oqs, type MlDsaParameterSet } from './liboqs.ts';
import type { SigningThreads } from './ml-dsa-threads.ts';

export type { MlDsaParameterSet };

export const ML_DSA_SIZES: Record<MlDsaParameterSet, { publicKey: number; signature: number }> = {
  'ML-DSA-44': { publicKey: 1312, signature: 2420 },
  'ML-DSA-65': { publicKey: 1952, signature: 3309 },
  'ML-DSA-87': { publicKey: 2592, signature: 4627 },
};

const noble = { 'ML-DSA-44': ml_dsa44, 'ML-DSA-65': ml_dsa65, 'ML-DSA-87': ml_dsa87 };

export interface MlDsaKeyPair {
  parameterSet: MlDsaParameterSet;
  seed: Uint8Array;
  publicKey: Uint8Array;
  /**
   * FIPS 204 skEncode form (4032 bytes for ML-DSA-65), what liboqs signs with. In shared memory
   * (SharedArrayBuffer), so the signing threads read it where it is instead of getting a copy
   * with every signature.
   */
  expandedSecretKey: Uint8Array;
}

/** Derives the key pair from a 32-byte seed (FIPS 204 ML-DSA.KeyGen_internal). */
export function mlDsaFromSeed(parameterSet: MlDsaParameterSet, seed: Uint8Array): MlDsaKeyPair {
  if (seed.length !== 32)
    throw new Error(`${parameterSet} seed must be 32 bytes, got ${seed.length}`);
  const { publicKey, secretKey } = noble[parameterSet].keygen(seed);
  const expandedSecretKey = new Uint8Array(new SharedArrayBuffer(secretKey.length));
  expandedSecretKey.set(secretKey);
  secretKey.fill(0);
  return { parameterSet, seed, publicKey, expandedSecretKey };
}

/**
 * Signs `message` (pure ML-DSA, empty context, hedged randomness from liboqs): on a signing
 * thread when `threads` run (jose/ml-dsa-threads.ts), else on the calling thread.
 */
export async function mlDsaSign(
  key: MlDsaKeyPair,
  message: Uint8Array,
  threads?: SigningThreads,
): Promise<Uint8Array> {
  if (threads?.running) {
    const onThread = await threads.sign(key.parameterSet, key.expandedSecretKey, message);
    if (onThread) return onThread;
  }
  const sig = await oqs(key.parameterSet);
  // liboqs-js insists on a plain Uint8Array, not a Buffer: a view of the same bytes, not a copy.
  const input =
    message.constructor === Uint8Array
      ? message
      : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  return sig.sign(input, key.expandedSecretKey);
}

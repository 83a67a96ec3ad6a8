/**
 * ML-DSA (FIPS 204) signing for JOSE (RFC 9964): pure ML-DSA with an empty context over the JWS
 * signing input. Private keys are kept as the 32-byte seed (the RFC 9964 `priv` member) and
 * expanded once at load with @noble/post-quantum; signatures are made by liboqs (WebAssembly),
 * the fastest signer measured here (see ARCHITECTURE.md section 1). Sizes in bytes.
 */
import { createMLDSA44, createMLDSA65, createMLDSA87 } from '@oqs/liboqs-js';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';

export type MlDsaParameterSet = 'ML-DSA-44' | 'ML-DSA-65' | 'ML-DSA-87';

export const ML_DSA_SIZES: Record<MlDsaParameterSet, { publicKey: number; signature: number }> = {
  'ML-DSA-44': { publicKey: 1312, signature: 2420 },
  'ML-DSA-65': { publicKey: 1952, signature: 3309 },
  'ML-DSA-87': { publicKey: 2592, signature: 4627 },
};

const noble = { 'ML-DSA-44': ml_dsa44, 'ML-DSA-65': ml_dsa65, 'ML-DSA-87': ml_dsa87 };
const factories = { 'ML-DSA-44': createMLDSA44, 'ML-DSA-65': createMLDSA65, 'ML-DSA-87': createMLDSA87 };

interface OqsSig { sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array }
const instances = new Map<MlDsaParameterSet, Promise<OqsSig>>();

function oqs(set: MlDsaParameterSet): Promise<OqsSig> {
  let instance = instances.get(set);
  if (!instance) {
    instance = factories[set]() as Promise<OqsSig>;
    instances.set(set, instance);
  }
  return instance;
}

export interface MlDsaKeyPair {
  parameterSet: MlDsaParameterSet;
  seed: Uint8Array;
  publicKey: Uint8Array;
  /** FIPS 204 skEncode form (4032 bytes for ML-DSA-65), what liboqs signs with. */
  expandedSecretKey: Uint8Array;
}

/** Derives the key pair from a 32-byte seed (FIPS 204 ML-DSA.KeyGen_internal). */
export function mlDsaFromSeed(parameterSet: MlDsaParameterSet, seed: Uint8Array): MlDsaKeyPair {
  if (seed.length !== 32) throw new Error(`${parameterSet} seed must be 32 bytes, got ${seed.length}`);
  const { publicKey, secretKey } = noble[parameterSet].keygen(seed);
  return { parameterSet, seed, publicKey, expandedSecretKey: secretKey };
}

/** Signs `message` (pure ML-DSA, empty context, hedged randomness from liboqs). */
export async function mlDsaSign(key: MlDsaKeyPair, message: Uint8Array): Promise<Uint8Array> {
  const sig = await oqs(key.parameterSet);
  // liboqs-js insists on a plain Uint8Array, not a Buffer: a view of the same bytes, not a copy.
  const input = message.constructor === Uint8Array ? message : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  return sig.sign(input, key.expandedSecretKey);
}

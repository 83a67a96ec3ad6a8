/**
 * liboqs (WebAssembly, @oqs/liboqs-js) ML-DSA instances, one per parameter set and thread, made
 * at first use. Used by the event loop (jose/ml-dsa.ts) and by the signing threads
 * (jose/ml-dsa-worker.ts). @oqs/liboqs-js 0.15 no longer builds round-3 Dilithium3, so DILITHIUM3
 * is signed elsewhere (jose/dilithium3.ts).
 */
import { createMLDSA44, createMLDSA65, createMLDSA87 } from '@oqs/liboqs-js';

export type MlDsaParameterSet = 'ML-DSA-44' | 'ML-DSA-65' | 'ML-DSA-87';

/** liboqs' pure ML-DSA signing (FIPS 204 ML-DSA.Sign, empty context, hedged). */
export interface OqsSig {
  /** @param secretKey FIPS 204 skEncode form; both arguments plain Uint8Arrays (not Buffers). */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

const factories = {
  'ML-DSA-44': createMLDSA44,
  'ML-DSA-65': createMLDSA65,
  'ML-DSA-87': createMLDSA87,
};
/**
 * Not state (issue 16): one stateless WebAssembly signer per parameter set and thread, the same
 * for every caller (liboqs signs from the key and message it is given), loaded once.
 */
const instances = new Map<MlDsaParameterSet, Promise<OqsSig>>();

/** This thread's liboqs instance for `set`; rejects when the WebAssembly module cannot load. */
export function oqs(set: MlDsaParameterSet): Promise<OqsSig> {
  let instance = instances.get(set);
  if (!instance) {
    instance = factories[set]() as Promise<OqsSig>;
    instances.set(set, instance);
  }
  return instance;
}

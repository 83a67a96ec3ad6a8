/**
 * The task a signing thread runs (jose/ml-dsa-threads.ts): one pure ML-DSA signature (FIPS 204
 * ML-DSA.Sign, empty context, hedged) by liboqs.
 */
import { oqs, type MlDsaParameterSet } from './liboqs.ts';

export interface MlDsaTask {
  parameterSet: MlDsaParameterSet;
  /** FIPS 204 skEncode form of the private key (4,032 bytes for ML-DSA-65), in shared memory. */
  secretKey: Uint8Array;
  /** The message (the JWS signing input), a plain Uint8Array of its own. */
  message: Uint8Array;
}

// Loaded before the thread takes tasks, so a thread whose WebAssembly cannot load fails to start
// (the pool's 'error') instead of failing every task.
await oqs('ML-DSA-65');

export default async function sign(task: MlDsaTask): Promise<Uint8Array> {
  return (await oqs(task.parameterSet)).sign(task.message, task.secretKey);
}

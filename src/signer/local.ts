/**
 * Local signer: private key material decrypted in process memory (it is stored sealed under the
 * KEK, see store/encryption.ts), signing through the JWS algorithm registry (jose/algorithms.ts):
 * liboqs for ML-DSA and DILITHIUM3, node:crypto for the composites and the classical algs.
 */
import type { JWK } from 'jose';
import type { Signer } from './signer.ts';
import { jwsAlgorithm, type LoadedKey } from '../jose/algorithms.ts';
import type { SigningThreads } from '../jose/ml-dsa-threads.ts';

export class LocalSigner implements Signer {
  readonly alg: string;
  readonly kid: string;
  readonly backend = 'local';
  readonly #key: LoadedKey;
  readonly #publicJwk: JWK | undefined;

  /**
   * @param privateKey the registry's private form for `alg` (seed, seed ‖ PKCS#8, PKCS#8 DER or secret).
   * @param threads the process's ML-DSA signing threads (services.ts); absent: signs on the calling thread.
   * @throws JwkError for an alg the registry does not know; Error for malformed key material.
   */
  constructor(kid: string, alg: string, privateKey: Uint8Array, threads?: SigningThreads) {
    this.kid = kid;
    this.alg = alg;
    this.#key = jwsAlgorithm(alg).load(privateKey, threads);
    const jwk = this.#key.publicJwk;
    this.#publicJwk = jwk ? { ...jwk, alg, kid, use: 'sig' } : undefined;
  }

  publicJwk(): JWK | undefined {
    return this.#publicJwk;
  }

  sign(signingInput: Uint8Array): Promise<Uint8Array> {
    return this.#key.sign(signingInput);
  }

  get signWithContext():
    ((message: Uint8Array, context: Uint8Array) => Promise<Uint8Array>) | undefined {
    return this.#key.signWithContext;
  }
}

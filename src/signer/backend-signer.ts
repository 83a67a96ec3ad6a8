/**
 * What every back-end signer shares: its alg and kid, the public JWK it publishes (with kid, alg
 * and use), and failing closed: any error of the back end becomes SignerUnavailableError, which
 * the token endpoint answers with 503 temporarily_unavailable.
 */
import type { JWK } from 'jose';
import { SignerUnavailableError, type Signer } from './signer.ts';

export abstract class BackendSigner implements Signer {
  abstract readonly backend: string;
  readonly alg: string;
  readonly kid: string;
  readonly #jwk: JWK;

  constructor(alg: string, kid: string, publicJwk: JWK) {
    this.alg = alg;
    this.kid = kid;
    this.#jwk = { ...publicJwk, kid, alg, use: 'sig' };
  }

  publicJwk(): JWK {
    return this.#jwk;
  }

  /** Signs in the back end; errors are wrapped by sign(). */
  protected abstract signInBackend(signingInput: Uint8Array): Promise<Uint8Array>;

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    try {
      return await this.signInBackend(signingInput);
    } catch (err) {
      throw new SignerUnavailableError(this.backend, this.kid, err);
    }
  }
}

/**
 * A key whose signer could not be built (its PKCS#11 module or Vault credentials missing on this
 * node, a composite member gone): the key is still published and still verifies what it signed
 * before, but every signature fails closed with SignerUnavailableError (503 at the token
 * endpoint), so one broken key takes out its own alg, never the whole realm.
 */
import type { JWK } from 'jose';
import { SignerUnavailableError, type Signer } from './signer.ts';

export class UnavailableSigner implements Signer {
  readonly alg: string;
  readonly kid: string;
  readonly backend: string;
  readonly #jwk: JWK | undefined;
  readonly #cause: unknown;

  /** @param key the stored key (publicJwk null for symmetric keys); @param cause why it could not be built. */
  constructor(
    key: { alg: string; kid: string; backend: string; publicJwk: JWK | null },
    cause: unknown,
  ) {
    this.alg = key.alg;
    this.kid = key.kid;
    this.backend = key.backend;
    this.#jwk = key.publicJwk
      ? { ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' }
      : undefined;
    this.#cause = cause;
  }

  /** Why the signer could not be built: the first line of the error (paths, never secrets). */
  get reason(): string {
    return String((this.#cause as Error)?.message ?? this.#cause).split('\n')[0];
  }

  publicJwk(): JWK | undefined {
    return this.#jwk;
  }

  async sign(): Promise<Uint8Array> {
    throw new SignerUnavailableError(this.backend, this.kid, this.#cause);
  }
}

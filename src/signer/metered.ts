/**
 * Every signer the realms use is wrapped here: counted and timed per back end and alg (Prometheus
 * `qsign_signing_seconds`, `qsign_signing_errors_total`). Which signer a key gets is keys/signers.ts.
 */
import type { Signer } from './signer.ts';
import type { Metrics } from '../metrics.ts';

/** Counts and times every signature (Prometheus `qsign_signing_seconds`, `qsign_signing_errors_total`). */
class MeteredSigner implements Signer {
  readonly #inner: Signer;
  // The labelled children, resolved once (no label hashing per signature).
  readonly #seconds;
  readonly #errors;

  constructor(inner: Signer, metrics: Metrics) {
    this.#inner = inner;
    this.#seconds = metrics.signingSeconds.labels(inner.backend, inner.alg);
    this.#errors = metrics.signingErrors.labels(inner.backend, inner.alg);
    this.#signWithContext = inner.signWithContext?.bind(inner);
  }

  get alg() {
    return this.#inner.alg;
  }
  get kid() {
    return this.#inner.kid;
  }
  get backend() {
    return this.#inner.backend;
  }
  get backendId() {
    return this.#inner.backendId;
  }
  publicJwk() {
    return this.#inner.publicJwk();
  }

  get signWithContext() {
    return this.#signWithContext;
  }

  /** The inner signer's context signing, bound once (undefined when the back end has none). */
  readonly #signWithContext: Signer['signWithContext'];

  async sign(input: Uint8Array): Promise<Uint8Array> {
    const end = this.#seconds.startTimer();
    try {
      return await this.#inner.sign(input);
    } catch (err) {
      this.#errors.inc();
      throw err;
    } finally {
      end();
    }
  }
}

/** `signer`, counted and timed on `metrics` (the server's, services.ts); without metrics, `signer` itself (CLI, admin key listing). */
export const metered = (signer: Signer, metrics: Metrics | undefined): Signer =>
  metrics ? new MeteredSigner(signer, metrics) : signer;

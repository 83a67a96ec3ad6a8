/**
 * A composite key made of two other keys of the realm (provider `composite`, config
 * `members: [ML-DSA kid, traditional kid]`), each in any back end: e.g. the RSA half in an HSM and
 * the ML-DSA half local or seed-wrapped. Construction as jose/composite.ts (LAMPS): both halves
 * sign M' at the same time; the ML-DSA half with ctx = label (so it needs a signer with
 * signWithContext: local or seed-wrapped ML-DSA, not Vault, whose ML-DSA takes no context); an
 * ECDSA half's r‖s is re-encoded as DER, as the composite requires.
 */
import type { JWK } from 'jose';
import type { Signer } from './signer.ts';
import { SignerUnavailableError } from './signer.ts';
import {
  COMPOSITE_MEMBERS,
  compositeSign,
  ecdsaRawToDer,
  type CompositeHalves,
  type TraditionalKind,
} from '../jose/composite.ts';

export class CompositeSigner implements Signer {
  readonly backend = 'composite';
  readonly alg: string;
  readonly kid: string;
  readonly #mlDsa: Signer;
  readonly #kind: TraditionalKind;
  readonly #halves: CompositeHalves;
  readonly #jwk: JWK;

  constructor(options: {
    alg: string;
    kid: string;
    mlDsa: Signer;
    traditional: Signer;
    publicJwk: JWK;
  }) {
    this.alg = options.alg;
    this.kid = options.kid;
    this.#mlDsa = options.mlDsa;
    this.#kind = COMPOSITE_MEMBERS[options.alg].kind;
    const { mlDsa, traditional } = options;
    const ecdsa = this.#kind === 'ECDSA-P256';
    this.#halves = {
      mlDsa: (mPrime, context) => mlDsa.signWithContext!(mPrime, context),
      // JWS ECDSA signers give r‖s; the composite carries the DER form.
      traditional: async (mPrime) =>
        ecdsa ? ecdsaRawToDer(await traditional.sign(mPrime)) : traditional.sign(mPrime),
    };
    this.#jwk = { ...options.publicJwk, kid: options.kid, alg: options.alg, use: 'sig' };
  }

  publicJwk(): JWK {
    return this.#jwk;
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    if (!this.#mlDsa.signWithContext)
      throw new SignerUnavailableError(
        this.backend,
        this.kid,
        new Error(`${this.#mlDsa.backend} key ${this.#mlDsa.kid} cannot sign with a context`),
      );
    return compositeSign(this.#kind, this.#halves, signingInput);
  }
}

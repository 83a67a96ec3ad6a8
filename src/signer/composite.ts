/**
 * A composite key made of two other keys of the realm (provider `composite`, config
 * `members: [ML-DSA kid, traditional kid]`), each in any back end: e.g. the RSA half in an HSM and
 * the ML-DSA half local or seed-wrapped. Construction as jose/composite.ts (LAMPS): both halves
 * sign M' at the same time; the ML-DSA half with ctx = label (so it needs a signer with
 * signWithContext: local or seed-wrapped ML-DSA, not Vault, whose ML-DSA takes no context); an
 * ECDSA half's r‖s is re-encoded as DER, as the composite requires.
 */
import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import type { Signer } from './signer.ts';
import { SignerUnavailableError } from './signer.ts';
import { COMPOSITE_LABELS, messageRepresentative, type TraditionalKind } from '../jose/composite.ts';

export const COMPOSITE_MEMBERS: Record<string, { mlDsa: string; traditional: string; kind: TraditionalKind; form: 'AKP' | 'OQS' }> = {
  'ML-DSA-65-RS256': { mlDsa: 'ML-DSA-65', traditional: 'RS256', kind: 'RSA-PKCS15', form: 'AKP' },
  'DILITHIUM3-RS256': { mlDsa: 'DILITHIUM3', traditional: 'RS256', kind: 'RSA-PKCS15', form: 'OQS' },
  'ML-DSA-65-PS256': { mlDsa: 'ML-DSA-65', traditional: 'PS256', kind: 'RSA-PSS', form: 'AKP' },
  'DILITHIUM3-PS256': { mlDsa: 'DILITHIUM3', traditional: 'PS256', kind: 'RSA-PSS', form: 'OQS' },
  'ML-DSA-65-ES256': { mlDsa: 'ML-DSA-65', traditional: 'ES256', kind: 'ECDSA-P256', form: 'AKP' },
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

/** The composite's public JWK from its members' public JWKs (forms of README "Algorithms"). */
export function compositePublicJwk(alg: string, mlDsa: JWK, traditional: JWK): JWK {
  const spec = COMPOSITE_MEMBERS[alg];
  const mlDsaPub = Buffer.from((mlDsa.kty === 'OQS' ? mlDsa.x : mlDsa.pub) as string, 'base64url');
  if (spec.form === 'OQS') return { kty: 'OQS', alg, x: mlDsaPub.toString('base64url'), n: traditional.n, e: traditional.e };
  const tradBytes = spec.kind === 'ECDSA-P256'
    ? Buffer.concat([Buffer.of(4), Buffer.from(traditional.x as string, 'base64url'), Buffer.from(traditional.y as string, 'base64url')])
    : rsaPublicKeyDer(traditional);
  return { kty: 'AKP', alg, pub: Buffer.concat([mlDsaPub, tradBytes]).toString('base64url') };
}

function rsaPublicKeyDer(jwk: JWK): Buffer {
  return createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' } as never).export({ format: 'der', type: 'pkcs1' });
}

export class CompositeSigner implements Signer {
  readonly backend = 'composite';
  readonly alg: string;
  readonly kid: string;
  readonly #mlDsa: Signer;
  readonly #traditional: Signer;
  readonly #kind: TraditionalKind;
  readonly #jwk: JWK;

  constructor(options: { alg: string; kid: string; mlDsa: Signer; traditional: Signer; publicJwk: JWK }) {
    this.alg = options.alg;
    this.kid = options.kid;
    this.#mlDsa = options.mlDsa;
    this.#traditional = options.traditional;
    this.#kind = COMPOSITE_MEMBERS[options.alg].kind;
    this.#jwk = { ...options.publicJwk, kid: options.kid, alg: options.alg, use: 'sig' };
  }

  publicJwk(): JWK {
    return this.#jwk;
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    const mPrime = messageRepresentative(this.#kind, signingInput);
    if (!this.#mlDsa.signWithContext) throw new SignerUnavailableError(this.backend, this.kid, new Error(`${this.#mlDsa.backend} key ${this.#mlDsa.kid} cannot sign with a context`));
    const [mlDsaSig, tradSig] = await Promise.all([
      this.#mlDsa.signWithContext(mPrime, Buffer.from(COMPOSITE_LABELS[this.#kind], 'ascii')),
      this.#traditional.sign(mPrime),
    ]);
    return Buffer.concat([mlDsaSig, this.#kind === 'ECDSA-P256' ? ecdsaRawToDer(tradSig) : Buffer.from(tradSig)]);
  }
}

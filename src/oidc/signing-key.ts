/**
 * Bridges a Signer into oidc-provider's keystore as an ExternalSigningKey
 * (`features.externalSigningSupport`, experimental-01): oidc-provider builds the JWT, the Signer
 * signs it. Used for id tokens, signed userinfo, introspection and logout tokens.
 *
 * The public JWK members come from the Signer (so kty "OQS" and composite keys work), and a
 * PASSIVE key is published with `key_ops: ["verify"]`, which oidc-provider's keystore never
 * selects for signing but still uses to verify `id_token_hint`.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ExternalSigningKey } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Signer } from '../signer/signer.ts';

export class SignerSigningKey extends ExternalSigningKey {
  readonly #signer: Signer;
  readonly #jwk: JWK;
  readonly #verifyOnly: boolean;
  #keyObject: KeyObject | undefined;

  constructor(signer: Signer, options: { verifyOnly?: boolean } = {}) {
    super();
    this.#signer = signer;
    this.#jwk = signer.publicJwk() ?? {};
    this.#verifyOnly = options.verifyOnly ?? false;
    // The runtime class has setters for both; the published typings mark them read-only.
    const writable = this as unknown as { kid: string; alg: string };
    writable.kid = signer.kid;
    writable.alg = signer.alg;
  }

  publicJwk(): JWK {
    return this.#jwk;
  }

  override get kty() {
    return this.#jwk.kty as never;
  }
  override get pub() {
    return this.#jwk.pub as never;
  }
  override get x() {
    return this.#jwk.x as never;
  }
  override get y() {
    return this.#jwk.y as never;
  }
  override get n() {
    return this.#jwk.n as never;
  }
  override get e() {
    return this.#jwk.e as never;
  }
  override get crv() {
    return this.#jwk.crv as never;
  }
  override get key_ops() {
    return (this.#verifyOnly ? ['verify'] : undefined) as never;
  }

  /** node:crypto public key, for the algorithms jose verifies inside oidc-provider. */
  override keyObject(): KeyObject {
    this.#keyObject ??= createPublicKey({ key: this.#jwk, format: 'jwk' } as never);
    return this.#keyObject;
  }

  override async sign(data: Buffer): Promise<Buffer> {
    if (this.#verifyOnly) throw new Error(`key ${this.#signer.kid} is passive and does not sign`);
    return Buffer.from(await this.#signer.sign(data));
  }
}

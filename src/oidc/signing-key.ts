/**
 * Bridges a Signer into oidc-provider's keystore as an ExternalSigningKey
 * (`features.externalSigningSupport`, experimental-01): oidc-provider builds the JWT, the Signer
 * signs it. Used for id tokens, signed userinfo, introspection and logout tokens.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ExternalSigningKey } from 'oidc-provider';
import type { Signer } from '../signer/signer.ts';

export class SignerSigningKey extends ExternalSigningKey {
  readonly #signer: Signer;
  #keyObject: KeyObject | undefined;

  constructor(signer: Signer) {
    super();
    this.#signer = signer;
    // The runtime class has setters for both; the published typings mark them read-only.
    const writable = this as unknown as { kid: string; alg: string };
    writable.kid = signer.kid;
    writable.alg = signer.alg;
  }

  override keyObject(): KeyObject {
    this.#keyObject ??= createPublicKey({ key: this.#signer.publicJwk(), format: 'jwk' } as never);
    return this.#keyObject;
  }

  override async sign(data: Buffer): Promise<Buffer> {
    return Buffer.from(await this.#signer.sign(data));
  }
}

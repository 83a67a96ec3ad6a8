/**
 * Local signer: private key material decrypted in process memory (it is stored sealed under the
 * KEK, see keys/encryption.ts). ML-DSA through liboqs, RSA/EC/HMAC through node:crypto.
 */
import { createHmac, createPrivateKey, createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Signer } from './signer.ts';
import { mlDsaFromSeed, mlDsaSign, type MlDsaKeyPair, type MlDsaParameterSet } from '../jose/ml-dsa.ts';

const RSA_HASH: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', PS256: 'sha256', PS384: 'sha384', PS512: 'sha512' };
const HMAC_HASH: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

export class LocalSigner implements Signer {
  readonly alg: string;
  readonly kid: string;
  readonly backend = 'local';
  readonly #sign: (input: Uint8Array) => Promise<Uint8Array>;
  readonly #publicJwk: JWK | undefined;

  /**
   * @param privateKey ML-DSA: the 32-byte seed; RSA/EC: PKCS#8 DER; HMAC: the raw secret.
   * @throws Error for an alg the local back end does not sign.
   */
  constructor(kid: string, alg: string, privateKey: Uint8Array) {
    this.kid = kid;
    this.alg = alg;
    if (alg.startsWith('ML-DSA-')) {
      const pair: MlDsaKeyPair = mlDsaFromSeed(alg as MlDsaParameterSet, privateKey);
      this.#publicJwk = { kty: 'AKP', alg, pub: Buffer.from(pair.publicKey).toString('base64url'), kid, use: 'sig' };
      this.#sign = (input) => mlDsaSign(pair, input);
    } else if (RSA_HASH[alg] || /^ES(256|384|512)$/.test(alg) || alg === 'EdDSA') {
      const key: KeyObject = createPrivateKey({ key: Buffer.from(privateKey), format: 'der', type: 'pkcs8' });
      const jwk = createPublicKey(key).export({ format: 'jwk' }) as JWK;
      this.#publicJwk = { ...jwk, kid, alg, use: 'sig' };
      const options = alg.startsWith('PS')
        ? { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: Number(alg.slice(2)) / 8 }
        : alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
      const hash = alg === 'EdDSA' ? null : RSA_HASH[alg] ?? `sha${alg.slice(2)}`;
      this.#sign = async (input) => nodeSign(hash, input, options);
    } else if (HMAC_HASH[alg]) {
      const secret = Buffer.from(privateKey);
      this.#publicJwk = undefined;
      this.#sign = async (input) => createHmac(HMAC_HASH[alg], secret).update(input).digest();
    } else {
      throw new Error(`the local signer does not support alg ${alg}`);
    }
  }

  publicJwk(): JWK | undefined {
    return this.#publicJwk;
  }

  sign(signingInput: Uint8Array): Promise<Uint8Array> {
    return this.#sign(signingInput);
  }
}

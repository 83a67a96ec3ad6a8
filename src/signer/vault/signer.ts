/**
 * A Vault transit key version as a Signer: `POST /v1/{mount}/sign/{name}` with `key_version`
 * pinned, so a token's kid always names the version that signed it. Parameters per alg (Vault
 * transit API, "Sign data"): RS256 = pkcs1v15 + sha2-256; PS256 = pss + sha2-256 with
 * `salt_length: "hash"` (Vault's default "auto" makes salts standard verifiers reject); ES256 =
 * sha2-256 with `marshaling_algorithm: "jws"` (r‖s); ML-DSA = key type `ml-dsa`
 * (Vault Enterprise, experimental), the raw input, no hash, empty context. Vault documents no
 * ML-DSA context parameter, so a Vault ML-DSA key cannot be the ML-DSA half of a composite
 * (which signs with ctx = label). Any failure fails closed with SignerUnavailableError.
 */
import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import { BackendSigner } from '../backend-signer.ts';
import type { VaultClient } from './client.ts';
import { ML_DSA_SIZES, type MlDsaParameterSet } from '../../jose/ml-dsa.ts';

export const VAULT_ALGS: Record<string, { keyTypes: RegExp; params: Record<string, unknown> }> = {
  RS256: { keyTypes: /^rsa-(2048|3072|4096)$/, params: { hash_algorithm: 'sha2-256', signature_algorithm: 'pkcs1v15' } },
  PS256: { keyTypes: /^rsa-(2048|3072|4096)$/, params: { hash_algorithm: 'sha2-256', signature_algorithm: 'pss', salt_length: 'hash' } },
  ES256: { keyTypes: /^ecdsa-p256$/, params: { hash_algorithm: 'sha2-256', marshaling_algorithm: 'jws' } },
  'ML-DSA-44': { keyTypes: /^ml-dsa$/, params: {} },
  'ML-DSA-65': { keyTypes: /^ml-dsa$/, params: {} },
  'ML-DSA-87': { keyTypes: /^ml-dsa$/, params: {} },
};

/** The JWK of a Vault key version: PEM SPKI for RSA/ECDSA, base64 raw FIPS 204 key for ml-dsa. */
export function vaultPublicJwk(alg: string, publicKey: string): JWK {
  if (VAULT_ALGS[alg]?.keyTypes.source.includes('ml-dsa')) {
    // The documentation does not fix the encoding: accept PEM SPKI as well as base64 of the raw key.
    const raw = publicKey.includes('-----BEGIN') ? createPublicKey(publicKey).export({ format: 'raw-public' } as never) as Buffer : Buffer.from(publicKey, 'base64');
    const expected = ML_DSA_SIZES[alg as MlDsaParameterSet].publicKey;
    if (raw.length !== expected) throw new Error(`Vault returned a ${raw.length}-byte public key, ${alg} needs ${expected}`);
    return { kty: 'AKP', alg, pub: raw.toString('base64url') };
  }
  return { ...(createPublicKey(publicKey).export({ format: 'jwk' }) as JWK), alg };
}

export class VaultTransitSigner extends BackendSigner {
  readonly backend = 'vault-transit';
  readonly #client: VaultClient;
  readonly #mount: string;
  readonly #name: string;
  readonly #version: number;

  constructor(options: { client: VaultClient; mount: string; keyName: string; version: number; alg: string; kid: string; publicJwk: JWK }) {
    super(options.alg, options.kid, options.publicJwk);
    this.#client = options.client;
    this.#mount = options.mount;
    this.#name = options.keyName;
    this.#version = options.version;
  }

  get backendId(): string { return `vault-transit ${this.#client.address}`; }

  protected signInBackend(signingInput: Uint8Array): Promise<Uint8Array> {
    return this.#client.sign(this.#mount, this.#name, signingInput, { ...VAULT_ALGS[this.alg].params, key_version: this.#version });
  }
}

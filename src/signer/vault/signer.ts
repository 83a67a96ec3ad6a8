/**
 * A Vault transit key version as a Signer: `POST /v1/{mount}/sign/{name}` with `key_version`
 * pinned, so a token's kid always names the version that signed it. Parameters per alg (Vault
 * transit API, "Sign data"): RS256 = pkcs1v15 + sha2-256; PS256 = pss + sha2-256 with
 * `salt_length: "hash"` (Vault's default "auto" makes salts standard verifiers reject); ES256 =
 * sha2-256 with `marshaling_algorithm: "jws"` (r‖s); ML-DSA = key type `ml-dsa`
 * (Vault Enterprise, experimental), the raw input, no hash, empty context.
 *
 * The QSIGN `oqs-transit` plugin (ARCHITECTURE.md §7, the QSIGN seeds), mounted where the
 * operator says (backend-config.ts `mount`), has key types `dilithium3` (CRYSTALS-Dilithium round
 * 3, 1,952-byte public key, 3,293-byte signatures: DILITHIUM3) and `ml-dsa-65` (FIPS 204:
 * ML-DSA-65), the same paths, `key_version` and `vault:vN:` signatures. Its `ml-dsa-65` keys sign
 * with a FIPS 204 context (`context`, base64), so they can be the ML-DSA half of a composite
 * (ctx = the composite label); Vault's own `ml-dsa` documents no context and cannot. Any failure
 * fails closed with SignerUnavailableError.
 */
import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import { BackendSigner } from '../backend-signer.ts';
import type { VaultClient } from './client.ts';
import { SignerUnavailableError } from '../signer.ts';
import { ML_DSA_SIZES, type MlDsaParameterSet } from '../../jose/ml-dsa.ts';
import { DILITHIUM3_SIZES } from '../../jose/dilithium3.ts';

export const VAULT_ALGS: Record<string, { keyTypes: RegExp; params: Record<string, unknown> }> = {
  RS256: {
    keyTypes: /^rsa-(2048|3072|4096)$/,
    params: { hash_algorithm: 'sha2-256', signature_algorithm: 'pkcs1v15' },
  },
  PS256: {
    keyTypes: /^rsa-(2048|3072|4096)$/,
    params: { hash_algorithm: 'sha2-256', signature_algorithm: 'pss', salt_length: 'hash' },
  },
  ES256: {
    keyTypes: /^ecdsa-p256$/,
    params: { hash_algorithm: 'sha2-256', marshaling_algorithm: 'jws' },
  },
  'ML-DSA-44': { keyTypes: /^ml-dsa$/, params: {} },
  'ML-DSA-65': { keyTypes: /^ml-dsa(-65)?$/, params: {} },
  'ML-DSA-87': { keyTypes: /^ml-dsa$/, params: {} },
  DILITHIUM3: { keyTypes: /^dilithium3$/, params: {} },
};

/** Key types that sign with a FIPS 204 context: the oqs-transit plugin's `ml-dsa-65`. */
export const CONTEXT_KEY_TYPES = new Set(['ml-dsa-65']);

/** A raw public key as Vault returns it: PEM SPKI, or base64 of the raw key. */
const rawPublicKey = (publicKey: string): Buffer =>
  publicKey.includes('-----BEGIN')
    ? (createPublicKey(publicKey).export({ format: 'raw-public' } as never) as Buffer)
    : Buffer.from(publicKey, 'base64');

/**
 * The JWK of a Vault key version: PEM SPKI for RSA/ECDSA, base64 raw FIPS 204 key for ml-dsa and
 * ml-dsa-65, base64 raw round-3 key for dilithium3 (`{"kty":"OQS","alg":"DILITHIUM3","x"}`).
 * @throws Error when the public key has the wrong size for `alg`.
 */
export function vaultPublicJwk(alg: string, publicKey: string): JWK {
  if (alg === 'DILITHIUM3') {
    const raw = rawPublicKey(publicKey);
    if (raw.length !== DILITHIUM3_SIZES.publicKey)
      throw new Error(
        `Vault returned a ${raw.length}-byte public key, DILITHIUM3 needs ${DILITHIUM3_SIZES.publicKey}`,
      );
    return { kty: 'OQS', alg, x: raw.toString('base64url') };
  }
  if (VAULT_ALGS[alg]?.keyTypes.source.includes('ml-dsa')) {
    // The documentation does not fix the encoding: accept PEM SPKI as well as base64 of the raw key.
    const raw = rawPublicKey(publicKey);
    const expected = ML_DSA_SIZES[alg as MlDsaParameterSet].publicKey;
    if (raw.length !== expected)
      throw new Error(`Vault returned a ${raw.length}-byte public key, ${alg} needs ${expected}`);
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

  /** Present for a key type that signs with a context (CONTEXT_KEY_TYPES), for the ML-DSA half of a composite. */
  readonly signWithContext?: (message: Uint8Array, context: Uint8Array) => Promise<Uint8Array>;

  /** @param options.keyType the Vault key type (`ml-dsa-65` of the oqs-transit plugin signs with a context). */
  constructor(options: {
    client: VaultClient;
    mount: string;
    keyName: string;
    version: number;
    alg: string;
    kid: string;
    publicJwk: JWK;
    keyType?: string;
  }) {
    super(options.alg, options.kid, options.publicJwk);
    this.#client = options.client;
    this.#mount = options.mount;
    this.#name = options.keyName;
    this.#version = options.version;
    if (options.keyType && CONTEXT_KEY_TYPES.has(options.keyType)) {
      this.signWithContext = async (message, context) => {
        try {
          return await this.#client.sign(this.#mount, this.#name, message, {
            key_version: this.#version,
            context: Buffer.from(context).toString('base64'),
          });
        } catch (err) {
          throw new SignerUnavailableError(this.backend, this.kid, err);
        }
      };
    }
  }

  get backendId(): string {
    return `vault-transit ${this.#client.address}`;
  }

  protected signInBackend(signingInput: Uint8Array): Promise<Uint8Array> {
    return this.#client.sign(this.#mount, this.#name, signingInput, {
      ...VAULT_ALGS[this.alg].params,
      key_version: this.#version,
    });
  }
}

/**
 * Signers for keys on a PKCS#11 token:
 * - RS256: CKM_SHA256_RSA_PKCS; PS256: CKM_SHA256_RSA_PKCS_PSS (SHA-256, MGF1-SHA-256, 32-byte
 *   salt); ES256: CKM_ECDSA over SHA-256(input), whose output is already JWS's r‖s;
 * - ML-DSA-44/65/87 natively through PKCS#11 3.2's CKM_ML_DSA (0x1d) when the token
 *   lists it in C_GetMechanismList (e.g. Luna firmware 7.9+);
 * - seed-wrapped ML-DSA for tokens without it (SoftHSM 2.6): an HSM-resident, non-extractable
 *   AES-256 key decrypts (AES-GCM) the ML-DSA seed when the key is loaded; signing then happens in
 *   process memory. This protects the key at rest only: the seed is in this process's memory
 *   while it runs (see README, "HSM").
 * Failures fail closed with SignerUnavailableError.
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { JWK } from 'jose';
import type { Signer } from '../signer.ts';
import { SignerUnavailableError } from '../signer.ts';
import type { Pkcs11Pool } from './module.ts';
import { BackendSigner } from '../backend-signer.ts';
import { jwsAlgorithm, type LoadedKey } from '../../jose/algorithms.ts';
import type { SigningThreads } from '../../jose/ml-dsa-threads.ts';

/** PKCS#11 3.2 ML-DSA constants. */
export const CKK_ML_DSA = 0x4a;
export const CKM_ML_DSA = 0x1d;
export const CKA_PARAMETER_SET = 0x61d;
const ML_DSA_PARAMETER_SETS: Record<string, number> = {
  'ML-DSA-44': 1,
  'ML-DSA-65': 2,
  'ML-DSA-87': 3,
};

const MECHANISMS: Record<string, pkcs11js.Mechanism> = {
  RS256: { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS },
  PS256: {
    mechanism: pkcs11js.CKM_SHA256_RSA_PKCS_PSS,
    parameter: {
      type: pkcs11js.CK_PARAMS_RSA_PSS,
      hashAlg: pkcs11js.CKM_SHA256,
      mgf: pkcs11js.CKG_MGF1_SHA256,
      saltLen: 32,
    } as pkcs11js.RsaPSS,
  },
  ES256: { mechanism: pkcs11js.CKM_ECDSA },
};
export const isMlDsa = (alg: string) => alg.startsWith('ML-DSA');
export const PKCS11_ALGS = /^(RS256|PS256|ES256|ML-DSA-(44|65|87))$/;

const seedAad = (alg: string, keyId: string) =>
  Buffer.from(`qsign-oidc ML-DSA seed\0${alg}\0${keyId}`);

function gcm(iv: Buffer, aad: Buffer): pkcs11js.Mechanism {
  return {
    mechanism: pkcs11js.CKM_AES_GCM,
    parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, ivBits: 96, aad, tagBits: 128 } as never,
  };
}

/** The public JWK of a key pair on the token (by CKA_ID of its public key object). */
export async function tokenPublicJwk(pool: Pkcs11Pool, keyId: string, alg: string): Promise<JWK> {
  return pool.withSession((session) => {
    const handle = pool.findByCkaId(session, pkcs11js.CKO_PUBLIC_KEY, keyId);
    if (!handle) throw new Error(`no public key with CKA_ID ${keyId} on the token`);
    if (alg === 'ES256') {
      const [point] = pool.lib.C_GetAttributeValue(session, handle, [
        { type: pkcs11js.CKA_EC_POINT },
      ]);
      // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point.
      const raw = (point.value as Buffer).subarray(-65);
      return {
        kty: 'EC',
        crv: 'P-256',
        x: raw.subarray(1, 33).toString('base64url'),
        y: raw.subarray(33).toString('base64url'),
      };
    }
    if (isMlDsa(alg)) {
      const [value] = pool.lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_VALUE }]);
      const pub = (value.value as Buffer).toString('base64url');
      return { kty: 'AKP', alg, pub };
    }
    const [n, e] = pool.lib.C_GetAttributeValue(session, handle, [
      { type: pkcs11js.CKA_MODULUS },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT },
    ]);
    return createPublicKey({
      key: {
        kty: 'RSA',
        n: (n.value as Buffer).toString('base64url'),
        e: (e.value as Buffer).toString('base64url'),
      },
      format: 'jwk',
    }).export({ format: 'jwk' }) as JWK;
  });
}

export class Pkcs11Signer extends BackendSigner {
  readonly backend = 'pkcs11';
  readonly #pool: Pkcs11Pool;
  readonly #keyId: string;
  #handle: Buffer | undefined;

  constructor(options: {
    pool: Pkcs11Pool;
    keyId: string;
    alg: string;
    kid: string;
    publicJwk: JWK;
  }) {
    super(options.alg, options.kid, options.publicJwk);
    this.#pool = options.pool;
    this.#keyId = options.keyId;
  }

  get backendId(): string {
    return this.#pool.label;
  }

  protected signInBackend(signingInput: Uint8Array): Promise<Uint8Array> {
    const lib = this.#pool.lib;
    const mechanism = isMlDsa(this.alg) ? { mechanism: CKM_ML_DSA } : MECHANISMS[this.alg];
    const data =
      this.alg === 'ES256'
        ? createHash('sha256').update(signingInput).digest()
        : Buffer.from(signingInput);
    return this.#pool.withSession(async (session) => {
      // Object handles survive a lost session on most tokens; look the key up again if not.
      let handle =
        this.#handle ?? this.#pool.findByCkaId(session, pkcs11js.CKO_PRIVATE_KEY, this.#keyId);
      if (!handle) throw new Error(`no private key with CKA_ID ${this.#keyId} on the token`);
      try {
        lib.C_SignInit(session, mechanism, handle);
      } catch (err) {
        if (!/CKR_OBJECT_HANDLE_INVALID|CKR_KEY_HANDLE_INVALID/.test((err as Error).message))
          throw err;
        handle = this.#pool.findByCkaId(session, pkcs11js.CKO_PRIVATE_KEY, this.#keyId)!;
        lib.C_SignInit(session, mechanism, handle);
      }
      this.#handle = handle;
      return lib.C_SignAsync(session, data, Buffer.alloc(8192));
    });
  }
}

/** AES-GCM-encrypts a fresh ML-DSA seed with the token's AES key (CKA_ID `keyId`): iv ‖ ciphertext ‖ tag. */
export async function wrapNewSeed(pool: Pkcs11Pool, keyId: string, alg: string): Promise<Buffer> {
  const seed = randomBytes(32);
  const iv = randomBytes(12);
  try {
    const wrapped = await pool.withSession((session) => {
      const key = pool.findByCkaId(session, pkcs11js.CKO_SECRET_KEY, keyId);
      if (!key) throw new Error(`no AES key with CKA_ID ${keyId} on the token`);
      pool.lib.C_EncryptInit(session, gcm(iv, seedAad(alg, keyId)), key);
      return pool.lib.C_Encrypt(session, seed, Buffer.alloc(64));
    });
    return Buffer.concat([iv, wrapped]);
  } finally {
    seed.fill(0);
  }
}

/**
 * Seed-wrapped ML-DSA: the token's AES key decrypts the seed at load; the expanded key then signs
 * in memory (liboqs). The seed is never written anywhere in clear.
 */
export class SeedWrappedSigner implements Signer {
  readonly backend = 'pkcs11';
  readonly alg: string;
  readonly kid: string;
  readonly #pool: Pkcs11Pool;
  readonly #keyId: string;
  readonly #wrapped: Buffer;
  readonly #threads: SigningThreads | undefined;
  #key: Promise<LoadedKey> | undefined;
  #jwk: JWK | undefined;

  constructor(options: {
    pool: Pkcs11Pool;
    keyId: string;
    alg: string;
    kid: string;
    wrappedSeed: Buffer;
    publicJwk?: JWK;
    /** The process's ML-DSA signing threads (services.ts) the opened seed signs on. */
    threads?: SigningThreads;
  }) {
    this.#threads = options.threads;
    this.#pool = options.pool;
    this.#keyId = options.keyId;
    this.alg = options.alg;
    this.kid = options.kid;
    this.#wrapped = options.wrappedSeed;
    this.#jwk = options.publicJwk
      ? { ...options.publicJwk, kid: options.kid, alg: options.alg, use: 'sig' }
      : undefined;
  }

  /** The token unwraps the seed when the key is loaded (after each restart). */
  get backendId(): string {
    return this.#pool.label;
  }

  /** Decrypts the seed in the HSM and loads the key (once). */
  load(): Promise<LoadedKey> {
    this.#key ??= this.#pool
      .withSession((session) => {
        const key = this.#pool.findByCkaId(session, pkcs11js.CKO_SECRET_KEY, this.#keyId);
        if (!key) throw new Error(`no AES key with CKA_ID ${this.#keyId} on the token`);
        this.#pool.lib.C_DecryptInit(
          session,
          gcm(this.#wrapped.subarray(0, 12), seedAad(this.alg, this.#keyId)),
          key,
        );
        const seed = this.#pool.lib.C_Decrypt(
          session,
          this.#wrapped.subarray(12),
          Buffer.alloc(64),
        );
        try {
          return jwsAlgorithm(this.alg).load(seed, this.#threads);
        } finally {
          seed.fill(0);
        }
      })
      .catch((err) => {
        this.#key = undefined;
        throw err;
      });
    return this.#key;
  }

  publicJwk(): JWK | undefined {
    return this.#jwk;
  }

  async #loaded(): Promise<LoadedKey> {
    try {
      return await this.load();
    } catch (err) {
      throw new SignerUnavailableError(this.backend, this.kid, err);
    }
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    return (await this.#loaded()).sign(signingInput);
  }

  async signWithContext(message: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
    return (await this.#loaded()).signWithContext!(message, context);
  }
}

export { ML_DSA_PARAMETER_SETS };

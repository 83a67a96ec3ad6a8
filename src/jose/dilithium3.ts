/**
 * CRYSTALS-Dilithium round 3 (specification 3.1, 2021-02-08), parameter set Dilithium3: the
 * algorithm liboqs builds for `OQS_SIG_new("Dilithium3")` and the QSIGN system signs with. Not
 * FIPS 204 ML-DSA-65, which has the same key sizes but a different key expansion, hashing and
 * signature encoding (3,309-byte signatures): the two never verify each other's signatures.
 *
 * Sizes in bytes: public key 1,952; secret key 4,000; signature 3,293. Signatures are over the
 * message as it is (for JWS: the signing input), no pre-hash, no context string.
 *
 * Implementation: PQClean's "clean" Dilithium3 (the pq-crystals reference code, the same code
 * liboqs's Dilithium3 comes from) compiled to WebAssembly, npm `pqclean` 0.3.0, its WebAssembly
 * back end loaded directly (`pqclean/wasm`): always the one build the known-answer tests cover
 * (test/unit/dilithium3-kat.test.ts), and signatures are made on that package's own worker
 * threads, never on the event loop. Signing is deterministic (the reference default; liboqs signs
 * randomized, which verifies the same).
 *
 * Private key material as stored: the 4,000-byte secret key followed by the 1,952-byte public key
 * (5,952 bytes). PQClean derives keys from its own randomness only, so there is no seed to keep;
 * the public key is kept because a round-3 secret key does not contain t1.
 */
import { QsignError } from '../errors.ts';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

export const DILITHIUM3_SIZES = {
  publicKey: 1952,
  secretKey: 4000,
  signature: 3293,
  privateKey: 4000 + 1952,
} as const;
/** FIPS 204 ML-DSA-65's signature size, named in errors when such a signature is presented as DILITHIUM3. */
const ML_DSA_65_SIGNATURE = 3309;

interface PqcleanPublicKey {
  verify(message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}
interface PqcleanPrivateKey {
  sign(message: Uint8Array): Promise<ArrayBuffer>;
}
interface PqcleanSign {
  PublicKey: new (name: string, bytes: Uint8Array) => PqcleanPublicKey;
  PrivateKey: new (name: string, bytes: Uint8Array) => PqcleanPrivateKey;
  generateKeyPair(
    name: string,
  ): Promise<{ publicKey: { export(): ArrayBuffer }; privateKey: { export(): ArrayBuffer } }>;
}

// The package is CommonJS without types; its WebAssembly back end is `pqclean/wasm` (index.js
// would first look for a native addon and warn on every start when there is none).
const pqclean = createRequire(import.meta.url)('pqclean/wasm/index.js') as { sign: PqcleanSign };
const NAME = 'dilithium3';

export class Dilithium3KeyError extends QsignError {
  constructor(message: string) {
    super('ERR_DILITHIUM3_KEY', message);
    this.name = 'Dilithium3KeyError';
  }
}

export interface Dilithium3KeyPair {
  publicKey: Uint8Array;
  /** 4,000-byte round-3 secret key. */
  secretKey: Uint8Array;
}

/** A new key pair from PQClean's randomness (node:crypto), made on a worker thread. */
export async function dilithium3Keypair(): Promise<Dilithium3KeyPair> {
  const pair = await pqclean.sign.generateKeyPair(NAME);
  return {
    publicKey: new Uint8Array(pair.publicKey.export()),
    secretKey: new Uint8Array(pair.privateKey.export()),
  };
}

/** The stored private form: secret key ‖ public key (5,952 bytes). */
export const dilithium3PrivateKey = (pair: Dilithium3KeyPair): Buffer =>
  Buffer.concat([pair.secretKey, pair.publicKey]);

/**
 * Splits and checks the stored private form. The round-3 secret key starts with ρ (= the public
 * key's first 32 bytes), K, and tr = SHAKE256(pk) (32 bytes), so a secret key stored with another
 * key's public key is refused here instead of publishing a key that verifies nothing.
 * @throws Dilithium3KeyError for a wrong length (a 32-byte value is an ML-DSA-65 seed stored under
 *   the old meaning of DILITHIUM3) or a secret key that does not belong to the public key.
 */
export function dilithium3FromPrivateKey(material: Uint8Array): Dilithium3KeyPair {
  if (material.length !== DILITHIUM3_SIZES.privateKey) {
    const legacy =
      material.length === 32
        ? ': a 32-byte value is an ML-DSA-65 seed kept under the former meaning of DILITHIUM3 (migration 12 renames such keys to ML-DSA-65)'
        : '';
    throw new Dilithium3KeyError(
      `DILITHIUM3 private key material must be ${DILITHIUM3_SIZES.privateKey} bytes (round-3 secret key and public key), got ${material.length}${legacy}`,
    );
  }
  const secretKey = Uint8Array.prototype.slice.call(material, 0, DILITHIUM3_SIZES.secretKey);
  const publicKey = Uint8Array.prototype.slice.call(material, DILITHIUM3_SIZES.secretKey);
  const tr = createHash('shake256', { outputLength: 32 }).update(publicKey).digest();
  if (
    !Buffer.from(secretKey.subarray(0, 32)).equals(Buffer.from(publicKey.subarray(0, 32))) ||
    !tr.equals(secretKey.subarray(64, 96))
  ) {
    throw new Dilithium3KeyError(
      'DILITHIUM3 secret key does not belong to the public key stored with it',
    );
  }
  return { publicKey, secretKey };
}

/** Signs with a loaded key: resolves to the 3,293-byte signature, made on a worker thread. */
export type Dilithium3Signer = (message: Uint8Array) => Promise<Uint8Array>;

export function dilithium3Signer(secretKey: Uint8Array): Dilithium3Signer {
  const key = new pqclean.sign.PrivateKey(NAME, secretKey);
  return async (message) => new Uint8Array(await key.sign(message));
}

/**
 * Verifies round-3 Dilithium3 signatures under `publicKey`: resolves to undefined when valid, else
 * the reason (a 3,309-byte signature is named as an ML-DSA-65 signature, the usual mix-up).
 * @throws Dilithium3KeyError when `publicKey` is not 1,952 bytes.
 */
export function dilithium3Verifier(
  publicKey: Uint8Array,
): (message: Uint8Array, signature: Uint8Array) => Promise<string | undefined> {
  if (publicKey.length !== DILITHIUM3_SIZES.publicKey)
    throw new Dilithium3KeyError(
      `a DILITHIUM3 public key is ${DILITHIUM3_SIZES.publicKey} bytes, got ${publicKey.length}`,
    );
  const key = new pqclean.sign.PublicKey(NAME, publicKey);
  return async (message, signature) => {
    if (signature.length === ML_DSA_65_SIGNATURE)
      return `ML-DSA-65 signature under DILITHIUM3: ${ML_DSA_65_SIGNATURE} bytes is FIPS 204 ML-DSA-65's size; DILITHIUM3 (CRYSTALS-Dilithium round 3) signatures are ${DILITHIUM3_SIZES.signature} bytes`;
    if (signature.length !== DILITHIUM3_SIZES.signature)
      return `DILITHIUM3 signature must be ${DILITHIUM3_SIZES.signature} bytes, got ${signature.length}`;
    return (await key.verify(message, signature)) ? undefined : 'signature verification failed';
  };
}

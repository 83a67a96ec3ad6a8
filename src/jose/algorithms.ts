/**
 * The JWS algorithm registry: for every alg qsign-oidc signs or verifies, its JWK form, how a
 * private key is generated, loaded and used, how a signature is verified from the public JWK,
 * and the hash of its `at_hash`/`c_hash`. Table in README ("Algorithms"); sources:
 * - ML-DSA-44/65/87: FIPS 204, RFC 9964 (kty "AKP", `pub`; `priv` = 32-byte seed).
 * - DILITHIUM3: CRYSTALS-Dilithium round 3 (jose/dilithium3.ts), as the QSIGN system signs with
 *   liboqs `OQS_SIG_new("Dilithium3")`, in its JWKS form `{"kty":"OQS","alg":"DILITHIUM3","use":"sig","kid","x"}`
 *   (x = the 1,952-byte public key; 3,293-byte signatures). Until migration 12 the name meant
 *   ML-DSA-65; keys stored under that meaning are renamed ML-DSA-65 by it (docs/algorithms.md).
 * - Composites: jose/composite.ts (draft-ietf-lamps-pq-composite-sigs construction,
 *   draft-ietf-jose-pq-composite-sigs-05 for ML-DSA-65-ES256); ML-DSA-65 halves only.
 * - RS*, PS*, ES*, EdDSA, HS*: RFC 7518 / RFC 8037.
 *
 * Private key material (bytes): ML-DSA the 32-byte seed; DILITHIUM3 the 4,000-byte round-3 secret
 * key followed by the 1,952-byte public key; composites the ML-DSA-65 seed followed by the PKCS#8
 * DER of the traditional key; RSA/EC/OKP PKCS#8 DER; HMAC the secret.
 */
import { QsignError } from '../errors.ts';
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { JWK } from 'jose';
import { mlDsaFromSeed, mlDsaSign, ML_DSA_SIZES, type MlDsaParameterSet } from './ml-dsa.ts';
import type { SigningThreads } from './ml-dsa-threads.ts';
import {
  COMPOSITE_MEMBERS,
  compositePublicJwk,
  compositeSign,
  compositeVerify,
  localHalves,
  type TraditionalKind,
} from './composite.ts';
import {
  Dilithium3KeyError,
  dilithium3FromPrivateKey,
  dilithium3Keypair,
  dilithium3PrivateKey,
  dilithium3Signer,
  dilithium3Verifier,
} from './dilithium3.ts';

export class JwkError extends QsignError {
  constructor(message: string) {
    super('ERR_JWK_NOT_USABLE', message);
    this.name = 'JwkError';
  }
}

export interface LoadedKey {
  /** Public JWK without kid/use (the caller adds them); undefined for symmetric keys. */
  publicJwk: JWK | undefined;
  sign(input: Uint8Array): Promise<Uint8Array>;
  /** ML-DSA only (not DILITHIUM3: round 3 has no context): sign with a FIPS 204 context string (the ML-DSA half of a composite uses ctx = label). */
  signWithContext?(input: Uint8Array, context: Uint8Array): Promise<Uint8Array>;
}

/** Verifies `signature` over `input`; resolves to undefined when valid, else the reason. */
export type Verify = (input: Uint8Array, signature: Uint8Array) => Promise<string | undefined>;

export interface JwsAlgorithm {
  alg: string;
  /** JWK kty of its keys ("oct" for HMAC). */
  kty: string;
  /** Public JWK members besides kty that identify the key (RFC 7638-style thumbprint input). */
  members: string[];
  /** node:crypto hash for at_hash / c_hash (OIDC Core §3.1.3.6: left half of the digest). */
  hash: string | [string, { outputLength: number }];
  /** "standard" algs are verified by `jose` in the public verifier; "custom" ones by this registry. */
  family: 'standard' | 'custom';
  /**
   * New private key in the registry's form; `rsaBits` sizes RSA keys (default 2048, Keycloak's).
   * RSA and EC pairs are made on libuv's thread pool: an RSA-3072 key takes a fraction of a
   * second, which a scheduled rotation must not take from the event loop serving tokens.
   */
  generate(options?: { rsaBits?: number }): Promise<Buffer>;
  /** Opens a private key; `threads`, where given, are the signing threads pure ML-DSA signs on. */
  load(privateKey: Uint8Array, threads?: SigningThreads): LoadedKey;
  /** Builds a verifier from a public JWK. @throws JwkError when the JWK does not fit the alg. */
  verifier(jwk: JWK): Verify;
}

/**
 * node:crypto's asynchronous sign: the signature is made on libuv's thread pool, off the event
 * loop (RSA and ECDSA here; measured 1.5x the RS256 grants/s of signing on the loop, 1 worker).
 * Pure ML-DSA stays on liboqs, which costs about half the CPU of OpenSSL's ML-DSA per signature.
 */
const signAsync = promisify(nodeSign);
/** node:crypto's generateKeyPair on the thread pool, KeyObjects out. */
function keyPair(
  type: 'rsa',
  options: { modulusLength: number },
): Promise<{ privateKey: KeyObject }>;
function keyPair(type: 'ec', options: { namedCurve: string }): Promise<{ privateKey: KeyObject }>;
function keyPair(type: 'ed25519'): Promise<{ privateKey: KeyObject }>;
function keyPair(
  type: 'rsa' | 'ec' | 'ed25519',
  options: object = {},
): Promise<{ privateKey: KeyObject }> {
  return new Promise((resolve, reject) =>
    generateKeyPair(type as 'rsa', options as never, (err, _publicKey, privateKey) =>
      err ? reject(err) : resolve({ privateKey: privateKey as unknown as KeyObject }),
    ),
  );
}

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const fromB64u = (value: unknown, member: string): Buffer => {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value))
    throw new JwkError(`JWK member "${member}" must be base64url`);
  return Buffer.from(value, 'base64url');
};
const ok = (valid: boolean, reason = 'signature verification failed') =>
  valid ? undefined : reason;

// ---- ML-DSA (AKP) ----------------------------------------------------------------------------

/** node:crypto ML-DSA with a context string, on libuv's thread pool. */
function contextSigner(set: MlDsaParameterSet, seed: Uint8Array, publicKey: Uint8Array) {
  const key = createPrivateKey({
    key: { kty: 'AKP', alg: set, pub: b64u(publicKey), priv: b64u(seed) },
    format: 'jwk',
  } as never);
  return (input: Uint8Array, context: Uint8Array) =>
    signAsync(null, input, { key, context } as never);
}

function mlDsaPublicKey(set: MlDsaParameterSet, raw: Buffer, member: string): KeyObject {
  if (raw.length !== ML_DSA_SIZES[set].publicKey)
    throw new JwkError(
      `"${member}" must be a ${ML_DSA_SIZES[set].publicKey}-byte ${set} public key, got ${raw.length} bytes`,
    );
  return createPublicKey({ key: { kty: 'AKP', alg: set, pub: b64u(raw) }, format: 'jwk' } as never);
}

function mlDsaVerify(set: MlDsaParameterSet, key: KeyObject): Verify {
  return async (input, signature) => {
    if (signature.length !== ML_DSA_SIZES[set].signature)
      return `${set} signature must be ${ML_DSA_SIZES[set].signature} bytes, got ${signature.length}`;
    return ok(nodeVerify(null, input, key, signature));
  };
}

function mlDsa(set: MlDsaParameterSet): JwsAlgorithm {
  return {
    alg: set,
    kty: 'AKP',
    members: ['alg', 'pub'],
    hash: ['shake256', { outputLength: 64 }],
    family: 'standard',
    generate: async () => randomBytes(32),
    load(privateKey, threads) {
      const pair = mlDsaFromSeed(set, privateKey);
      return {
        publicJwk: { kty: 'AKP', alg: set, pub: b64u(pair.publicKey) },
        sign: (input) => mlDsaSign(pair, input, threads),
        signWithContext: contextSigner(set, privateKey, pair.publicKey),
      };
    },
    verifier(jwk) {
      if (jwk.kty !== 'AKP' || jwk.alg !== set)
        throw new JwkError(`${set} needs an AKP key with alg ${set}`);
      return mlDsaVerify(set, mlDsaPublicKey(set, fromB64u(jwk.pub, 'pub'), 'pub'));
    },
  };
}

// ---- DILITHIUM3 (OQS): CRYSTALS-Dilithium round 3 --------------------------------------------

const dilithium3: JwsAlgorithm = {
  alg: 'DILITHIUM3',
  kty: 'OQS',
  members: ['alg', 'x'],
  hash: ['shake256', { outputLength: 64 }],
  family: 'custom',
  generate: async () => dilithium3PrivateKey(await dilithium3Keypair()),
  load(privateKey) {
    let pair;
    try {
      pair = dilithium3FromPrivateKey(privateKey);
    } catch (err) {
      throw err instanceof Dilithium3KeyError ? new JwkError(err.message) : err;
    }
    return {
      publicJwk: { kty: 'OQS', alg: 'DILITHIUM3', x: b64u(pair.publicKey) },
      sign: dilithium3Signer(pair.secretKey),
    };
  },
  verifier(jwk) {
    if (jwk.kty !== 'OQS' || jwk.alg !== 'DILITHIUM3')
      throw new JwkError('DILITHIUM3 needs an OQS key with alg DILITHIUM3');
    const x = fromB64u(jwk.x, 'x');
    try {
      return dilithium3Verifier(x);
    } catch (err) {
      throw err instanceof Dilithium3KeyError
        ? new JwkError(`"x" must be a 1952-byte DILITHIUM3 public key, got ${x.length} bytes`)
        : err;
    }
  },
};

// ---- composites --------------------------------------------------------------------------

const SEED = 32;

function mlDsaPrivateKey(seed: Uint8Array): { key: KeyObject; publicKey: Uint8Array } {
  const pair = mlDsaFromSeed('ML-DSA-65', seed);
  const key = createPrivateKey({
    key: { kty: 'AKP', alg: 'ML-DSA-65', pub: b64u(pair.publicKey), priv: b64u(seed) },
    format: 'jwk',
  } as never);
  return { key, publicKey: pair.publicKey };
}

function composite(alg: string, kind: TraditionalKind): JwsAlgorithm {
  const ec = kind === 'ECDSA-P256';
  return {
    alg,
    kty: 'AKP',
    members: ['alg', 'pub'],
    hash: 'sha512',
    family: 'custom',
    async generate() {
      const { privateKey: traditional } = ec
        ? await keyPair('ec', { namedCurve: 'P-256' })
        : await keyPair('rsa', { modulusLength: 3072 });
      return Buffer.concat([
        randomBytes(SEED),
        traditional.export({ format: 'der', type: 'pkcs8' }),
      ]);
    },
    load(privateKey) {
      const mlDsaKey = mlDsaPrivateKey(privateKey.subarray(0, SEED));
      const traditional = createPrivateKey({
        key: Buffer.from(privateKey.subarray(SEED)),
        format: 'der',
        type: 'pkcs8',
      });
      const publicJwk = compositePublicJwk(
        alg,
        { kty: 'AKP', pub: b64u(mlDsaKey.publicKey) },
        createPublicKey(traditional).export({ format: 'jwk' }) as JWK,
      );
      const halves = localHalves({ kind, mlDsa: mlDsaKey.key, traditional });
      return { publicJwk, sign: (input) => compositeSign(kind, halves, input) };
    },
    verifier(jwk) {
      if (jwk.kty !== 'AKP' || jwk.alg !== alg)
        throw new JwkError(`${alg} needs an AKP key with alg ${alg}`);
      const pub = fromB64u(jwk.pub, 'pub');
      const pkLen = ML_DSA_SIZES['ML-DSA-65'].publicKey;
      if (pub.length <= pkLen)
        throw new JwkError(
          `"pub" of ${alg} must hold the ML-DSA-65 key (${pkLen} bytes) and the traditional key, got ${pub.length} bytes`,
        );
      const mlDsaKey = mlDsaPublicKey('ML-DSA-65', pub.subarray(0, pkLen), 'pub');
      const traditional = ec ? ecFromPoint(pub.subarray(pkLen)) : rsaFromPkcs1(pub.subarray(pkLen));
      const key = { kind, mlDsa: mlDsaKey, traditional };
      return (input, signature) => compositeVerify(key, input, signature);
    },
  };
}

function ecFromPoint(point: Buffer): KeyObject {
  if (point.length !== 65 || point[0] !== 4)
    throw new JwkError(
      `the ECDSA half must be an uncompressed P-256 point (65 bytes), got ${point.length} bytes`,
    );
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) },
      format: 'jwk',
    } as never);
  } catch {
    throw new JwkError('the ECDSA half is not a point on P-256');
  }
}

function rsaFromPkcs1(der: Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  } catch {
    throw new JwkError('the RSA half is not an RSAPublicKey (PKCS#1 DER)');
  }
  if (key.asymmetricKeyDetails?.modulusLength !== 3072)
    throw new JwkError(
      `the RSA half must be RSA-3072, got ${key.asymmetricKeyDetails?.modulusLength} bits`,
    );
  return key;
}

// ---- standard algorithms -----------------------------------------------------------------

const HASH_BITS = (alg: string) => alg.slice(2);

function asymmetric(alg: string): JwsAlgorithm {
  const family = alg.slice(0, 2);
  const kty = family === 'ES' ? 'EC' : family === 'Ed' ? 'OKP' : 'RSA';
  const hash = alg === 'EdDSA' ? null : `sha${HASH_BITS(alg)}`;
  const options = (key: KeyObject) =>
    family === 'PS'
      ? { key, padding: 6, saltLength: Number(HASH_BITS(alg)) / 8 }
      : family === 'ES'
        ? { key, dsaEncoding: 'ieee-p1363' as const }
        : key;
  const curve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg];
  return {
    alg,
    kty,
    members: kty === 'RSA' ? ['e', 'n'] : kty === 'EC' ? ['crv', 'x', 'y'] : ['crv', 'x'],
    hash: hash ?? 'sha512',
    family: 'standard',
    async generate(options) {
      const pair =
        kty === 'RSA'
          ? await keyPair('rsa', { modulusLength: options?.rsaBits ?? 2048 })
          : kty === 'EC'
            ? await keyPair('ec', { namedCurve: curve! })
            : await keyPair('ed25519');
      return pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    },
    load(privateKey) {
      const key = createPrivateKey({ key: Buffer.from(privateKey), format: 'der', type: 'pkcs8' });
      return {
        publicJwk: createPublicKey(key).export({ format: 'jwk' }) as JWK,
        sign: (input) => signAsync(hash, input, options(key) as never),
      };
    },
    verifier(jwk) {
      if (jwk.kty !== kty) throw new JwkError(`${alg} needs a ${kty} key`);
      let key: KeyObject;
      try {
        key = createPublicKey({ key: jwk, format: 'jwk' } as never);
      } catch {
        throw new JwkError(`the ${kty} JWK is malformed`);
      }
      return async (input, signature) => {
        try {
          return ok(nodeVerify(hash, input, options(key) as never, signature));
        } catch {
          return 'signature verification failed';
        }
      };
    },
  };
}

function hmac(alg: string): JwsAlgorithm {
  const hash = `sha${HASH_BITS(alg)}`;
  return {
    alg,
    kty: 'oct',
    members: ['k'],
    hash,
    family: 'standard',
    generate: async () => randomBytes(Number(HASH_BITS(alg)) / 8),
    load(privateKey) {
      const secret = Buffer.from(privateKey);
      return {
        publicJwk: undefined,
        sign: async (input) => createHmac(hash, secret).update(input).digest(),
      };
    },
    verifier(jwk) {
      const secret = fromB64u(jwk.k, 'k');
      return async (input, signature) => {
        const expected = createHmac(hash, secret).update(input).digest();
        return ok(expected.length === signature.length && timingSafeEqual(expected, signature));
      };
    },
  };
}

const ALGORITHMS = new Map<string, JwsAlgorithm>([
  ...(['ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87'] as const).map((set) => [set, mlDsa(set)] as const),
  ['DILITHIUM3', dilithium3],
  ...Object.entries(COMPOSITE_MEMBERS).map(
    ([alg, spec]) => [alg, composite(alg, spec.kind)] as const,
  ),
  ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'].map(
    (alg) => [alg, asymmetric(alg)] as const,
  ),
  ...['HS256', 'HS384', 'HS512'].map((alg) => [alg, hmac(alg)] as const),
]);

/** @throws JwkError for an alg this registry does not know. */
export function jwsAlgorithm(alg: string): JwsAlgorithm {
  const found = ALGORITHMS.get(alg);
  if (!found) throw new JwkError(`unsupported JWS algorithm "${alg}"`);
  return found;
}

export const isSupportedAlg = (alg: string) => ALGORITHMS.has(alg);
export const allAlgorithms = () => [...ALGORITHMS.values()];
/** Algorithms with a post-quantum component (pure ML-DSA, DILITHIUM3 and the composites). */
export const POST_QUANTUM_ALGS = [...ALGORITHMS.keys()].filter(
  (alg) => alg.includes('ML-DSA') || alg === 'DILITHIUM3',
);

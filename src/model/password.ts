/**
 * Password credentials in Keycloak's stored form (CredentialRepresentation with `secretData`
 * and `credentialData` JSON strings, Keycloak 12+). New passwords are hashed with argon2id using
 * Keycloak 24+'s defaults (Argon2PasswordHashProviderFactory: type id, version 1.3, 5 iterations,
 * 7168 KiB memory, parallelism 1, 32-byte hash, 16-byte salt). Imported pbkdf2-sha1/-sha256/-sha512
 * and argon2 hashes verify as Keycloak's do.
 */
import { argon2, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const argon2Async = promisify(argon2);
const pbkdf2Async = promisify(pbkdf2);

export interface StoredPassword {
  secretData: { value: string; salt: string; additionalParameters?: Record<string, unknown> };
  credentialData: {
    hashIterations: number;
    algorithm: string;
    additionalParameters?: Record<string, string[]>;
  };
  /** Epoch ms the password was set (Keycloak's createdDate, kept from an import); now when absent. */
  createdDate?: number;
}

export const ARGON2_DEFAULTS = {
  iterations: 5,
  memoryKiB: 7168,
  parallelism: 1,
  hashLength: 32,
} as const;

/** How to hash: a Keycloak hash provider id and its iterations (realm/password-policy.ts). */
export interface HashOptions {
  algorithm?: string;
  iterations?: number;
}

const PBKDF2_DIGESTS: Record<string, string> = {
  pbkdf2: 'sha1',
  'pbkdf2-sha256': 'sha256',
  'pbkdf2-sha512': 'sha512',
};

/**
 * Hashes a clear-text password: argon2id with Keycloak's default parameters (about 40 ms of CPU)
 * unless `options` names a pbkdf2 variant (Pbkdf2PasswordHashProvider: 16-byte salt, 512-bit
 * derived key) or other argon2 iterations, as a realm's `hashAlgorithm` / `hashIterations`
 * policy does. An unknown algorithm falls back to argon2.
 */
export async function hashPassword(
  password: string,
  options: HashOptions = {},
): Promise<StoredPassword> {
  const salt = randomBytes(16);
  const digest = PBKDF2_DIGESTS[options.algorithm ?? ''];
  if (digest) {
    const iterations = options.iterations ?? 210_000;
    const hash = await pbkdf2Async(password, salt, iterations, 64, digest);
    return {
      secretData: {
        value: hash.toString('base64'),
        salt: salt.toString('base64'),
        additionalParameters: {},
      },
      credentialData: {
        hashIterations: iterations,
        algorithm: options.algorithm!,
        additionalParameters: {},
      },
    };
  }
  const iterations =
    options.algorithm === 'argon2' && options.iterations
      ? options.iterations
      : ARGON2_DEFAULTS.iterations;
  const hash = await argon2Async('argon2id', {
    message: password,
    nonce: salt,
    parallelism: ARGON2_DEFAULTS.parallelism,
    tagLength: ARGON2_DEFAULTS.hashLength,
    memory: ARGON2_DEFAULTS.memoryKiB,
    passes: iterations,
  });
  return {
    secretData: {
      value: hash.toString('base64'),
      salt: salt.toString('base64'),
      additionalParameters: {},
    },
    credentialData: {
      hashIterations: iterations,
      algorithm: 'argon2',
      additionalParameters: {
        hashLength: [String(ARGON2_DEFAULTS.hashLength)],
        memory: [String(ARGON2_DEFAULTS.memoryKiB)],
        type: ['id'],
        version: ['1.3'],
        parallelism: [String(ARGON2_DEFAULTS.parallelism)],
      },
    },
  };
}

const first = (params: Record<string, string[]> | undefined, key: string, fallback: string) =>
  params?.[key]?.[0] ?? fallback;

/**
 * Checks a clear-text password against a stored credential.
 * @throws Error for an algorithm we cannot verify (named in the message, no secret in it).
 */
export async function verifyPassword(password: string, stored: StoredPassword): Promise<boolean> {
  const expected = Buffer.from(stored.secretData.value, 'base64');
  const salt = Buffer.from(stored.secretData.salt, 'base64');
  const { algorithm, hashIterations, additionalParameters } = stored.credentialData;
  let actual: Buffer;
  if (algorithm === 'argon2') {
    const type = first(additionalParameters, 'type', 'id');
    actual = await argon2Async(`argon2${type}` as 'argon2id', {
      message: password,
      nonce: salt,
      parallelism: Number(first(additionalParameters, 'parallelism', '1')),
      tagLength: Number(first(additionalParameters, 'hashLength', '32')),
      memory: Number(first(additionalParameters, 'memory', '7168')),
      passes: hashIterations,
    });
  } else if (
    algorithm === 'pbkdf2' ||
    algorithm === 'pbkdf2-sha256' ||
    algorithm === 'pbkdf2-sha512'
  ) {
    const digest = PBKDF2_DIGESTS[algorithm];
    actual = await pbkdf2Async(password, salt, hashIterations, expected.length, digest);
  } else {
    throw new Error(`unsupported password hash algorithm "${algorithm}"`);
  }
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export const SUPPORTED_HASH_ALGORITHMS = new Set([
  'argon2',
  'pbkdf2',
  'pbkdf2-sha256',
  'pbkdf2-sha512',
]);

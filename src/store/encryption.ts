/**
 * Encryption at rest of local private keys (and, through sealValue/openValue, realm secrets): AES-256-GCM under the key-encryption key (KEK) from
 * config, 12-byte random nonce, 16-byte tag, with `kid` and `alg` bound as associated data so a
 * sealed key cannot be swapped onto another key record (ARCHITECTURE.md section 6).
 * Layout of a sealed blob: version byte 0x01 ‖ nonce(12) ‖ tag(16) ‖ ciphertext.
 */
import { QsignError } from '../errors.ts';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 0x01;

export class KeyDecryptionError extends QsignError {
  constructor(kid: string) {
    super(
      'ERR_KEY_DECRYPTION',
      `private key ${kid} cannot be decrypted: wrong KEY_ENCRYPTION_KEY or tampered record`,
    );
    this.name = 'KeyDecryptionError';
  }
}

/** The configured KEY_ENCRYPTION_KEY is not the one the store's keys were sealed with (keys/kek-check.ts). */
export class WrongKeyEncryptionKeyError extends QsignError {
  /** @param what what it failed to open ("none of the 10 newest local private keys in the store"). */
  constructor(what: string) {
    super(
      'ERR_WRONG_KEK',
      `KEY_ENCRYPTION_KEY opens ${what}: it is not the key this store's keys were sealed with. Start with that key (keys made under another one would be unreadable to every other process); \`keys list\` and \`keys disable\` work without it`,
    );
    this.name = 'WrongKeyEncryptionKeyError';
  }
}

const aad = (kid: string, alg: string) => Buffer.from(`qsign-oidc key\0${kid}\0${alg}`);

/**
 * The sealing primitive, for any value: AES-256-GCM under `key`, `aad` bound as associated data,
 * in the layout above. Used for private keys (below) and realm secrets (store/realm-secrets.ts).
 */
export function sealValue(key: Buffer, aad: Buffer, plaintext: Uint8Array): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), nonce, cipher.getAuthTag(), ciphertext]);
}

/** @returns the plaintext, or undefined when the key or the aad is wrong or the blob was altered. */
export function openValue(key: Buffer, aad: Buffer, sealed: Uint8Array): Buffer | undefined {
  const blob = Buffer.from(sealed);
  if (blob[0] !== VERSION || blob.length < 29) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 13));
    decipher.setAAD(aad);
    decipher.setAuthTag(blob.subarray(13, 29));
    return Buffer.concat([decipher.update(blob.subarray(29)), decipher.final()]);
  } catch {
    return undefined;
  }
}

export function sealPrivateKey(
  kek: Buffer,
  kid: string,
  alg: string,
  plaintext: Uint8Array,
): Buffer {
  return sealValue(kek, aad(kid, alg), plaintext);
}

/** @throws KeyDecryptionError when the KEK is wrong or the record was altered. */
export function openPrivateKey(kek: Buffer, kid: string, alg: string, sealed: Uint8Array): Buffer {
  const plaintext = openValue(kek, aad(kid, alg), sealed);
  if (!plaintext) throw new KeyDecryptionError(kid);
  return plaintext;
}

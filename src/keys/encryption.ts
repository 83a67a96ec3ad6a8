/**
 * Encryption at rest of local private keys: AES-256-GCM under the key-encryption key (KEK) from
 * config, 12-byte random nonce, 16-byte tag, with `kid` and `alg` bound as associated data so a
 * sealed key cannot be swapped onto another key record (ARCHITECTURE.md section 6).
 * Layout of a sealed blob: version byte 0x01 ‖ nonce(12) ‖ tag(16) ‖ ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 0x01;

export class KeyDecryptionError extends Error {
  constructor(kid: string) {
    super(`private key ${kid} cannot be decrypted: wrong KEY_ENCRYPTION_KEY or tampered record`);
    this.name = 'KeyDecryptionError';
  }
}

/** The configured KEY_ENCRYPTION_KEY is not the one the store's keys were sealed with (keys/kek-check.ts). */
export class WrongKeyEncryptionKeyError extends Error {
  /** @param what what it failed to open ("none of the 10 newest local private keys in the store"). */
  constructor(what: string) {
    super(`KEY_ENCRYPTION_KEY opens ${what}: it is not the key this store's keys were sealed with. Start with that key (keys made under another one would be unreadable to every other process); \`keys list\` and \`keys disable\` work without it`);
    this.name = 'WrongKeyEncryptionKeyError';
  }
}

const aad = (kid: string, alg: string) => Buffer.from(`qsign-oidc key\0${kid}\0${alg}`);

export function sealPrivateKey(kek: Buffer, kid: string, alg: string, plaintext: Uint8Array): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce);
  cipher.setAAD(aad(kid, alg));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), nonce, cipher.getAuthTag(), ciphertext]);
}

/** @throws KeyDecryptionError when the KEK is wrong or the record was altered. */
export function openPrivateKey(kek: Buffer, kid: string, alg: string, sealed: Uint8Array): Buffer {
  const blob = Buffer.from(sealed);
  if (blob[0] !== VERSION || blob.length < 29) throw new KeyDecryptionError(kid);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, blob.subarray(1, 13));
    decipher.setAAD(aad(kid, alg));
    decipher.setAuthTag(blob.subarray(13, 29));
    return Buffer.concat([decipher.update(blob.subarray(29)), decipher.final()]);
  } catch {
    throw new KeyDecryptionError(kid);
  }
}

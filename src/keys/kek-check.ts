/**
 * The check every process and command that opens the store makes of KEY_ENCRYPTION_KEY before
 * using it. A process started with the wrong key would otherwise serve on (every local key
 * failing closed with 503) and, worse, seal new local keys (rotation, imports, the admin API) and
 * chain events under a key no other process has.
 *
 * Two proofs, the first that exists decides: the 10 newest local private keys (one of them
 * opening is enough: a single tampered record is its realm's concern, loaded as an unavailable
 * key), else a check value sealed under the key when the store was first opened without local
 * keys (table key_encryption_key_check, migration 8).
 */
import { randomBytes } from 'node:crypto';
import type { SqlClient } from '../store/sql.ts';
import { openPrivateKey, sealPrivateKey, WrongKeyEncryptionKeyError } from '../store/encryption.ts';

const SAMPLE = 10;
const CHECK_KID = 'key-encryption-key-check';
const CHECK_ALG = 'check';

const opens = (kek: Buffer, kid: string, alg: string, sealed: Uint8Array) => {
  try {
    openPrivateKey(kek, kid, alg, sealed).fill(0);
    return true;
  } catch {
    return false;
  }
};

/**
 * @throws WrongKeyEncryptionKeyError when `kek` opens none of the newest local private keys, or,
 *   in a store without local keys, not the check value sealed at its first opening.
 * @throws StoreUnavailableError when the store cannot be read.
 */
export async function checkKeyEncryptionKey(db: SqlClient, kek: Buffer): Promise<void> {
  const keys = await db.query<{ kid: string; alg: string; private_key: Uint8Array }>(
    "SELECT kid, coalesce(backend_ref->>'sealedAlg', alg) AS alg, private_key FROM keys WHERE backend = 'local' AND private_key IS NOT NULL ORDER BY created_at DESC LIMIT $1",
    [SAMPLE],
  );
  if (keys.length) {
    if (!keys.some((k) => opens(kek, k.kid, k.alg, k.private_key)))
      throw new WrongKeyEncryptionKeyError(
        `none of the ${keys.length} newest local private keys in the store`,
      );
    return;
  }
  await db.query(
    'INSERT INTO key_encryption_key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING',
    [sealPrivateKey(kek, CHECK_KID, CHECK_ALG, randomBytes(32))],
  );
  const [check] = await db.query<{ sealed: Uint8Array }>(
    'SELECT sealed FROM key_encryption_key_check WHERE id = 1',
  );
  if (!opens(kek, CHECK_KID, CHECK_ALG, check.sealed))
    throw new WrongKeyEncryptionKeyError('the check value sealed when this store was first opened');
}

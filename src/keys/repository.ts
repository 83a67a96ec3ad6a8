/**
 * Key records in the `keys` table. Private material is only ever written sealed
 * (keys/encryption.ts); `public_jwk` is what the JWKS publishes.
 */
import type { SqlClient } from '../store/sql.ts';
import type { SignerStatus } from '../signer/signer.ts';
import { sealPrivateKey } from './encryption.ts';
import type { GeneratedKey } from './generate.ts';

export interface KeyRecord {
  kid: string;
  realmId: string;
  alg: string;
  providerId: string;
  priority: number;
  status: SignerStatus;
  componentId: string;
  privateKey: Buffer;
  createdAt: Date;
}

export async function insertKey(db: SqlClient, kek: Buffer, realmId: string, key: GeneratedKey, priority: number, status: SignerStatus, componentId: string): Promise<void> {
  await db.query(
    'INSERT INTO keys (kid, realm_id, alg, provider_id, priority, status, private_key, component_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [key.kid, realmId, key.alg, key.providerId, priority, status, sealPrivateKey(kek, key.kid, key.alg, key.privateKey), componentId],
  );
}

export async function listKeys(db: SqlClient, realmId: string): Promise<KeyRecord[]> {
  const rows = await db.query<{ kid: string; realm_id: string; alg: string; provider_id: string; priority: number; status: SignerStatus; private_key: Uint8Array; created_at: Date; component_id: string }>(
    'SELECT kid, realm_id, alg, provider_id, priority, status, private_key, created_at, component_id FROM keys WHERE realm_id = $1 ORDER BY priority DESC, created_at DESC',
    [realmId],
  );
  return rows.map((r) => ({
    kid: r.kid, realmId: r.realm_id, alg: r.alg, providerId: r.provider_id, priority: r.priority,
    status: r.status, componentId: r.component_id, privateKey: Buffer.from(r.private_key), createdAt: new Date(r.created_at),
  }));
}

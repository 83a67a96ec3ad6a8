/**
 * Key records in the `keys` table. Private material is only ever written sealed
 * (keys/encryption.ts); `public_jwk` is what the JWKS publishes.
 */
import type { SqlClient } from '../store/sql.ts';
import type { SignerStatus } from '../signer/signer.ts';
import { sealPrivateKey } from './encryption.ts';
import type { GeneratedKey } from './generate.ts';
import type { JWK } from 'jose';
import { jwsAlgorithm } from '../jose/algorithms.ts';

export interface KeyRecord {
  kid: string;
  realmId: string;
  alg: string;
  providerId: string;
  priority: number;
  status: SignerStatus;
  componentId: string;
  /** Sealed private key of a local key; undefined when the key lives in a back end. */
  privateKey: Buffer | undefined;
  /** "local", "vault-transit", "pkcs11". */
  backend: string;
  /** Where the back end keeps it, e.g. {"version": 3} for a Vault key version. */
  backendRef: Record<string, unknown> | null;
  /** Public JWK recorded for back-end keys (local keys derive it from the private key). */
  publicJwk: JWK | null;
  createdAt: Date;
}

export interface ExternalKey {
  kid: string;
  alg: string;
  providerId: string;
  priority: number;
  status: SignerStatus;
  componentId: string;
  backend: string;
  backendRef: Record<string, unknown>;
  publicJwk: JWK;
}

/**
 * Inserts or updates a key held by a back end (no private material here). The key is the realm's
 * (primary key realm_id, kid): a row of another realm is never touched, and a row of this realm
 * that another component owns is never taken over.
 * @throws KeyConflictError when the kid is held by another component of the realm.
 */
export async function upsertExternalKey(db: SqlClient, realmId: string, key: ExternalKey): Promise<void> {
  const rows = await db.query(
    `INSERT INTO keys (kid, realm_id, alg, provider_id, priority, status, private_key, component_id, backend, backend_ref, public_jwk)
     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, $10)
     ON CONFLICT (realm_id, kid) DO UPDATE SET priority = EXCLUDED.priority, status = EXCLUDED.status, public_jwk = EXCLUDED.public_jwk, backend_ref = EXCLUDED.backend_ref
       WHERE keys.component_id = EXCLUDED.component_id AND keys.backend = EXCLUDED.backend
     RETURNING kid`,
    [key.kid, realmId, key.alg, key.providerId, key.priority, key.status, key.componentId, key.backend, JSON.stringify(key.backendRef), JSON.stringify(key.publicJwk)],
  );
  if (!rows.length) throw new KeyConflictError(key.kid);
}

/** A kid the realm already has under another key provider. */
export class KeyConflictError extends Error {
  constructor(kid: string) {
    super(`key ${kid} already exists in this realm under another key provider`);
    this.name = 'KeyConflictError';
  }
}

export async function insertKey(db: SqlClient, kek: Buffer, realmId: string, key: GeneratedKey, priority: number, status: SignerStatus, componentId: string): Promise<void> {
  // The public JWK is recorded too, so composites and the admin API need not decrypt to see it.
  const publicJwk = jwsAlgorithm(key.alg).load(key.privateKey).publicJwk ?? null;
  await db.query(
    'INSERT INTO keys (kid, realm_id, alg, provider_id, priority, status, private_key, component_id, public_jwk) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    [key.kid, realmId, key.alg, key.providerId, priority, status, sealPrivateKey(kek, key.kid, key.alg, key.privateKey), componentId, publicJwk && JSON.stringify(publicJwk)],
  );
}

/**
 * Records the public JWK of a local key stored before public JWKs were recorded (its row has
 * none), so that later readers (the admin key listing) need not decrypt it again. Never
 * overwrites a recorded one.
 */
export async function recordPublicJwk(db: SqlClient, realmId: string, kid: string, publicJwk: JWK): Promise<void> {
  await db.query('UPDATE keys SET public_jwk = $3 WHERE realm_id = $1 AND kid = $2 AND public_jwk IS NULL', [realmId, kid, JSON.stringify(publicJwk)]);
}

export async function listKeys(db: SqlClient, realmId: string): Promise<KeyRecord[]> {
  const rows = await db.query<{ kid: string; realm_id: string; alg: string; provider_id: string; priority: number; status: SignerStatus; private_key: Uint8Array | null; created_at: Date; component_id: string; backend: string; backend_ref: Record<string, unknown> | null; public_jwk: JWK | null }>(
    `SELECT kid, realm_id, alg, provider_id, priority, status, private_key, created_at, component_id, backend, backend_ref, public_jwk
     FROM keys WHERE realm_id = $1 ORDER BY priority DESC, created_at DESC`,
    [realmId],
  );
  return rows.map((r) => ({
    kid: r.kid, realmId: r.realm_id, alg: r.alg, providerId: r.provider_id, priority: r.priority,
    status: r.status, componentId: r.component_id, privateKey: r.private_key ? Buffer.from(r.private_key) : undefined,
    backend: r.backend, backendRef: r.backend_ref, publicJwk: r.public_jwk, createdAt: new Date(r.created_at),
  }));
}

/**
 * Key records in the `keys` table. Private material is only ever written sealed
 * (store/encryption.ts); `public_jwk` is what the JWKS publishes.
 */
import { QsignError } from '../errors.ts';
import type { SqlClient } from '../store/sql.ts';
import type { SignerStatus } from '../signer/signer.ts';
import { sealPrivateKey } from '../store/encryption.ts';
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
  /** A pre-published (PASSIVE) key signs from then on (the rotation scheduler activates it); null: not scheduled. */
  activateAt: Date | null;
  /** A replaced key is disabled then (the rotation scheduler); null: not scheduled. */
  retireAt: Date | null;
  /** First time the key was ACTIVE or PASSIVE (published in the JWKS); null: never published. */
  publishedAt: Date | null;
  /** Every signature of the key was made before this (migration 14); null: it never signed. */
  signedUntil?: Date | null;
  /** The longest lifetime (seconds) of the tokens it signed; null: it never signed. */
  signedLifetime?: number | null;
  /** Keycloak's KeyUse: "sig" signs; "enc" (rsa-enc-generated, aes-generated) never does (migration 15). */
  use?: KeyUse;
}

/** Keycloak's KeyUse, lower case as in a JWK's `use` (RFC 7517 §4.2). */
export type KeyUse = 'sig' | 'enc';

/**
 * The key a local provider makes: a signing key (`use` absent, loaded through the JWS registry) or
 * an encryption key (`use` "enc", its public JWK given: null for a secret key), never a signer.
 */
export type LocalKeyMaterial = GeneratedKey & { use?: 'enc'; publicJwk?: JWK | null };

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
export async function upsertExternalKey(
  db: SqlClient,
  realmId: string,
  key: ExternalKey,
): Promise<void> {
  const rows = await db.query(
    `INSERT INTO keys (kid, realm_id, alg, provider_id, priority, status, private_key, component_id, backend, backend_ref, public_jwk, published_at)
     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, $10, CASE WHEN $6::text <> 'DISABLED' THEN now() END)
     ON CONFLICT (realm_id, kid) DO UPDATE SET priority = EXCLUDED.priority, status = EXCLUDED.status, public_jwk = EXCLUDED.public_jwk, backend_ref = EXCLUDED.backend_ref,
       published_at = coalesce(keys.published_at, EXCLUDED.published_at)
       WHERE keys.component_id = EXCLUDED.component_id AND keys.backend = EXCLUDED.backend
     RETURNING kid`,
    [
      key.kid,
      realmId,
      key.alg,
      key.providerId,
      key.priority,
      key.status,
      key.componentId,
      key.backend,
      JSON.stringify(key.backendRef),
      JSON.stringify(key.publicJwk),
    ],
  );
  if (!rows.length) throw new KeyConflictError(key.kid);
}

/** A kid the realm already has under another key provider. */
export class KeyConflictError extends QsignError {
  constructor(kid: string) {
    super('ERR_KEY_CONFLICT', `key ${kid} already exists in this realm under another key provider`);
    this.name = 'KeyConflictError';
  }
}

/**
 * Inserts a local key, its private material sealed (store/encryption.ts). A signing key is loaded
 * through the JWS registry for its public JWK; an encryption key (`use` "enc") brings its own and
 * is stored with use 'enc', which listKeys (the signing path) never returns.
 */
export async function insertKey(
  db: SqlClient,
  kek: Buffer,
  realmId: string,
  key: LocalKeyMaterial,
  priority: number,
  status: SignerStatus,
  componentId: string,
): Promise<void> {
  // The public JWK is recorded too, so composites and the admin API need not decrypt to see it.
  const use: KeyUse = key.use ?? 'sig';
  const publicJwk =
    use === 'enc'
      ? (key.publicJwk ?? null)
      : (jwsAlgorithm(key.alg).load(key.privateKey).publicJwk ?? null);
  await db.query(
    `INSERT INTO keys (kid, realm_id, alg, provider_id, priority, status, private_key, component_id, public_jwk, published_at, use)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $6::text <> 'DISABLED' THEN now() END, $10)`,
    [
      key.kid,
      realmId,
      key.alg,
      key.providerId,
      priority,
      status,
      sealPrivateKey(kek, key.kid, key.alg, key.privateKey),
      componentId,
      publicJwk && JSON.stringify(publicJwk),
      use,
    ],
  );
}

/**
 * Records the public JWK of a local key stored before public JWKs were recorded (its row has
 * none), so that later readers (the admin key listing) need not decrypt it again. Never
 * overwrites a recorded one.
 */
export async function recordPublicJwk(
  db: SqlClient,
  realmId: string,
  kid: string,
  publicJwk: JWK,
): Promise<void> {
  await db.query(
    'UPDATE keys SET public_jwk = $3 WHERE realm_id = $1 AND kid = $2 AND public_jwk IS NULL',
    [realmId, kid, JSON.stringify(publicJwk)],
  );
}

type KeyRow = {
  kid: string;
  realm_id: string;
  alg: string;
  provider_id: string;
  priority: number;
  status: SignerStatus;
  private_key: Uint8Array | null;
  created_at: Date;
  component_id: string;
  backend: string;
  backend_ref: Record<string, unknown> | null;
  public_jwk: JWK | null;
  activate_at: Date | null;
  retire_at: Date | null;
  published_at: Date | null;
  signed_until: Date | null;
  signed_lifetime: number | null;
  use: KeyUse;
};
const date = (value: Date | string | null) => (value === null ? null : new Date(value));

/**
 * Sets the state and priority of the component's keys; a key that becomes ACTIVE or PASSIVE for
 * the first time is published now (`published_at`). Returns the keys changed (kid, status).
 */
export async function setKeyState(
  db: SqlClient,
  realmId: string,
  componentId: string,
  state: { priority: number; status: SignerStatus; kid?: string },
): Promise<{ kid: string; status: SignerStatus }[]> {
  return db.query<{ kid: string; status: SignerStatus }>(
    `UPDATE keys SET priority = $3, status = $4, published_at = coalesce(published_at, CASE WHEN $4::text <> 'DISABLED' THEN now() END)
     WHERE realm_id = $1 AND component_id = $2 AND ($5::text IS NULL OR kid = $5) RETURNING kid, status`,
    [realmId, componentId, state.priority, state.status, state.kid ?? null],
  );
}

/**
 * The rotation schedule of the component's keys (epoch seconds; null clears; absent keeps):
 * `activateAt`, `retireAt`, and `publishedAt` (a rotation-made key is published at the scheduler's now).
 */
export async function setKeySchedule(
  db: SqlClient,
  realmId: string,
  componentId: string,
  schedule: { activateAt?: number | null; retireAt?: number | null; publishedAt?: number },
): Promise<void> {
  const at = (v: number | null | undefined) => (v === undefined || v === null ? null : v);
  await db.query(
    `UPDATE keys SET
       activate_at = CASE WHEN $3::boolean THEN to_timestamp($4::double precision) ELSE activate_at END,
       retire_at = CASE WHEN $5::boolean THEN to_timestamp($6::double precision) ELSE retire_at END,
       published_at = CASE WHEN $7::double precision IS NULL THEN published_at ELSE to_timestamp($7::double precision) END
     WHERE realm_id = $1 AND component_id = $2`,
    [
      realmId,
      componentId,
      schedule.activateAt !== undefined,
      at(schedule.activateAt),
      schedule.retireAt !== undefined,
      at(schedule.retireAt),
      schedule.publishedAt ?? null,
    ],
  );
}

/**
 * The realm's keys of one use (Keycloak's KeyUse), highest priority then newest first. The
 * default, 'sig', is what signs and verifies: every signing path reads only those, so an
 * encryption key ('enc') can never sign.
 */
export async function listKeys(
  db: SqlClient,
  realmId: string,
  use: KeyUse = 'sig',
): Promise<KeyRecord[]> {
  const rows = await db.query<KeyRow>(
    `SELECT kid, realm_id, alg, provider_id, priority, status, private_key, created_at, component_id, backend, backend_ref, public_jwk, activate_at, retire_at, published_at, signed_until, signed_lifetime, use
     FROM keys WHERE realm_id = $1 AND use = $2 ORDER BY priority DESC, created_at DESC`,
    [realmId, use],
  );
  return rows.map((r) => ({
    kid: r.kid,
    realmId: r.realm_id,
    alg: r.alg,
    providerId: r.provider_id,
    priority: r.priority,
    status: r.status,
    componentId: r.component_id,
    privateKey: r.private_key ? Buffer.from(r.private_key) : undefined,
    backend: r.backend,
    backendRef: r.backend_ref,
    publicJwk: r.public_jwk,
    createdAt: new Date(r.created_at),
    activateAt: date(r.activate_at),
    retireAt: date(r.retire_at),
    publishedAt: date(r.published_at),
    signedUntil: date(r.signed_until),
    signedLifetime: r.signed_lifetime === null ? null : Number(r.signed_lifetime),
    use: r.use,
  }));
}

/**
 * Records that the key signs until `until` (epoch milliseconds) tokens living up to `lifetime`
 * seconds: both only ever grow (keys/signature-ledger.ts calls it before the signatures it covers).
 */
export async function recordSigned(
  db: SqlClient,
  realmId: string,
  kid: string,
  until: number,
  lifetime: number,
): Promise<void> {
  await db.query(
    `UPDATE keys SET signed_until = greatest(signed_until, to_timestamp($3::double precision / 1000)), signed_lifetime = greatest(signed_lifetime, $4::integer)
     WHERE realm_id = $1 AND kid = $2`,
    [realmId, kid, until, Math.ceil(lifetime)],
  );
}

/**
 * A user's non-password credentials in the `credentials` table, as Keycloak stores them: type
 * `otp`, `secret_data` Keycloak's OTPSecretData `{"value": secret}`, `credential_data` its
 * OTPCredentialData (`{"subType":"totp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}`),
 * and `user_label`. The OTP secret is sealed at rest as realm secrets are (store/realm-secrets.ts:
 * AES-256-GCM under a key derived from KEY_ENCRYPTION_KEY, HKDF info "credential secrets v1"),
 * bound to the user and credential ids, so a value copied onto another row does not open.
 * The admin API's view (Keycloak's CredentialRepresentation from ModelToRepresentation) never
 * carries `secretData`.
 */
import { QsignError } from '../errors.ts';
import { hkdfSync, randomUUID } from 'node:crypto';
import { openValue, sealValue } from './encryption.ts';
import { SEALED_PREFIX } from './realm-secrets.ts';
import type { SqlClient } from './sql.ts';
import type { OtpCredentialData, OtpMatch } from '../model/otp.ts';

export const OTP = 'otp';

/** An OTP credential to store (enrolment or import). */
export interface NewOtpCredential {
  secret: string;
  data: OtpCredentialData;
  userLabel?: string;
  /** Epoch ms (Keycloak's createdDate); now when absent. */
  createdDate?: number;
  /** TOTP: the step of the code that proved the enrolment (not accepted again). */
  lastStep?: number;
}

/** An OTP credential as the login reads it: `data` is the stored credentialData (model/otp.ts parseCredentialData checks it). */
export interface OtpCredential {
  id: string;
  secret: string;
  data: unknown;
  lastStep: number | undefined;
  /** The name the user gave it (Keycloak's userLabel), if any. */
  userLabel?: string;
}

/** Keycloak's CredentialRepresentation as the admin API lists it (no secret). */
export interface CredentialView {
  id: string;
  type: string;
  userLabel?: string;
  createdDate: number;
  credentialData: string;
}

export class CredentialSecretError extends QsignError {
  constructor(id: string) {
    super(
      'ERR_CREDENTIAL_SECRET',
      `credential ${id} cannot be decrypted: wrong KEY_ENCRYPTION_KEY, or the value was moved or altered`,
    );
    this.name = 'CredentialSecretError';
  }
}

const secretsKey = (kek: Buffer) =>
  Buffer.from(hkdfSync('sha256', kek, 'qsign-oidc', 'credential secrets v1', 32));
const aad = (userId: string, id: string) =>
  Buffer.from(`qsign-oidc credential secret\0${userId}\0${id}`);

function seal(db: SqlClient, userId: string, id: string, secret: string): string {
  const kek = db.keyEncryptionKey;
  if (!kek)
    throw new Error('an OTP credential cannot be stored: the store was opened without a key');
  const blob = sealValue(secretsKey(kek), aad(userId, id), Buffer.from(secret, 'utf8'));
  return SEALED_PREFIX + blob.toString('base64url');
}

/** The clear secret of a stored `{"value": ...}`. @throws CredentialSecretError */
export function openSecret(db: SqlClient, userId: string, id: string, stored: unknown): string {
  const value = (stored as { value?: unknown } | null)?.value;
  if (typeof value !== 'string') throw new CredentialSecretError(id);
  if (!value.startsWith(SEALED_PREFIX)) return value;
  const kek = db.keyEncryptionKey;
  const clear =
    kek &&
    openValue(
      secretsKey(kek),
      aad(userId, id),
      Buffer.from(value.slice(SEALED_PREFIX.length), 'base64url'),
    );
  if (!clear) throw new CredentialSecretError(id);
  return clear.toString('utf8');
}

/** Stores an OTP credential (in the caller's transaction). @returns its id. */
export async function insertOtpCredential(
  db: SqlClient,
  userId: string,
  otp: NewOtpCredential,
): Promise<string> {
  const id = randomUUID();
  await db.query(
    'INSERT INTO credentials (id, user_id, type, secret_data, credential_data, user_label, created_at, otp_last_step) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [
      id,
      userId,
      OTP,
      JSON.stringify({ value: seal(db, userId, id, otp.secret) }),
      JSON.stringify(otp.data),
      otp.userLabel ?? null,
      new Date(otp.createdDate ?? Date.now()),
      otp.lastStep ?? null,
    ],
  );
  return id;
}

type OtpRow = {
  id: string;
  secret_data: unknown;
  credential_data: unknown;
  otp_last_step: unknown;
  user_label: string | null;
};

/** The user's OTP credentials, secrets opened. @throws CredentialSecretError */
export async function otpCredentials(db: SqlClient, userId: string): Promise<OtpCredential[]> {
  const rows = await db.query<OtpRow>(
    'SELECT id, secret_data, credential_data, otp_last_step, user_label FROM credentials WHERE user_id = $1 AND type = $2 ORDER BY created_at, id',
    [userId, OTP],
  );
  return rows.map((r) => ({
    id: r.id,
    secret: openSecret(db, userId, r.id, r.secret_data),
    data: r.credential_data,
    lastStep: r.otp_last_step === null ? undefined : Number(r.otp_last_step),
    ...(r.user_label ? { userLabel: r.user_label } : {}),
  }));
}

/** Whether the user has an OTP credential (Keycloak's UserRepresentation.totp). */
export async function hasOtpCredential(db: SqlClient, userId: string): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM credentials WHERE user_id = $1 AND type = $2 LIMIT 1',
    [userId, OTP],
  );
  return rows.length > 0;
}

/**
 * Records a successful check in one conditional UPDATE, so two requests with one code cannot both
 * pass: a TOTP step must be later than the last accepted (when `reusable` is false), an HOTP
 * counter must still be the one the check started from.
 * @returns false when another request used the code (or a later one) first.
 */
export async function consumeOtp(
  db: SqlClient,
  credential: OtpCredential,
  match: OtpMatch,
  reusable: boolean,
): Promise<boolean> {
  if (match.type === 'totp') {
    if (reusable) return true;
    const rows = await db.query(
      'UPDATE credentials SET otp_last_step = $2 WHERE id = $1 AND (otp_last_step IS NULL OR otp_last_step < $2) RETURNING id',
      [credential.id, match.timeStep],
    );
    return rows.length > 0;
  }
  const rows = await db.query(
    "UPDATE credentials SET credential_data = jsonb_set(credential_data, '{counter}', to_jsonb($2::bigint)) WHERE id = $1 AND (credential_data->>'counter')::bigint = $3 RETURNING id",
    [credential.id, match.nextCounter, match.nextCounter - 1 - match.delta],
  );
  return rows.length > 0;
}

/** The user's credentials (passwords too, not the password history) in the admin API's form, oldest first. */
export async function listCredentials(db: SqlClient, userId: string): Promise<CredentialView[]> {
  const rows = await db.query<{
    id: string;
    type: string;
    credential_data: unknown;
    user_label: string | null;
    created_at: Date | string;
  }>(
    "SELECT id, type, credential_data, user_label, created_at FROM credentials WHERE user_id = $1 AND type <> 'password-history' ORDER BY created_at, id",
    [userId],
  );
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    ...(r.user_label !== null ? { userLabel: r.user_label } : {}),
    createdDate: new Date(r.created_at).getTime(),
    credentialData: JSON.stringify(r.credential_data),
  }));
}

/** Sets the label of one credential of the user. @returns false when the user has no such credential. */
export async function setCredentialLabel(
  db: SqlClient,
  userId: string,
  id: string,
  label: string,
): Promise<boolean> {
  const rows = await db.query<{ id: string }>(
    "UPDATE credentials SET user_label = $3 WHERE user_id = $1 AND id = $2 AND type <> 'password-history' RETURNING id",
    [userId, id, label],
  );
  return rows.length > 0;
}

/** Deletes one credential of the user. @returns the deleted credential's type, or undefined. */
export async function deleteCredential(
  db: SqlClient,
  userId: string,
  id: string,
): Promise<string | undefined> {
  const [row] = await db.query<{ type: string }>(
    "DELETE FROM credentials WHERE user_id = $1 AND id = $2 AND type <> 'password-history' RETURNING type",
    [userId, id],
  );
  return row?.type;
}

/**
 * Seals a secret that is not stored yet (an OTP enrolment on its page, kept in the interaction):
 * bound to the interaction's uid.
 */
export function sealPending(db: SqlClient, uid: string, secret: string): string {
  return seal(db, 'pending', uid, secret);
}

/** @returns the secret sealPending sealed for `uid`, or undefined. */
export function openPending(db: SqlClient, uid: string, sealed: string): string | undefined {
  try {
    return openSecret(db, 'pending', uid, { value: sealed });
  } catch {
    return undefined;
  }
}

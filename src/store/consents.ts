/**
 * A user's stored consents (Keycloak UserConsentModel): per user and client, the names of the
 * client scopes the user granted on the consent screen, with when the consent was first given
 * and last changed. Table `user_consents` (store/migrations.ts); rows go with their user.
 */
import type { SqlClient } from './sql.ts';

export interface StoredConsent {
  clientId: string;
  grantedScopes: string[];
  /** Epoch milliseconds. */
  createdDate: number;
  /** Epoch milliseconds. */
  lastUpdatedDate: number;
}

type Row = { client_id: string; granted_scopes: string[]; created_at: Date; updated_at: Date };

const toConsent = (row: Row): StoredConsent => ({
  clientId: row.client_id,
  grantedScopes: row.granted_scopes,
  createdDate: new Date(row.created_at).getTime(),
  lastUpdatedDate: new Date(row.updated_at).getTime(),
});

/** The user's consent for `clientId` (the client's clientId), or undefined. */
export async function findConsent(
  db: SqlClient,
  realmId: string,
  userId: string,
  clientId: string,
): Promise<StoredConsent | undefined> {
  const [row] = await db.query<Row>(
    'SELECT client_id, granted_scopes, created_at, updated_at FROM user_consents WHERE realm_id = $1 AND user_id = $2 AND client_id = $3',
    [realmId, userId, clientId],
  );
  return row ? toConsent(row) : undefined;
}

/** Every consent of the user, by clientId. */
export async function listConsents(
  db: SqlClient,
  realmId: string,
  userId: string,
): Promise<StoredConsent[]> {
  const rows = await db.query<Row>(
    'SELECT client_id, granted_scopes, created_at, updated_at FROM user_consents WHERE realm_id = $1 AND user_id = $2 ORDER BY client_id',
    [realmId, userId],
  );
  return rows.map(toConsent);
}

/**
 * Adds `scopes` to the user's consent for `clientId` (creating it), in one statement: the
 * granted list is the union of the stored one and `scopes`.
 */
export async function grantConsent(
  db: SqlClient,
  realmId: string,
  userId: string,
  clientId: string,
  scopes: string[],
): Promise<void> {
  await db.query(
    `INSERT INTO user_consents (realm_id, user_id, client_id, granted_scopes) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (realm_id, user_id, client_id) DO UPDATE SET updated_at = now(),
       granted_scopes = (SELECT coalesce(jsonb_agg(DISTINCT s ORDER BY s), '[]'::jsonb)
                         FROM jsonb_array_elements_text(user_consents.granted_scopes || EXCLUDED.granted_scopes) AS t(s))`,
    [realmId, userId, clientId, JSON.stringify([...new Set(scopes)].sort())],
  );
}

/** Deletes the user's consent for `clientId`; true when there was one. */
export async function revokeConsent(
  db: SqlClient,
  realmId: string,
  userId: string,
  clientId: string,
): Promise<boolean> {
  const rows = await db.query(
    'DELETE FROM user_consents WHERE realm_id = $1 AND user_id = $2 AND client_id = $3 RETURNING 1',
    [realmId, userId, clientId],
  );
  return rows.length > 0;
}

/** Stores a consent as given, dates included (a realm import, Keycloak's addConsent). */
export async function insertConsent(
  db: SqlClient,
  realmId: string,
  userId: string,
  consent: StoredConsent,
): Promise<void> {
  await db.query(
    'INSERT INTO user_consents (realm_id, user_id, client_id, granted_scopes, created_at, updated_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6)',
    [
      realmId,
      userId,
      consent.clientId,
      JSON.stringify(consent.grantedScopes),
      new Date(consent.createdDate),
      new Date(consent.lastUpdatedDate),
    ],
  );
}

/** Every consent of the realm's users, by user id (a realm export). */
export async function consentsOfRealm(
  db: SqlClient,
  realmId: string,
): Promise<Map<string, StoredConsent[]>> {
  const rows = await db.query<Row & { user_id: string }>(
    'SELECT user_id, client_id, granted_scopes, created_at, updated_at FROM user_consents WHERE realm_id = $1 ORDER BY user_id, client_id',
    [realmId],
  );
  const byUser = new Map<string, StoredConsent[]>();
  for (const row of rows)
    byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), toConsent(row)]);
  return byUser;
}

/**
 * Users and their credentials. The `representation` column holds Keycloak's UserRepresentation
 * without credentials (role and group mappings as names, as in realm exports); password hashes
 * live in `credentials` only and never leave this module except to verify a login.
 */
import type { SqlClient } from './sql.ts';
import type { UserRepresentation } from '../realm/representation.ts';
import type { StoredPassword } from '../realm/password.ts';

/** A user as stored: `credentials` is always empty here (hashes live in the credentials table). */
export type StoredUser = UserRepresentation & { id: string; createdTimestamp: number };

export async function insertUser(db: SqlClient, realmId: string, user: StoredUser, passwords: StoredPassword[]): Promise<void> {
  await db.query(
    'INSERT INTO users (id, realm_id, username, email, service_account_client_id, representation) VALUES ($1, $2, $3, $4, $5, $6)',
    [user.id, realmId, user.username, user.email ?? null, user.serviceAccountClientId ?? null, JSON.stringify(user)],
  );
  for (const [i, password] of passwords.entries()) {
    await db.query(
      'INSERT INTO credentials (id, user_id, type, secret_data, credential_data) VALUES ($1, $2, $3, $4, $5)',
      [`${user.id}-password-${i}`, user.id, 'password', JSON.stringify(password.secretData), JSON.stringify(password.credentialData)],
    );
  }
}

type Row = { representation: StoredUser };

export async function findUserById(db: SqlClient, realmId: string, id: string): Promise<StoredUser | undefined> {
  const [row] = await db.query<Row>('SELECT representation FROM users WHERE realm_id = $1 AND id = $2', [realmId, id]);
  return row?.representation;
}

/** Keycloak login: username (case-insensitive), or email when the realm allows login with email. */
export async function findUserForLogin(db: SqlClient, realmId: string, login: string, withEmail: boolean): Promise<StoredUser | undefined> {
  const name = login.toLowerCase();
  const [row] = await db.query<Row>('SELECT representation FROM users WHERE realm_id = $1 AND username = $2', [realmId, name]);
  if (row || !withEmail || !name.includes('@')) return row?.representation;
  const byEmail = await db.query<Row>('SELECT representation FROM users WHERE realm_id = $1 AND lower(email) = $2 LIMIT 2', [realmId, name]);
  return byEmail.length === 1 ? byEmail[0].representation : undefined;
}

export async function findServiceAccount(db: SqlClient, realmId: string, clientId: string): Promise<StoredUser | undefined> {
  const [row] = await db.query<Row>('SELECT representation FROM users WHERE realm_id = $1 AND service_account_client_id = $2', [realmId, clientId]);
  return row?.representation;
}

export async function passwordCredentials(db: SqlClient, userId: string): Promise<StoredPassword[]> {
  const rows = await db.query<{ secret_data: StoredPassword['secretData']; credential_data: StoredPassword['credentialData'] }>(
    "SELECT secret_data, credential_data FROM credentials WHERE user_id = $1 AND type = 'password' ORDER BY created_at DESC",
    [userId],
  );
  return rows.map((r) => ({ secretData: r.secret_data, credentialData: r.credential_data }));
}

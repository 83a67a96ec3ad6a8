/**
 * Users and their credentials. The `representation` column holds Keycloak's UserRepresentation
 * without credentials (role and group mappings as names, as in realm exports); password hashes
 * live in `credentials` only and never leave this module except to verify a login.
 */
import { randomUUID } from 'node:crypto';
import type { SqlClient } from './sql.ts';
import type { UserRepresentation } from '../model/representation.ts';
import type { StoredPassword } from '../model/password.ts';
import { insertOtpCredential, type NewOtpCredential } from './credentials.ts';

/** A user as stored: `credentials` is always empty here (hashes live in the credentials table). */
export type StoredUser = UserRepresentation & { id: string; createdTimestamp: number };

export async function insertUser(
  db: SqlClient,
  realmId: string,
  user: StoredUser,
  passwords: StoredPassword[],
  otps: NewOtpCredential[] = [],
): Promise<void> {
  await db.query(
    'INSERT INTO users (id, realm_id, username, email, service_account_client_id, representation) VALUES ($1, $2, $3, $4, $5, $6)',
    [
      user.id,
      realmId,
      user.username,
      user.email ?? null,
      user.serviceAccountClientId ?? null,
      JSON.stringify(user),
    ],
  );
  for (const [i, password] of passwords.entries()) {
    await db.query(
      'INSERT INTO credentials (id, user_id, type, secret_data, credential_data, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        `${user.id}-password-${i}`,
        user.id,
        'password',
        JSON.stringify(password.secretData),
        JSON.stringify(password.credentialData),
        new Date(password.createdDate ?? Date.now()),
      ],
    );
  }
  for (const otp of otps) await insertOtpCredential(db, user.id, otp);
}

type Row = { representation: StoredUser };

export async function findUserById(
  db: SqlClient,
  realmId: string,
  id: string,
): Promise<StoredUser | undefined> {
  const [row] = await db.query<Row>(
    'SELECT representation FROM users WHERE realm_id = $1 AND id = $2',
    [realmId, id],
  );
  return row?.representation;
}

/** Keycloak login: username (case-insensitive), or email when the realm allows login with email. */
export async function findUserForLogin(
  db: SqlClient,
  realmId: string,
  login: string,
  withEmail: boolean,
): Promise<StoredUser | undefined> {
  const name = login.toLowerCase();
  const [row] = await db.query<Row>(
    'SELECT representation FROM users WHERE realm_id = $1 AND username = $2',
    [realmId, name],
  );
  if (row || !withEmail || !name.includes('@')) return row?.representation;
  const byEmail = await db.query<Row>(
    'SELECT representation FROM users WHERE realm_id = $1 AND lower(email) = $2 LIMIT 2',
    [realmId, name],
  );
  return byEmail.length === 1 ? byEmail[0].representation : undefined;
}

export async function findServiceAccount(
  db: SqlClient,
  realmId: string,
  clientId: string,
): Promise<StoredUser | undefined> {
  const [row] = await db.query<Row>(
    'SELECT representation FROM users WHERE realm_id = $1 AND service_account_client_id = $2',
    [realmId, clientId],
  );
  return row?.representation;
}

export async function passwordCredentials(
  db: SqlClient,
  userId: string,
): Promise<StoredPassword[]> {
  const rows = await db.query<{
    secret_data: StoredPassword['secretData'];
    credential_data: StoredPassword['credentialData'];
  }>(
    "SELECT secret_data, credential_data FROM credentials WHERE user_id = $1 AND type = 'password' ORDER BY created_at DESC",
    [userId],
  );
  return rows.map((r) => ({ secretData: r.secret_data, credentialData: r.credential_data }));
}

/**
 * Epoch ms when the user's newest password was stored (Keycloak's CredentialModel.createdDate);
 * undefined when the user has no password.
 */
export async function newestPasswordCreated(
  db: SqlClient,
  userId: string,
): Promise<number | null | undefined> {
  const [row] = await db.query<{ created_at: Date | string | null }>(
    "SELECT created_at FROM credentials WHERE user_id = $1 AND type = 'password' ORDER BY created_at DESC LIMIT 1",
    [userId],
  );
  if (!row) return undefined;
  return row.created_at === null ? null : new Date(row.created_at).getTime();
}

export async function updateUser(db: SqlClient, realmId: string, user: StoredUser): Promise<void> {
  await db.query(
    'UPDATE users SET username = $3, email = $4, representation = $5 WHERE realm_id = $1 AND id = $2',
    [
      realmId,
      user.id,
      user.username,
      user.email ?? null,
      JSON.stringify({ ...user, credentials: [] }),
    ],
  );
}

export async function deleteUser(db: SqlClient, realmId: string, id: string): Promise<boolean> {
  return (
    (
      await db.query('DELETE FROM users WHERE realm_id = $1 AND id = $2 RETURNING id', [
        realmId,
        id,
      ])
    ).length > 0
  );
}

export async function findUserByUsername(
  db: SqlClient,
  realmId: string,
  username: string,
): Promise<StoredUser | undefined> {
  const [row] = await db.query<Row>(
    'SELECT representation FROM users WHERE realm_id = $1 AND username = $2',
    [realmId, username.toLowerCase()],
  );
  return row?.representation;
}

/** The filters of Keycloak's user search (UsersResource.getUsers / getUsersCount). */
export interface UserSearch {
  username?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  /**
   * Across username, email, first and last name, case-insensitive, as JpaUserProvider's SEARCH:
   * a prefix (`foo` = `foo*`), `*` a wildcard anywhere (`*foo*` infix), `"foo"` the whole value.
   */
  search?: string;
  /** Only the user with this id (UsersResource's `search=id:...`). */
  id?: string;
  /** List service accounts too (UserModel.INCLUDE_SERVICE_ACCOUNT: the field filters set it). */
  includeServiceAccounts?: boolean;
  /** username, email, firstName and lastName match whole values (still case-insensitive). */
  exact?: boolean;
  enabled?: boolean;
  emailVerified?: boolean;
  /** `q=` attribute filters: each attribute must have a value equal to the given one, ignoring case. */
  attributes?: [string, string][];
  first?: number;
  max?: number;
}

/**
 * Keycloak's user search (JpaUserProvider.searchForUserStream): `username`, `email`, `firstName`,
 * `lastName` (exact when `exact`, else substring; case-insensitive), `search` across those four,
 * `enabled` / `emailVerified`, and attributes (`q`: name equal, value equal ignoring case);
 * service accounts are never listed. `first` and `max` page the result (ordered by username).
 */
export async function searchUsers(
  db: SqlClient,
  realmId: string,
  q: UserSearch,
): Promise<StoredUser[]> {
  const { where, params } = userSearchWhere(realmId, q);
  params.push(q.max ?? 100, q.first ?? 0);
  const rows = await db.query<Row>(
    `SELECT representation FROM users WHERE ${where} ORDER BY username LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return rows.map((r) => r.representation);
}

/**
 * Keycloak's `GET /users/count` (UsersResource.getUsersCount): the number of users
 * `searchUsers` would list with the same filters and no paging, counted by the database
 * (`count(*)`), not by loading the rows.
 */
export async function countUsers(
  db: SqlClient,
  realmId: string,
  q: Omit<UserSearch, 'first' | 'max'>,
): Promise<number> {
  const { where, params } = userSearchWhere(realmId, q);
  const [row] = await db.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM users WHERE ${where}`,
    params,
  );
  return Number(row?.n ?? 0);
}

/**
 * One whitespace-separated token of Keycloak's `search` (JpaUserProvider.getSearchOptionPredicateArray):
 * `"x"` is equality; otherwise `\\`, `%` and `_` are literal, `*` is any run of characters, and a
 * term not ending in `*` is a prefix (`x` = `x*`; `*x*` is a substring). Lower-cased.
 */
function searchTerm(token: string): { op: '=' | 'LIKE'; value: string } {
  const value = token.toLowerCase();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
    return { op: '=', value: value.slice(1, -1) };
  const pattern = value.replace(/[\\%_]/g, '\\$&').replaceAll('*', '%');
  return { op: 'LIKE', value: pattern.endsWith('%') ? pattern : `${pattern}%` };
}

/** The WHERE clause and its parameters ($1 = realm id) of Keycloak's user search. */
function userSearchWhere(realmId: string, q: UserSearch): { where: string; params: unknown[] } {
  const like = (v: string) => `%${v.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
  const conditions = ['realm_id = $1'];
  if (!q.includeServiceAccounts) conditions.push('service_account_client_id IS NULL');
  const params: unknown[] = [realmId];
  const add = (sql: string, ...values: unknown[]) => {
    let text = sql;
    for (const value of values) {
      params.push(value);
      text = text.replace('$?', `$${params.length}`);
    }
    conditions.push(text);
  };
  // username is stored lower-cased (the unique index and the login lookup rely on it); the other
  // columns are compared as lower(...), the expressions the users_*_prefix indexes hold.
  const text = (column: string, value: string | undefined) => {
    if (value === undefined || value === '') return;
    const expr = column === 'username' ? column : `lower(${column})`;
    add(q.exact ? `${expr} = $?` : `${expr} LIKE $?`, q.exact ? value.toLowerCase() : like(value));
  };
  text('username', q.username);
  text('email', q.email);
  text("representation->>'firstName'", q.firstName);
  text("representation->>'lastName'", q.lastName);
  if (q.id !== undefined) add('id = $?', q.id);
  for (const token of q.search?.trim().split(/\s+/).filter(Boolean) ?? []) {
    const { op, value } = searchTerm(token);
    add(
      `(username ${op} $? OR lower(email) ${op} $? OR lower(representation->>'firstName') ${op} $? OR lower(representation->>'lastName') ${op} $?)`,
      value,
      value,
      value,
      value,
    );
  }
  if (q.enabled !== undefined)
    add("coalesce(representation->>'enabled', 'true') = $?", String(q.enabled));
  if (q.emailVerified !== undefined)
    add("coalesce(representation->>'emailVerified', 'false') = $?", String(q.emailVerified));
  for (const [name, value] of q.attributes ?? []) {
    // The GIN index (users_attribute_terms) finds the candidates; the EXISTS keeps the match exact.
    add(
      `qsign_user_attribute_terms(representation->'attributes') @> ARRAY[$?]::text[]`,
      `${name}\u001f${value.toLowerCase()}`,
    );
    add(
      `EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(representation->'attributes'->$?) = 'array' THEN representation->'attributes'->$? ELSE '[]'::jsonb END) AS a(v) WHERE lower(v) = $?)`,
      name,
      name,
      value.toLowerCase(),
    );
  }
  return { where: conditions.join(' AND '), params };
}

/**
 * Replaces a user's password. With `keepHistory` > 0 the superseded password becomes a
 * `password-history` credential and only the newest `keepHistory` of those are kept
 * (PasswordCredentialProvider.createCredential under a `passwordHistory(n)` policy keeps n-1);
 * with 0 the old password and any history are deleted. Run it inside a transaction.
 */
export async function replacePasswords(
  db: SqlClient,
  userId: string,
  password: StoredPassword,
  keepHistory = 0,
): Promise<void> {
  if (keepHistory > 0) {
    await db.query(
      "UPDATE credentials SET type = 'password-history' WHERE user_id = $1 AND type = 'password'",
      [userId],
    );
    await db.query(
      `DELETE FROM credentials WHERE user_id = $1 AND type = 'password-history' AND id NOT IN
         (SELECT id FROM credentials WHERE user_id = $1 AND type = 'password-history'
          ORDER BY created_at DESC, id DESC LIMIT $2)`,
      [userId, keepHistory],
    );
  } else {
    await db.query(
      "DELETE FROM credentials WHERE user_id = $1 AND type IN ('password', 'password-history')",
      [userId],
    );
  }
  await db.query(
    'INSERT INTO credentials (id, user_id, type, secret_data, credential_data) VALUES ($1, $2, $3, $4, $5)',
    [
      `${userId}-password-${randomUUID()}`,
      userId,
      'password',
      JSON.stringify(password.secretData),
      JSON.stringify(password.credentialData),
    ],
  );
}

/** Whether another user of the realm has this email (case-insensitive; Keycloak's DuplicateEmailValidator). */
export async function emailTakenByOther(
  db: SqlClient,
  realmId: string,
  email: string,
  userId: string,
): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM users WHERE realm_id = $1 AND lower(email) = $2 AND id <> $3 LIMIT 1',
    [realmId, email.toLowerCase(), userId],
  );
  return rows.length > 0;
}

/**
 * The hashes `passwordHistory` compares a new password with: the current password(s) first, then
 * the `password-history` credentials, newest first (HistoryPasswordPolicyProvider).
 */
export async function passwordHistory(db: SqlClient, userId: string): Promise<StoredPassword[]> {
  const rows = await db.query<{
    secret_data: StoredPassword['secretData'];
    credential_data: StoredPassword['credentialData'];
  }>(
    `SELECT secret_data, credential_data FROM credentials
      WHERE user_id = $1 AND type IN ('password', 'password-history')
      ORDER BY (type = 'password') DESC, created_at DESC, id DESC`,
    [userId],
  );
  return rows.map((r) => ({ secretData: r.secret_data, credentialData: r.credential_data }));
}

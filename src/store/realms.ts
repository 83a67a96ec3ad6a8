/**
 * Realm documents in the `realms` table: the RealmRepresentation minus users, plus a version
 * number bumped on every change so caches can tell a stale model.
 *
 * The secrets in a document (client secrets, the SMTP password, identity-provider client secrets)
 * are sealed on every write and opened on every read with the store client's KEY_ENCRYPTION_KEY
 * (`SqlClient.keyEncryptionKey`, store/realm-secrets.ts): callers see clear values, the table holds
 * none.
 */
import { QsignError } from '../errors.ts';
import type { SqlClient } from './sql.ts';
import type { RealmDocument } from '../model/representation.ts';
import {
  hasClearSecrets,
  openRealmSecrets,
  RealmSecretError,
  sealRealmSecrets,
} from './realm-secrets.ts';

export { RealmSecretError };

export interface StoredRealm {
  id: string;
  name: string;
  version: number;
  doc: RealmDocument;
}

type Row = { id: string; name: string; version: number; representation: RealmDocument };
/** @throws RealmSecretError when a sealed secret does not open (wrong key, moved or altered value). */
const toStored = (db: SqlClient, r: Row): StoredRealm => ({
  id: r.id,
  name: r.name,
  version: r.version,
  doc: openRealmSecrets(db.keyEncryptionKey, r.id, r.representation),
});

/** @throws RealmSecretError (see toStored). */
export async function findRealm(db: SqlClient, name: string): Promise<StoredRealm | undefined> {
  const [row] = await db.query<Row>(
    'SELECT id, name, version, representation FROM realms WHERE name = $1',
    [name],
  );
  return row ? toStored(db, row) : undefined;
}

/**
 * Every realm, for listings. A realm whose sealed secrets do not open is listed with them still
 * sealed, so one damaged realm does not hide the others (the process loads each through
 * findRealm, which throws for it).
 */
export async function listRealms(db: SqlClient): Promise<StoredRealm[]> {
  return (
    await db.query<Row>('SELECT id, name, version, representation FROM realms ORDER BY name')
  ).map((row) => {
    try {
      return toStored(db, row);
    } catch (err) {
      if (!(err instanceof RealmSecretError)) throw err;
      return { id: row.id, name: row.name, version: row.version, doc: row.representation };
    }
  });
}

/**
 * @param kek the key to seal the document's secrets with (default: the store client's).
 * @throws RealmSecretError when the document holds a secret and there is no key.
 */
export async function insertRealm(
  db: SqlClient,
  doc: RealmDocument,
  kek = db.keyEncryptionKey,
): Promise<void> {
  await db.query('INSERT INTO realms (id, name, representation) VALUES ($1, $2, $3)', [
    doc.id,
    doc.realm,
    JSON.stringify(sealRealmSecrets(kek, doc.id, doc)),
  ]);
}

export async function deleteRealm(db: SqlClient, name: string): Promise<boolean> {
  // The delete cascades to the realm's users, keys and components: up to 2 minutes for a big realm.
  return db.transaction(
    async (tx) =>
      (await tx.query('DELETE FROM realms WHERE name = $1 RETURNING id', [name])).length > 0,
    { timeoutMs: 120_000 },
  );
}

export class RealmNotFoundError extends QsignError {
  constructor(name: string) {
    super('ERR_REALM_NOT_FOUND', `realm ${name} not found`);
    this.name = 'RealmNotFoundError';
  }
}

/**
 * Changes a realm document under a row lock and bumps its version, in the caller's transaction.
 * `mutate` gets and returns the document with its secrets in clear; it is stored sealed.
 * @throws RealmNotFoundError; RealmSecretError (see toStored and insertRealm).
 */
export async function updateRealmDoc(
  db: SqlClient,
  name: string,
  mutate: (doc: RealmDocument) => RealmDocument | Promise<RealmDocument>,
): Promise<RealmDocument> {
  const [row] = await db.query<Row>(
    'SELECT id, name, version, representation FROM realms WHERE name = $1 FOR UPDATE',
    [name],
  );
  if (!row) throw new RealmNotFoundError(name);
  const doc = await mutate(toStored(db, row).doc);
  await db.query(
    'UPDATE realms SET representation = $2, name = $3, version = version + 1, updated_at = now() WHERE id = $1',
    [row.id, JSON.stringify(sealRealmSecrets(db.keyEncryptionKey, row.id, doc)), doc.realm],
  );
  return doc;
}

/**
 * Seals the secrets that versions before sealing stored in clear, realm by realm, each in its own
 * transaction (the version moves on, so every process reloads it). Run at start, after the
 * KEY_ENCRYPTION_KEY check (keys/kek-check.ts): sealing under a wrong key would lose them.
 * A realm whose sealed values do not open (moved or altered) is skipped: loading it reports that.
 * @returns the names of the realms changed.
 * @throws RealmSecretError when the client has no KEY_ENCRYPTION_KEY and a realm holds a clear secret.
 */
export async function sealClearRealmSecrets(db: SqlClient): Promise<string[]> {
  const sealed: string[] = [];
  for (const { name, representation } of await db.query<Row>(
    'SELECT name, representation FROM realms ORDER BY name',
  )) {
    if (!hasClearSecrets(representation)) continue;
    try {
      await db.transaction((tx) => updateRealmDoc(tx, name, (doc) => doc));
    } catch (err) {
      // A realm whose sealed values do not open is left as it is: loading it reports that.
      if (err instanceof RealmSecretError && db.keyEncryptionKey) continue;
      throw err;
    }
    sealed.push(name);
  }
  return sealed;
}

/** The realm's current version (bumped by every realm, client, role or key change). */
export async function realmVersion(db: SqlClient, name: string): Promise<number | undefined> {
  const [row] = await db.query<{ version: number }>('SELECT version FROM realms WHERE name = $1', [
    name,
  ]);
  return row?.version;
}

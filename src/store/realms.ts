/**
 * Realm documents in the `realms` table: the RealmRepresentation minus users, plus a version
 * number bumped on every change so caches can tell a stale model.
 */
import type { SqlClient } from './sql.ts';
import type { RealmDocument } from '../realm/representation.ts';

export interface StoredRealm {
  id: string;
  name: string;
  version: number;
  doc: RealmDocument;
}

type Row = { id: string; name: string; version: number; representation: RealmDocument };
const toStored = (r: Row): StoredRealm => ({ id: r.id, name: r.name, version: r.version, doc: r.representation });

export async function findRealm(db: SqlClient, name: string): Promise<StoredRealm | undefined> {
  const [row] = await db.query<Row>('SELECT id, name, version, representation FROM realms WHERE name = $1', [name]);
  return row ? toStored(row) : undefined;
}

export async function listRealms(db: SqlClient): Promise<StoredRealm[]> {
  return (await db.query<Row>('SELECT id, name, version, representation FROM realms ORDER BY name')).map(toStored);
}

export async function insertRealm(db: SqlClient, doc: RealmDocument): Promise<void> {
  await db.query('INSERT INTO realms (id, name, representation) VALUES ($1, $2, $3)', [doc.id, doc.realm, JSON.stringify(doc)]);
}

export async function deleteRealm(db: SqlClient, name: string): Promise<boolean> {
  // The delete cascades to the realm's users, keys and components: up to 2 minutes for a big realm.
  return db.transaction(async (tx) => (await tx.query('DELETE FROM realms WHERE name = $1 RETURNING id', [name])).length > 0, { timeoutMs: 120_000 });
}

export class RealmNotFoundError extends Error {
  constructor(name: string) {
    super(`realm ${name} not found`);
    this.name = 'RealmNotFoundError';
  }
}

/**
 * Changes a realm document under a row lock and bumps its version, in the caller's transaction.
 * @throws RealmNotFoundError
 */
export async function updateRealmDoc(db: SqlClient, name: string, mutate: (doc: RealmDocument) => RealmDocument | Promise<RealmDocument>): Promise<RealmDocument> {
  const [row] = await db.query<Row>('SELECT id, name, version, representation FROM realms WHERE name = $1 FOR UPDATE', [name]);
  if (!row) throw new RealmNotFoundError(name);
  const doc = await mutate(row.representation);
  await db.query('UPDATE realms SET representation = $2, name = $3, version = version + 1, updated_at = now() WHERE id = $1', [row.id, JSON.stringify(doc), doc.realm]);
  return doc;
}

/** The realm's current version (bumped by every realm, client, role or key change). */
export async function realmVersion(db: SqlClient, name: string): Promise<number | undefined> {
  const [row] = await db.query<{ version: number }>('SELECT version FROM realms WHERE name = $1', [name]);
  return row?.version;
}

/**
 * A new key provider in one call for the operator's tools (`keys create`) and tests: its back end
 * (if any) is read first, outside any transaction (keys/external.ts readNewKeyProvider), then the
 * component and its keys are written in one transaction.
 */
import type { SqlClient } from '../store/sql.ts';
import type { Backends } from '../signer/backends.ts';
import { readNewKeyProvider } from './external.ts';
import { createKeyProvider, type ComponentRepresentation } from './providers.ts';

/**
 * @param realm the realm's id and name (back ends are declared for realm names).
 * @returns the new component's id.
 * @throws ComponentError (400) naming the field, as the admin API answers.
 */
export async function addKeyProvider(
  db: SqlClient,
  kek: Buffer,
  backends: Backends,
  realm: { id: string; name: string },
  rep: ComponentRepresentation,
  actor: string,
): Promise<string> {
  const read = await readNewKeyProvider(db, backends, realm, rep);
  return db.transaction((tx) => createKeyProvider(tx, kek, realm.id, rep, actor, read));
}

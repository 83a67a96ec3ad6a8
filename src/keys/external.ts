/**
 * Keys held by a back end (Vault transit, PKCS#11) or made of other keys (composite), mirrored into
 * the `keys` table so the realm can publish and select them like local keys: each provider
 * (keys/providers/) reads its back end and records what it found.
 *
 * Back-end I/O never runs inside a SQL transaction (a slow Vault must not hold the store's
 * connection; PGlite has one): the back end is read first, outside any transaction, then what was
 * read is applied inside one. Synchronised when the component is created and by the scheduler, so
 * a rotation in Vault is picked up without a restart; a change of status or priority re-derives the
 * key states from what the last read recorded (restateBackendKeys), without asking the back end.
 */
import { randomUUID } from 'node:crypto';
import type { SqlClient } from '../store/sql.ts';
import type { SignerStatus } from '../signer/signer.ts';
import type { Backends } from '../signer/backends.ts';
import { listKeys, setKeyState } from './repository.ts';
import {
  ComponentError,
  KEY_PROVIDER_TYPE,
  type KeyProviderSettings,
  type StoredComponent,
} from './component-model.ts';
import { legacyBackendError } from './providers/backend-fields.ts';
import { EXTERNAL_PROVIDERS, externalProvider, keyProviderSettings } from './providers/registry.ts';
import type { BackendRead, RealmRef } from './providers/types.ts';

export type { BackendRead, RealmRef } from './providers/types.ts';
export { EXTERNAL_PROVIDERS } from './providers/registry.ts';

const providerOf = (providerId: string) => {
  const provider = externalProvider(providerId);
  if (!provider) throw new Error(`${providerId} is not a provider of keys held elsewhere`);
  return provider;
};

/**
 * Reads what the back end holds for the component, outside any transaction.
 * @throws ComponentError (400) when the component names no back end this realm may use, the key
 *   cannot be read, or it does not fit the alg.
 */
export function readBackendKeys(
  db: SqlClient,
  backends: Backends,
  realm: RealmRef,
  component: Pick<StoredComponent, 'id' | 'providerId' | 'config'>,
  settings: KeyProviderSettings,
): Promise<BackendRead> {
  return providerOf(component.providerId).read(db, backends, realm, component, settings);
}

/**
 * For a new key provider (admin API, `keys create`, realm import): validates `rep` and, for a
 * provider of keys held elsewhere, reads its back end under a component id made here (kids derive
 * from it), outside any transaction; pass the result to createKeyProvider. Undefined for local providers.
 * @throws ComponentError (400) as keyProviderSettings and the provider's read do.
 */
export async function readNewKeyProvider(
  db: SqlClient,
  backends: Backends,
  realm: RealmRef,
  rep: { providerId?: string; config?: Record<string, unknown> },
): Promise<BackendRead | undefined> {
  const settings = keyProviderSettings(rep.providerId, rep.config);
  if (!EXTERNAL_PROVIDERS.has(rep.providerId!)) return undefined;
  return readBackendKeys(
    db,
    backends,
    realm,
    { id: randomUUID(), providerId: rep.providerId!, config: settings.config },
    settings,
  );
}

/**
 * Brings the component's key rows in line with what `read` found, inside the caller's transaction.
 * Returns true when anything changed.
 * @throws ComponentError when a composite's members do not fit, or a kid is held by another component (409).
 */
export function applyBackendKeys(
  db: SqlClient,
  realmId: string,
  component: StoredComponent,
  settings: KeyProviderSettings,
  read: BackendRead,
  actor: string,
): Promise<boolean> {
  if (read.componentId !== component.id || read.providerId !== component.providerId)
    throw new Error(`back-end read of component ${read.componentId} applied to ${component.id}`);
  return providerOf(component.providerId).apply(db, realmId, component, settings, read, actor);
}

/**
 * A change of the component's status or priority (updateKeyProvider), applied to its key rows
 * without asking the back end. Returns the rows whose state changed.
 */
export async function restateBackendKeys(
  db: SqlClient,
  realmId: string,
  component: StoredComponent,
  settings: KeyProviderSettings,
): Promise<{ kid: string; status: SignerStatus }[]> {
  const rows = (await listKeys(db, realmId)).filter((k) => k.componentId === component.id);
  const changed: { kid: string; status: SignerStatus }[] = [];
  for (const { kid, status } of providerOf(component.providerId).restate(rows, settings)) {
    const row = rows.find((r) => r.kid === kid)!;
    if (status === row.status && row.priority === settings.priority) continue;
    await setKeyState(db, realmId, component.id, { kid, priority: settings.priority, status });
    changed.push({ kid, status });
  }
  return changed;
}

interface ComponentRow {
  realm: string;
  realm_id: string;
  id: string;
  name: string;
  provider_id: string;
  provider_type: string;
  parent_id: string;
  config: Record<string, string[]>;
}

/**
 * Synchronises every back-end key provider of every realm (the scheduler calls this): each back end
 * is read outside any transaction, then what was read is applied in a transaction of its own. A
 * back end that cannot be read keeps its keys as they were, and a component that carries its back
 * end inline (stored before back ends were declared) is not acted upon: the failure is returned,
 * not thrown.
 */
export async function syncAllExternalKeys(
  db: SqlClient,
  backends: Backends,
): Promise<{
  changed: string[];
  failures: { realm: string; component: string; reason: string }[];
}> {
  const rows = await db.query<ComponentRow>(
    `SELECT r.name AS realm, c.realm_id, c.id, c.name, c.provider_id, c.provider_type, c.parent_id, c.config
     FROM components c JOIN realms r ON r.id = c.realm_id WHERE c.provider_type = $1 AND c.provider_id = ANY($2)`,
    [KEY_PROVIDER_TYPE, [...EXTERNAL_PROVIDERS]],
  );
  const changed = new Set<string>();
  const failures: { realm: string; component: string; reason: string }[] = [];
  for (const row of rows) {
    const component: StoredComponent = {
      id: row.id,
      name: row.name,
      providerId: row.provider_id,
      providerType: row.provider_type,
      parentId: row.parent_id,
      config: row.config,
    };
    try {
      const legacy = legacyBackendError(row.provider_id, row.config);
      if (legacy) throw new ComponentError(legacy, 'backend');
      const settings = keyProviderSettings(row.provider_id, row.config);
      const read = await readBackendKeys(
        db,
        backends,
        { id: row.realm_id, name: row.realm },
        component,
        settings,
      );
      if (
        await db.transaction((tx) =>
          applyBackendKeys(tx, row.realm_id, component, settings, read, 'scheduler'),
        )
      )
        changed.add(row.realm);
    } catch (err) {
      failures.push({ realm: row.realm, component: row.name, reason: (err as Error).message });
    }
  }
  return { changed: [...changed], failures };
}

/**
 * Key provider components (Keycloak's `org.keycloak.keys.KeyProvider` components, admin REST
 * `/admin/realms/{realm}/components`): create, find, update, delete. Each owns its signing key
 * (or, for a back end, the keys it holds). What each provider accepts and how its key is made or
 * read is its module's (keys/providers/, by id through providers/registry.ts).
 *
 * Every change runs inside the caller's transaction, keeps `keys.status/priority` in step with the
 * component, bumps the realm version (so every process rebuilds that realm's provider) and
 * records a key event with its actor.
 */
import { randomUUID } from 'node:crypto';
import type { SqlClient } from '../store/sql.ts';
import { insertKey, setKeyState } from './repository.ts';
import { applyBackendKeys, restateBackendKeys, type BackendRead } from './external.ts';
import { CONNECTION_FIELDS, isBackendProvider } from './providers/backend-fields.ts';
import { keyProvider, keyProviderSettings } from './providers/registry.ts';
import { bumpRealmVersion, recordKeyEvent } from './key-events.ts';
import {
  ComponentError,
  KEY_PROVIDER_TYPE,
  first,
  toConfig,
  type ComponentConfig,
  type ComponentRepresentation,
  type KeyProviderSettings,
  type StoredComponent,
} from './component-model.ts';

export {
  ComponentError,
  KEY_PROVIDER_TYPE,
  ROTATION_POLICY_TYPE,
  first,
  toConfig,
  type ComponentConfig,
  type ComponentRepresentation,
  type KeyProviderSettings,
  type StoredComponent,
} from './component-model.ts';
export { KEY_PROVIDER_IDS, keyProviderSettings } from './providers/registry.ts';
export { bumpRealmVersion, recordKeyEvent } from './key-events.ts';

/** Config keys never returned by the admin API (Keycloak masks secret component config). */
export const SECRET_CONFIG_KEYS = new Set(['privateKey', 'secret']);

/** A local provider's new key (generated or imported by the provider), sealed under `kek`, and its event. */
async function storeLocalKey(
  db: SqlClient,
  kek: Buffer,
  realmId: string,
  provider: Extract<ReturnType<typeof keyProvider>, { kind: 'local' }>,
  settings: KeyProviderSettings,
  id: string,
  actor: string,
): Promise<void> {
  const key = await provider.createKey(settings);
  await insertKey(
    db,
    kek,
    realmId,
    { ...key, providerId: provider.id },
    settings.priority,
    settings.status,
    id,
  );
  await recordKeyEvent(db, realmId, {
    kid: key.kid,
    alg: settings.alg,
    componentId: id,
    action: `created ${settings.status}`,
    actor,
  });
}

/** The config as stored: without a local provider's secrets (sealed with its key instead). */
function storableConfig(provider: ReturnType<typeof keyProvider>, settings: KeyProviderSettings) {
  const secret = new Set(
    provider.kind === 'local' ? [...SECRET_CONFIG_KEYS, ...provider.secretFields] : [],
  );
  const stored = Object.fromEntries(
    Object.entries(settings.config).filter(([k]) => !secret.has(k)),
  );
  return stored;
}

/**
 * Creates a key provider component and its key (or, for a back end, the keys `read` found: see
 * keys/external.ts readNewKeyProvider, called before the transaction). The component id is the
 * server's (an `id` in `rep` is ignored), so no request can choose a kid. Returns the component id.
 * @throws ComponentError (400) for a config that is not valid for the provider.
 */
export async function createKeyProvider(
  db: SqlClient,
  kek: Buffer,
  realmId: string,
  rep: ComponentRepresentation,
  actor: string,
  read?: BackendRead,
): Promise<string> {
  const provider = keyProvider(rep.providerId);
  const settings = keyProviderSettings(rep.providerId, rep.config);
  // A composite reads nothing outside the realm's rows; Vault and PKCS#11 are read before the transaction.
  const found =
    read ??
    (provider.kind === 'external' && !isBackendProvider(provider.id)
      ? { providerId: provider.id, componentId: randomUUID() }
      : undefined);
  if (provider.kind === 'external' && found?.providerId !== provider.id)
    throw new Error(
      `${provider.id}: the back end must be read before the transaction (readNewKeyProvider)`,
    );
  const id = found?.componentId ?? randomUUID();
  const name = rep.name || provider.id;
  const stored = storableConfig(provider, settings);
  await db.query(
    'INSERT INTO components (id, realm_id, name, provider_id, provider_type, parent_id, sub_type, config) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [
      id,
      realmId,
      name,
      provider.id,
      KEY_PROVIDER_TYPE,
      realmId,
      rep.subType ?? null,
      JSON.stringify(stored),
    ],
  );
  if (provider.kind === 'external') {
    await applyBackendKeys(
      db,
      realmId,
      {
        id,
        name,
        providerId: provider.id,
        providerType: KEY_PROVIDER_TYPE,
        parentId: realmId,
        config: stored,
      },
      settings,
      found!,
      actor,
    );
  } else {
    await storeLocalKey(db, kek, realmId, provider, settings, id, actor);
  }
  await bumpRealmVersion(db, realmId);
  return id;
}

type ComponentRow = {
  id: string;
  name: string;
  provider_id: string;
  provider_type: string;
  parent_id: string;
  sub_type: string | null;
  config: ComponentConfig;
};
const toComponent = (r: ComponentRow): StoredComponent => ({
  id: r.id,
  name: r.name,
  providerId: r.provider_id,
  providerType: r.provider_type,
  parentId: r.parent_id,
  ...(r.sub_type ? { subType: r.sub_type } : {}),
  config: r.config,
});

export async function findComponents(
  db: SqlClient,
  realmId: string,
  filter: { type?: string; parent?: string; name?: string } = {},
): Promise<StoredComponent[]> {
  const rows = await db.query<ComponentRow>(
    `SELECT id, name, provider_id, provider_type, parent_id, sub_type, config FROM components
     WHERE realm_id = $1 AND ($2::text IS NULL OR provider_type = $2) AND ($3::text IS NULL OR parent_id = $3) AND ($4::text IS NULL OR name = $4)
     ORDER BY created_at, id`,
    [realmId, filter.type ?? null, filter.parent ?? null, filter.name ?? null],
  );
  return rows.map(toComponent);
}

export async function findComponent(
  db: SqlClient,
  realmId: string,
  id: string,
  lock = false,
): Promise<StoredComponent | undefined> {
  const [row] = await db.query<ComponentRow>(
    `SELECT id, name, provider_id, provider_type, parent_id, sub_type, config FROM components WHERE realm_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`,
    [realmId, id],
  );
  return row ? toComponent(row) : undefined;
}

/**
 * What an update may not change: a composite member's unpublished state, the fields that pick the
 * key material, a back end's declaration (checkBackendChange).
 * @throws ComponentError (400)
 */
async function checkUpdate(
  db: SqlClient,
  realmId: string,
  current: StoredComponent,
  merged: ComponentConfig,
  provider: ReturnType<typeof keyProvider>,
  settings: KeyProviderSettings,
  options: UpdateOptions,
): Promise<void> {
  // A composite's member stays unpublished (draft-ietf-jose-pq-composite-sigs-05 §6.2); members of
  // composites made before that rule, published already, keep their state.
  if (settings.status !== 'DISABLED') {
    const composite = await compositeMembership(db, realmId, current.id);
    if (composite?.memberStatus === 'DISABLED')
      throw new ComponentError(
        `refused: key ${composite.member} is a member of composite key ${composite.kid} and must stay unpublished (enabled: false)`,
        'enabled',
      );
  }
  // What picks the key material: another value would put another key under the same kid, which
  // relying parties caching the JWKS by kid would not fetch (and tokens already out would fail).
  for (const field of provider.identityFields) {
    if (JSON.stringify(merged[field] ?? []) !== JSON.stringify(current.config[field] ?? [])) {
      throw new ComponentError(
        `config.${field} cannot be changed; create a new ${current.providerId} key provider, then disable this one`,
        field,
      );
    }
  }
  if (isBackendProvider(current.providerId)) checkBackendChange(current, merged, options);
}

/**
 * A back end's versions have states of their own (latest, min_decryption_version): re-derives
 * them from what the last read recorded (`current` with its config as stored now), and records each change.
 */
async function restateExternal(
  db: SqlClient,
  realmId: string,
  current: StoredComponent,
  settings: KeyProviderSettings,
  actor: string,
): Promise<void> {
  // A back end's versions have states of their own (latest, min_decryption_version): re-derive
  // them from what the last read recorded, without asking the back end (we are in a transaction).
  for (const key of await restateBackendKeys(db, realmId, current, settings)) {
    await recordKeyEvent(db, realmId, {
      kid: key.kid,
      alg: settings.alg,
      componentId: current.id,
      action: `set ${key.status} priority ${settings.priority}`,
      actor,
    });
  }
}

/**
 * Updates a key provider's name and config (priority, active, enabled). Its algorithm is fixed:
 * a new algorithm needs a new provider (Keycloak regenerates the key instead; we keep kids stable).
 */
export async function updateKeyProvider(
  db: SqlClient,
  realmId: string,
  current: StoredComponent,
  rep: ComponentRepresentation,
  actor: string,
  options: UpdateOptions = {},
): Promise<void> {
  if (rep.providerId !== undefined && rep.providerId !== current.providerId)
    throw new ComponentError('providerId cannot be changed', 'providerId');
  // Connection settings a component stored before back ends were declared are dropped (never acted
  // upon); the same fields in `rep` are refused by keyProviderSettings.
  const kept = Object.fromEntries(
    Object.entries(current.config).filter(
      ([k]) => !isBackendProvider(current.providerId) || !CONNECTION_FIELDS.has(k),
    ),
  );
  const merged = { ...kept, ...toConfig(rep.config) };
  for (const key of SECRET_CONFIG_KEYS) delete merged[key];
  const provider = keyProvider(current.providerId);
  // An imported key's secret (rsa's privateKey) is not stored: it is the key, which does not change.
  const secret = provider.kind === 'local' ? provider.secretFields : [];
  const settings = keyProviderSettings(current.providerId, {
    ...merged,
    ...Object.fromEntries(secret.map((k) => [k, ['(stored)']])),
  });
  if (settings.alg !== first(current.config, 'algorithm'))
    throw new ComponentError(
      'config.algorithm cannot be changed; create a new key provider instead',
      'algorithm',
    );
  await checkUpdate(db, realmId, current, merged, provider, settings, options);
  const stored = Object.fromEntries(
    Object.entries(settings.config).filter(([k]) => !SECRET_CONFIG_KEYS.has(k)),
  );
  await db.query('UPDATE components SET name = $3, config = $4 WHERE realm_id = $1 AND id = $2', [
    realmId,
    current.id,
    rep.name || current.name,
    JSON.stringify(stored),
  ]);
  if (provider.kind === 'external') {
    await restateExternal(db, realmId, { ...current, config: stored }, settings, actor);
    await bumpRealmVersion(db, realmId);
    return;
  }
  const keys = await setKeyState(db, realmId, current.id, settings);
  for (const key of keys)
    await recordKeyEvent(db, realmId, {
      kid: key.kid,
      alg: settings.alg,
      componentId: current.id,
      action: `set ${settings.status} priority ${settings.priority}`,
      actor,
    });
  await bumpRealmVersion(db, realmId);
}

export interface UpdateOptions {
  /**
   * Checks that the realm may use back end `name` (Backends#declaration), pure, no I/O; throws
   * when it may not. Needed only to give a component stored before back ends were declared its
   * `config.backend`; without it, that is refused.
   */
  checkBackend?: (name: string, type: 'vault-transit' | 'pkcs11') => void;
}

/**
 * `config.backend` is fixed once set (another back end could hold another key under the same
 * kid); a component stored without one (its settings inline, from before back ends were declared)
 * may be given one, which must be a back end the realm may use.
 * @throws ComponentError (field `backend`).
 */
function checkBackendChange(
  current: StoredComponent,
  merged: ComponentConfig,
  options: UpdateOptions,
): void {
  const before = current.config.backend?.[0];
  const after = merged.backend?.[0];
  if (before === after) return;
  if (before !== undefined)
    throw new ComponentError(
      `config.backend cannot be changed; create a new ${current.providerId} key provider, then disable this one`,
      'backend',
    );
  if (after === undefined) return;
  try {
    if (!options.checkBackend) throw new Error('no back ends to check against');
    options.checkBackend(after, current.providerId as 'vault-transit' | 'pkcs11');
  } catch (err) {
    throw new ComponentError(`config.backend ${(err as Error).message}`, 'backend');
  }
}

/** A composite key one of the component's keys is a member of, if any. */
async function compositeMembership(
  db: SqlClient,
  realmId: string,
  componentId: string,
): Promise<{ kid: string; member: string; memberStatus: string } | undefined> {
  const [row] = await db.query<{ kid: string; member: string; memberStatus: string }>(
    `SELECT c.kid, m.member, k.status AS "memberStatus" FROM keys c, jsonb_array_elements_text(c.backend_ref->'members') AS m(member), keys k
     WHERE c.realm_id = $1 AND c.backend = 'composite' AND k.kid = m.member AND k.realm_id = $1 AND k.component_id = $2 LIMIT 1`,
    [realmId, componentId],
  );
  return row;
}

/**
 * Any component (key providers take their key with them).
 * @throws ComponentError (400) when one of its keys is a member of a composite key: delete the composite first.
 */
export async function deleteComponent(
  db: SqlClient,
  realmId: string,
  current: StoredComponent,
  actor: string,
): Promise<void> {
  const keys = await db.query<{ kid: string; alg: string }>(
    'SELECT kid, alg FROM keys WHERE realm_id = $1 AND component_id = $2',
    [realmId, current.id],
  );
  const composite = await compositeMembership(db, realmId, current.id);
  if (composite)
    throw new ComponentError(
      `refused: key ${composite.member} is a member of composite key ${composite.kid}; delete that composite's provider first`,
      'id',
    );
  await db.query('DELETE FROM components WHERE realm_id = $1 AND id = $2', [realmId, current.id]);
  for (const key of keys)
    await recordKeyEvent(db, realmId, {
      kid: key.kid,
      alg: key.alg,
      componentId: current.id,
      action: 'deleted',
      actor,
    });
  await bumpRealmVersion(db, realmId);
}

/**
 * Refuses a key change that would leave an alg the realm needs without an ACTIVE key: its default
 * alg, HS512 (refresh tokens), and every alg a client asks for by attribute. Call after the change,
 * inside the same transaction, so a refusal rolls it back.
 * @throws ComponentError (status 400) naming the alg.
 */
export async function assertRequiredKeys(
  db: SqlClient,
  realmId: string,
  required: string[],
): Promise<void> {
  const active = new Set(
    (
      await db.query<{ alg: string }>(
        "SELECT DISTINCT alg FROM keys WHERE realm_id = $1 AND status = 'ACTIVE'",
        [realmId],
      )
    ).map((r) => r.alg),
  );
  const missing = [...new Set(required)].filter((alg) => !active.has(alg));
  if (missing.length)
    throw new ComponentError(
      `refused: the realm would have no active key for ${missing.join(', ')} (its default algorithm, refresh tokens or a client's algorithm); add or activate another key first`,
      'active',
    );
}

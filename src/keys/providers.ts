/**
 * Key provider components (Keycloak's `org.keycloak.keys.KeyProvider` components, admin REST
 * `/admin/realms/{realm}/components`): each owns one signing key. Config values are string
 * arrays, as in Keycloak (ComponentRepresentation). Understood providers: Keycloak's
 * `rsa-generated`, `rsa` (imported PEM), `ecdsa-generated`, `hmac-generated`, and ours
 * `ml-dsa-generated`, `composite-generated`. Config keys: `priority` (integer, higher wins),
 * `enabled`, `active` ("true"/"false"), `algorithm`; `rsa` also `privateKey` (PEM) and optionally
 * `certificate` (PEM). State = DISABLED unless enabled, else ACTIVE or PASSIVE (Keycloak's rule).
 *
 * Every change runs inside the caller's transaction, keeps `keys.status/priority` in step with the
 * component, bumps the realm version (so every process rebuilds that realm's provider) and
 * records a key event with its actor.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import type { SqlClient } from '../store/sql.ts';
import type { SignerStatus } from '../signer/signer.ts';
import { isSupportedAlg } from '../jose/algorithms.ts';
import { generateKey } from './generate.ts';
import { insertKey } from './repository.ts';
import { EXTERNAL_PROVIDERS, applyBackendKeys, restateBackendKeys, type BackendRead } from './external.ts';
import { CONNECTION_FIELDS, isBackendProvider, refusedBackendField } from './backend-components.ts';

export const KEY_PROVIDER_TYPE = 'org.keycloak.keys.KeyProvider';
export const ROTATION_POLICY_TYPE = 'qsign.keys.RotationPolicy';

export type ComponentConfig = Record<string, string[]>;

/** Keycloak's ComponentRepresentation. */
export interface ComponentRepresentation {
  id?: string;
  name?: string;
  providerId?: string;
  providerType?: string;
  parentId?: string;
  subType?: string;
  config?: Record<string, unknown>;
}

/** A component that cannot be accepted; `field` names the offending config key. */
export class ComponentError extends Error {
  readonly field: string | undefined;
  readonly status: number;
  constructor(message: string, field?: string, status = 400) {
    super(message);
    this.name = 'ComponentError';
    this.field = field;
    this.status = status;
  }
}

const PROVIDERS: Record<string, { fallback: string; allowed: RegExp }> = {
  'rsa-generated': { fallback: 'RS256', allowed: /^(RS|PS)(256|384|512)$/ },
  rsa: { fallback: 'RS256', allowed: /^(RS|PS)(256|384|512)$/ },
  'ecdsa-generated': { fallback: 'ES256', allowed: /^ES(256|384|512)$/ },
  'eddsa-generated': { fallback: 'EdDSA', allowed: /^EdDSA$/ },
  'hmac-generated': { fallback: 'HS256', allowed: /^HS(256|384|512)$/ },
  'ml-dsa-generated': { fallback: 'ML-DSA-65', allowed: /^(ML-DSA-(44|65|87)|DILITHIUM3)$/ },
  'composite-generated': { fallback: 'ML-DSA-65-RS256', allowed: /^(ML-DSA-65|DILITHIUM3)-(RS256|PS256|ES256)$/ },
  'vault-transit': { fallback: 'ML-DSA-65', allowed: /^(RS256|PS256|ES256|ML-DSA-(44|65|87)|DILITHIUM3)$/ },
  pkcs11: { fallback: 'RS256', allowed: /^(RS256|PS256|ES256|ML-DSA-(44|65|87)|DILITHIUM3)$/ },
  composite: { fallback: 'ML-DSA-65-RS256', allowed: /^(ML-DSA-65|DILITHIUM3)-(RS256|PS256|ES256)$/ },
};
export const KEY_PROVIDER_IDS = Object.keys(PROVIDERS);
/** Config fields of back-end key providers that name the key material itself (fixed once created). */
const KEY_IDENTITY_FIELDS: Record<string, string[]> = { composite: ['members'], pkcs11: ['keyId', 'wrappedSeed'], 'vault-transit': ['keyName'] };

/** Keycloak's rsa-generated `keySize` choices (bits). */
const RSA_KEY_SIZES = ['2048', '3072', '4096'];
const CURVE_ALG: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
/** Config keys never returned by the admin API (Keycloak masks secret component config). */
export const SECRET_CONFIG_KEYS = new Set(['privateKey', 'secret']);

export const first = (config: Record<string, unknown> | undefined, key: string): string | undefined => {
  const value = config?.[key];
  if (Array.isArray(value)) return value[0] === undefined || value[0] === null ? undefined : String(value[0]);
  return value === undefined || value === null ? undefined : String(value);
};

/** Config as string arrays (Keycloak's MultivaluedHashMap JSON form). */
export function toConfig(config: Record<string, unknown> | undefined, field = 'config'): ComponentConfig {
  const out: ComponentConfig = {};
  for (const [key, value] of Object.entries(config ?? {})) {
    const list = Array.isArray(value) ? value : [value];
    if (!list.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) throw new ComponentError(`config.${key} must be a list of strings`, `${field}.${key}`);
    out[key] = list.map(String);
  }
  return out;
}

export interface KeyProviderSettings {
  alg: string;
  priority: number;
  status: SignerStatus;
  config: ComponentConfig;
}

const bool = (config: ComponentConfig, key: string): boolean => {
  const value = first(config, key);
  if (value === undefined) return true;
  if (value !== 'true' && value !== 'false') throw new ComponentError(`config.${key} must be "true" or "false", got "${value}"`, key);
  return value === 'true';
};

/** Validates a key provider's config. @throws ComponentError naming the field. */
export function keyProviderSettings(providerId: string | undefined, rawConfig: Record<string, unknown> | undefined): KeyProviderSettings {
  const rule = providerId ? PROVIDERS[providerId] : undefined;
  if (!rule) throw new ComponentError(`unknown key provider "${providerId ?? ''}" (known: ${KEY_PROVIDER_IDS.join(', ')})`, 'providerId');
  const config = toConfig(rawConfig);
  if (isBackendProvider(providerId)) {
    const refused = refusedBackendField(providerId, config);
    if (refused) throw new ComponentError(refused.reason, refused.field);
    if (config.backend && (config.backend.length !== 1 || !config.backend[0])) throw new ComponentError('config.backend must be one back-end name', 'backend');
  }
  const curve = first(config, 'ecdsaEllipticCurveKey');
  const alg = first(config, 'algorithm') ?? (curve ? CURVE_ALG[curve] : undefined) ?? rule.fallback;
  if (!rule.allowed.test(alg) || !isSupportedAlg(alg)) throw new ComponentError(`config.algorithm "${alg}" is not an algorithm of provider ${providerId}`, 'algorithm');
  const priorityText = first(config, 'priority') ?? '0';
  if (!/^-?\d+$/.test(priorityText)) throw new ComponentError(`config.priority must be an integer, got "${priorityText}"`, 'priority');
  const enabled = bool(config, 'enabled');
  const active = bool(config, 'active');
  if (providerId === 'rsa' && !first(config, 'privateKey')) throw new ComponentError('config.privateKey (PEM) is required for provider rsa', 'privateKey');
  const keySize = first(config, 'keySize');
  if (providerId === 'rsa-generated' && keySize !== undefined && !RSA_KEY_SIZES.includes(keySize)) throw new ComponentError(`config.keySize must be one of ${RSA_KEY_SIZES.join(', ')}, got "${keySize}"`, 'keySize');
  const edCurve = first(config, 'eddsaEllipticCurveKey');
  if (providerId === 'eddsa-generated' && edCurve !== undefined && edCurve !== 'Ed25519') throw new ComponentError(`config.eddsaEllipticCurveKey "${edCurve}" is not supported (Ed25519 is)`, 'eddsaEllipticCurveKey');
  return { alg, priority: Number(priorityText), status: !enabled ? 'DISABLED' : active ? 'ACTIVE' : 'PASSIVE', config: { ...config, algorithm: [alg], priority: [priorityText] } };
}

function importedRsaKey(pem: string): Buffer {
  try {
    const key = createPrivateKey(pem.includes('-----BEGIN') ? pem : `-----BEGIN PRIVATE KEY-----\n${pem}\n-----END PRIVATE KEY-----`);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    return key.export({ format: 'der', type: 'pkcs8' });
  } catch {
    throw new ComponentError('config.privateKey is not an RSA private key in PEM form', 'privateKey');
  }
}

export async function bumpRealmVersion(db: SqlClient, realmId: string): Promise<void> {
  await db.query('UPDATE realms SET version = version + 1, updated_at = now() WHERE id = $1', [realmId]);
}

export async function recordKeyEvent(db: SqlClient, realmId: string, event: { kid?: string; alg?: string; componentId?: string; action: string; actor: string }): Promise<void> {
  await db.query('INSERT INTO key_events (realm_id, kid, alg, component_id, action, actor) VALUES ($1, $2, $3, $4, $5, $6)',
    [realmId, event.kid ?? null, event.alg ?? null, event.componentId ?? null, event.action, event.actor]);
}

/**
 * Creates a key provider component and its key (or, for a back end, the keys `read` found: see
 * keys/external.ts readNewKeyProvider, called before the transaction). The component id is the
 * server's (an `id` in `rep` is ignored), so no request can choose a kid. Returns the component id.
 * @throws ComponentError (400) for a config that is not valid for the provider.
 */
export async function createKeyProvider(db: SqlClient, kek: Buffer, realmId: string, rep: ComponentRepresentation, actor: string, read?: BackendRead): Promise<string> {
  const settings = keyProviderSettings(rep.providerId, rep.config);
  if (isBackendProvider(rep.providerId) && read?.providerId !== rep.providerId) throw new Error(`${rep.providerId}: the back end must be read before the transaction (readNewKeyProvider)`);
  const id = read?.componentId ?? randomUUID();
  if (EXTERNAL_PROVIDERS.has(rep.providerId!)) {
    await db.query(
      'INSERT INTO components (id, realm_id, name, provider_id, provider_type, parent_id, sub_type, config) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [id, realmId, rep.name || rep.providerId, rep.providerId, KEY_PROVIDER_TYPE, realmId, rep.subType ?? null, JSON.stringify(settings.config)],
    );
    const component = { id, name: rep.name || rep.providerId!, providerId: rep.providerId!, providerType: KEY_PROVIDER_TYPE, parentId: realmId, config: settings.config };
    await applyBackendKeys(db, realmId, component, settings, read ?? { providerId: 'composite', componentId: id }, actor);
    await bumpRealmVersion(db, realmId);
    return id;
  }
  const key = rep.providerId === 'rsa'
    ? { kid: randomUUID(), alg: settings.alg, privateKey: importedRsaKey(first(settings.config, 'privateKey')!) }
    : await generateKey(settings.alg, { rsaBits: Number(first(settings.config, 'keySize') ?? 2048) });
  const stored = Object.fromEntries(Object.entries(settings.config).filter(([k]) => !SECRET_CONFIG_KEYS.has(k)));
  await db.query(
    'INSERT INTO components (id, realm_id, name, provider_id, provider_type, parent_id, sub_type, config) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [id, realmId, rep.name || rep.providerId, rep.providerId, KEY_PROVIDER_TYPE, realmId, rep.subType ?? null, JSON.stringify(stored)],
  );
  await insertKey(db, kek, realmId, { ...key, providerId: rep.providerId! }, settings.priority, settings.status, id);
  await recordKeyEvent(db, realmId, { kid: key.kid, alg: settings.alg, componentId: id, action: `created ${settings.status}`, actor });
  await bumpRealmVersion(db, realmId);
  return id;
}

export interface StoredComponent {
  id: string;
  name: string;
  providerId: string;
  providerType: string;
  parentId: string;
  subType?: string;
  config: ComponentConfig;
}

type ComponentRow = { id: string; name: string; provider_id: string; provider_type: string; parent_id: string; sub_type: string | null; config: ComponentConfig };
const toComponent = (r: ComponentRow): StoredComponent => ({
  id: r.id, name: r.name, providerId: r.provider_id, providerType: r.provider_type, parentId: r.parent_id, ...(r.sub_type ? { subType: r.sub_type } : {}), config: r.config,
});

export async function findComponents(db: SqlClient, realmId: string, filter: { type?: string; parent?: string; name?: string } = {}): Promise<StoredComponent[]> {
  const rows = await db.query<ComponentRow>(
    `SELECT id, name, provider_id, provider_type, parent_id, sub_type, config FROM components
     WHERE realm_id = $1 AND ($2::text IS NULL OR provider_type = $2) AND ($3::text IS NULL OR parent_id = $3) AND ($4::text IS NULL OR name = $4)
     ORDER BY created_at, id`,
    [realmId, filter.type ?? null, filter.parent ?? null, filter.name ?? null],
  );
  return rows.map(toComponent);
}

export async function findComponent(db: SqlClient, realmId: string, id: string, lock = false): Promise<StoredComponent | undefined> {
  const [row] = await db.query<ComponentRow>(`SELECT id, name, provider_id, provider_type, parent_id, sub_type, config FROM components WHERE realm_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`, [realmId, id]);
  return row ? toComponent(row) : undefined;
}

/**
 * Updates a key provider's name and config (priority, active, enabled). Its algorithm is fixed:
 * a new algorithm needs a new provider (Keycloak regenerates the key instead; we keep kids stable).
 */
export async function updateKeyProvider(db: SqlClient, realmId: string, current: StoredComponent, rep: ComponentRepresentation, actor: string, options: UpdateOptions = {}): Promise<void> {
  if (rep.providerId !== undefined && rep.providerId !== current.providerId) throw new ComponentError('providerId cannot be changed', 'providerId');
  // Connection settings a component stored before back ends were declared are dropped (never acted
  // upon); the same fields in `rep` are refused by keyProviderSettings.
  const kept = Object.fromEntries(Object.entries(current.config).filter(([k]) => !isBackendProvider(current.providerId) || !CONNECTION_FIELDS.has(k)));
  const merged = { ...kept, ...toConfig(rep.config) };
  for (const key of SECRET_CONFIG_KEYS) delete merged[key];
  const settings = keyProviderSettings(current.providerId, current.providerId === 'rsa' ? { ...merged, privateKey: ['(stored)'] } : merged);
  if (settings.alg !== first(current.config, 'algorithm')) throw new ComponentError('config.algorithm cannot be changed; create a new key provider instead', 'algorithm');
  // A composite's member stays unpublished (draft-ietf-jose-pq-composite-sigs-05 §6.2); members of
  // composites made before that rule, published already, keep their state.
  if (settings.status !== 'DISABLED') {
    const composite = await compositeMembership(db, realmId, current.id);
    if (composite?.memberStatus === 'DISABLED') throw new ComponentError(`refused: key ${composite.member} is a member of composite key ${composite.kid} and must stay unpublished (enabled: false)`, 'enabled');
  }
  // What picks the key material: another value would put another key under the same kid, which
  // relying parties caching the JWKS by kid would not fetch (and tokens already out would fail).
  for (const field of KEY_IDENTITY_FIELDS[current.providerId] ?? []) {
    if (JSON.stringify(merged[field] ?? []) !== JSON.stringify(current.config[field] ?? [])) {
      throw new ComponentError(`config.${field} cannot be changed; create a new ${current.providerId} key provider, then disable this one`, field);
    }
  }
  if (isBackendProvider(current.providerId)) checkBackendChange(current, merged, options);
  const stored = Object.fromEntries(Object.entries(settings.config).filter(([k]) => !SECRET_CONFIG_KEYS.has(k)));
  await db.query('UPDATE components SET name = $3, config = $4 WHERE realm_id = $1 AND id = $2', [realmId, current.id, rep.name || current.name, JSON.stringify(stored)]);
  if (EXTERNAL_PROVIDERS.has(current.providerId)) {
    // A back end's versions have states of their own (latest, min_decryption_version): re-derive
    // them from what the last read recorded, without asking the back end (we are in a transaction).
    for (const key of await restateBackendKeys(db, realmId, { ...current, config: stored }, settings)) {
      await recordKeyEvent(db, realmId, { kid: key.kid, alg: settings.alg, componentId: current.id, action: `set ${key.status} priority ${settings.priority}`, actor });
    }
    await bumpRealmVersion(db, realmId);
    return;
  }
  const keys = await db.query<{ kid: string; status: string }>('UPDATE keys SET priority = $3, status = $4 WHERE realm_id = $1 AND component_id = $2 RETURNING kid, status', [realmId, current.id, settings.priority, settings.status]);
  for (const key of keys) await recordKeyEvent(db, realmId, { kid: key.kid, alg: settings.alg, componentId: current.id, action: `set ${settings.status} priority ${settings.priority}`, actor });
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
function checkBackendChange(current: StoredComponent, merged: ComponentConfig, options: UpdateOptions): void {
  const before = current.config.backend?.[0];
  const after = merged.backend?.[0];
  if (before === after) return;
  if (before !== undefined) throw new ComponentError(`config.backend cannot be changed; create a new ${current.providerId} key provider, then disable this one`, 'backend');
  if (after === undefined) return;
  try {
    if (!options.checkBackend) throw new Error('no back ends to check against');
    options.checkBackend(after, current.providerId as 'vault-transit' | 'pkcs11');
  } catch (err) {
    throw new ComponentError(`config.backend ${(err as Error).message}`, 'backend');
  }
}

/** A composite key one of the component's keys is a member of, if any. */
async function compositeMembership(db: SqlClient, realmId: string, componentId: string): Promise<{ kid: string; member: string; memberStatus: string } | undefined> {
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
export async function deleteComponent(db: SqlClient, realmId: string, current: StoredComponent, actor: string): Promise<void> {
  const keys = await db.query<{ kid: string; alg: string }>('SELECT kid, alg FROM keys WHERE realm_id = $1 AND component_id = $2', [realmId, current.id]);
  const composite = await compositeMembership(db, realmId, current.id);
  if (composite) throw new ComponentError(`refused: key ${composite.member} is a member of composite key ${composite.kid}; delete that composite's provider first`, 'id');
  await db.query('DELETE FROM components WHERE realm_id = $1 AND id = $2', [realmId, current.id]);
  for (const key of keys) await recordKeyEvent(db, realmId, { kid: key.kid, alg: key.alg, componentId: current.id, action: 'deleted', actor });
  await bumpRealmVersion(db, realmId);
}

/**
 * Refuses a key change that would leave an alg the realm needs without an ACTIVE key: its default
 * alg, HS512 (refresh tokens), and every alg a client asks for by attribute. Call after the change,
 * inside the same transaction, so a refusal rolls it back.
 * @throws ComponentError (status 400) naming the alg.
 */
export async function assertRequiredKeys(db: SqlClient, realmId: string, required: string[]): Promise<void> {
  const active = new Set((await db.query<{ alg: string }>("SELECT DISTINCT alg FROM keys WHERE realm_id = $1 AND status = 'ACTIVE'", [realmId])).map((r) => r.alg));
  const missing = [...new Set(required)].filter((alg) => !active.has(alg));
  if (missing.length) throw new ComponentError(`refused: the realm would have no active key for ${missing.join(', ')} (its default algorithm, refresh tokens or a client's algorithm); add or activate another key first`, 'active');
}

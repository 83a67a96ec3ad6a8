/**
 * Keys held by a back end, mirrored into the `keys` table so the realm can publish and select
 * them like local keys. `vault-transit`: every version of the transit key is a key of ours
 * (kid `{keyName}-v{version}-{component id prefix}`), the latest signs (if the component is
 * active), older versions down to `min_decryption_version` verify (PASSIVE), older ones are
 * DISABLED, trimmed ones are removed. `pkcs11`: one key per component (see applyPkcs11Key).
 * `composite`: one key made of two keys of the realm (see syncCompositeKey).
 *
 * Back-end I/O never runs inside a SQL transaction (a slow Vault must not hold the store's
 * connection; PGlite has one): `readBackendKeys` asks the back end first, outside any
 * transaction, and `applyBackendKeys` then writes what it read, inside the caller's transaction.
 * Synchronised when the component is created and by the scheduler, so a rotation in Vault is
 * picked up without a restart; a change of status or priority re-derives the key states from
 * what the last read recorded (`restateBackendKeys`), without asking the back end.
 */
import { randomUUID } from 'node:crypto';
import type { SqlClient } from '../store/sql.ts';
import type { SignerStatus } from '../signer/signer.ts';
import type { JWK } from 'jose';
import { BackendRefusedError, type Backends } from '../signer/backends.ts';
import type { TransitKey } from '../signer/vault/client.ts';
import { VAULT_ALGS, vaultPublicJwk } from '../signer/vault/signer.ts';
import { SeedWrappedSigner, tokenPublicJwk } from '../signer/pkcs11/signer.ts';
import { COMPOSITE_MEMBERS, compositePublicJwk } from '../jose/composite.ts';
import { KeyConflictError, listKeys, upsertExternalKey as upsertRow, type ExternalKey } from './repository.ts';
import { legacyBackendError } from './backend-components.ts';
import { ComponentError, KEY_PROVIDER_TYPE, bumpRealmVersion, first, keyProviderSettings, recordKeyEvent, type StoredComponent, type KeyProviderSettings } from './providers.ts';

export const EXTERNAL_PROVIDERS = new Set(['vault-transit', 'pkcs11', 'composite']);

/**
 * The realm a key provider belongs to: its id (its key rows; absent for a realm being imported,
 * which has none yet) and name (back-end declarations list realm names).
 */
export interface RealmRef { id?: string; name: string }

/** The component a read is for (its id is fixed before the read: kids derive from it). */
export type ComponentRef = Pick<StoredComponent, 'id' | 'providerId' | 'config'>;

/** What a back end holds for one component, read outside any transaction. */
export type BackendRead =
  | { providerId: 'vault-transit'; componentId: string; mount: string; keyName: string; key: TransitKey }
  | { providerId: 'pkcs11'; componentId: string; keyId: string; kid: string; mode: 'native' | 'seed-wrapped'; publicJwk: JWK; known: boolean }
  | { providerId: 'composite'; componentId: string };

/** upsertExternalKey, a kid held by another component of the realm answered 409. */
async function upsertExternalKey(db: SqlClient, realmId: string, key: ExternalKey): Promise<void> {
  try {
    await upsertRow(db, realmId, key);
  } catch (err) {
    if (err instanceof KeyConflictError) throw new ComponentError(err.message, 'id', 409);
    throw err;
  }
}

/**
 * For a new key provider (admin API, `keys create`, realm import): validates `rep` and, for a
 * back-end provider, reads its back end under a component id made here (kids derive from it),
 * outside any transaction; pass the result to createKeyProvider. Undefined for local providers.
 * @throws ComponentError (400) as keyProviderSettings and readBackendKeys do.
 */
export async function readNewKeyProvider(db: SqlClient, backends: Backends, realm: RealmRef, rep: { providerId?: string; config?: Record<string, unknown> }): Promise<BackendRead | undefined> {
  const settings = keyProviderSettings(rep.providerId, rep.config);
  if (!EXTERNAL_PROVIDERS.has(rep.providerId!)) return undefined;
  return readBackendKeys(db, backends, realm, { id: randomUUID(), providerId: rep.providerId!, config: settings.config }, settings);
}

/** Where a Vault key version stands (recorded in backend_ref.role, so status changes need no read). */
type VersionRole = 'latest' | 'verify' | 'old';

/** The state of a Vault key version: the component's own state for the latest, PASSIVE or DISABLED for older ones. */
function versionStatus(role: VersionRole, component: SignerStatus): SignerStatus {
  if (component === 'DISABLED' || role === 'old') return 'DISABLED';
  if (role === 'verify') return 'PASSIVE';
  return component;
}

/** The back end a stored or new component names. @throws ComponentError (field `backend`) when it names none or carries one inline. */
function backendOf(component: ComponentRef): string {
  const legacy = legacyBackendError(component.providerId, component.config);
  if (legacy) throw new ComponentError(legacy, 'backend');
  return component.config.backend[0];
}

/** Back-end errors in the component's answer: the class of failure, never the back end's own text. */
function readFailure(err: unknown): string {
  const { name, status } = err as { name?: string; status?: number };
  if (name === 'VaultError') return `Vault answered HTTP ${status}`;
  if (name === 'VaultUnreachableError') return 'Vault is unreachable';
  if (name === 'VaultAuthError') return 'Vault refused the server\'s credentials';
  return 'the back end cannot be read';
}

/**
 * Reads what the back end holds for the component, outside any transaction: the Vault transit key
 * (all versions), or the public key of a PKCS#11 key (only when the realm has no row for it yet;
 * a seed-wrapped one is unwrapped in the HSM for it). Composites read nothing.
 * @throws ComponentError (400) when the component names no back end this realm may use, the key
 *   cannot be read, or it does not fit the alg.
 */
export async function readBackendKeys(db: SqlClient, backends: Backends, realm: RealmRef, component: ComponentRef, settings: KeyProviderSettings): Promise<BackendRead> {
  if (component.providerId === 'composite') return { providerId: 'composite', componentId: component.id };
  const name = backendOf(component);
  try {
    if (component.providerId === 'pkcs11') return await readPkcs11Key(db, backends, realm, component, settings, name);
    return await readVaultKey(backends, realm, component, settings, name);
  } catch (err) {
    if (err instanceof BackendRefusedError) throw new ComponentError(`config.backend ${err.message}`, 'backend');
    throw err;
  }
}

async function readVaultKey(backends: Backends, realm: RealmRef, component: ComponentRef, settings: KeyProviderSettings, name: string): Promise<BackendRead> {
  const keyName = first(component.config, 'keyName');
  if (!keyName) throw new ComponentError('config.keyName is required for provider vault-transit', 'keyName');
  const { client, mount } = backends.vault(name, realm.name);
  let key: TransitKey;
  try {
    key = await client.readKey(mount, keyName);
  } catch (err) {
    throw new ComponentError(`Vault transit key ${keyName} of back end ${name} cannot be read: ${readFailure(err)}`, 'keyName');
  }
  if (!VAULT_ALGS[settings.alg]?.keyTypes.test(key.type)) throw new ComponentError(`Vault key ${keyName} is of type ${key.type}, which cannot sign ${settings.alg}`, 'algorithm');
  return { providerId: 'vault-transit', componentId: component.id, mount, keyName, key };
}

const pkcs11Kid = (keyId: string, componentId: string) => `pkcs11-${keyId.slice(0, 16)}-${componentId.slice(0, 8)}`;

async function readPkcs11Key(db: SqlClient, backends: Backends, realm: RealmRef, component: ComponentRef, settings: KeyProviderSettings, name: string): Promise<BackendRead> {
  const keyId = first(component.config, 'keyId');
  if (!keyId || !/^[0-9a-fA-F]+$/.test(keyId)) throw new ComponentError('config.keyId (the CKA_ID, hex) is required for provider pkcs11', 'keyId');
  const wrappedSeed = first(component.config, 'wrappedSeed');
  const mode = wrappedSeed ? 'seed-wrapped' as const : 'native' as const;
  const kid = pkcs11Kid(keyId, component.id);
  const existing = realm.id === undefined ? undefined : (await listKeys(db, realm.id)).find((k) => k.kid === kid && k.componentId === component.id);
  // The realm is checked even when the public key is known: the declaration may have changed.
  const pool = backends.pkcs11(name, realm.name);
  if (existing?.publicJwk) return { providerId: 'pkcs11', componentId: component.id, keyId, kid, mode, publicJwk: existing.publicJwk, known: true };
  let publicJwk: JWK;
  try {
    publicJwk = wrappedSeed
      ? (await new SeedWrappedSigner({ pool, keyId, alg: settings.alg, kid, wrappedSeed: Buffer.from(wrappedSeed, 'base64') }).load()).publicJwk!
      : await tokenPublicJwk(pool, keyId, settings.alg);
  } catch (err) {
    throw new ComponentError(`PKCS#11 key ${keyId} of back end ${name} cannot be read: ${(err as Error).message.split('\n')[0]}`, 'keyId');
  }
  return { providerId: 'pkcs11', componentId: component.id, keyId, kid, mode, publicJwk, known: false };
}

/**
 * Brings the component's key rows in line with what `read` found, inside the caller's
 * transaction. Returns true when anything changed.
 * @throws ComponentError when a composite's members do not fit, or a kid is held by another component.
 */
export async function applyBackendKeys(db: SqlClient, realmId: string, component: StoredComponent, settings: KeyProviderSettings, read: BackendRead, actor: string): Promise<boolean> {
  if (read.componentId !== component.id) throw new Error(`back-end read of component ${read.componentId} applied to ${component.id}`);
  if (read.providerId === 'pkcs11') return applyPkcs11Key(db, realmId, component, settings, read, actor);
  if (read.providerId === 'composite') return syncCompositeKey(db, realmId, component, settings, actor);
  return applyVaultKey(db, realmId, component, settings, read, actor);
}

async function applyVaultKey(db: SqlClient, realmId: string, component: StoredComponent, settings: KeyProviderSettings, read: Extract<BackendRead, { providerId: 'vault-transit' }>, actor: string): Promise<boolean> {
  const { key, keyName, mount } = read;
  const existing = (await listKeys(db, realmId)).filter((k) => k.componentId === component.id);
  let changed = false;
  const seen = new Set<string>();
  for (const [version, publicKey] of key.publicKeys) {
    if (version < key.minAvailableVersion) continue;
    const kid = `${keyName}-v${version}-${component.id.slice(0, 8)}`;
    seen.add(kid);
    const role: VersionRole = version === key.latestVersion ? 'latest' : version >= key.minDecryptionVersion ? 'verify' : 'old';
    const status = versionStatus(role, settings.status);
    const before = existing.find((k) => k.kid === kid);
    if (before && before.status === status && before.priority === settings.priority && (before.backendRef as { role?: string } | null)?.role === role) continue;
    await upsertExternalKey(db, realmId, {
      kid, alg: settings.alg, providerId: 'vault-transit', priority: settings.priority, status, componentId: component.id,
      backend: 'vault-transit', backendRef: { mount, keyName, version, role }, publicJwk: vaultPublicJwk(settings.alg, publicKey),
    });
    if (!before || before.status !== status || before.priority !== settings.priority) {
      await recordKeyEvent(db, realmId, { kid, alg: settings.alg, componentId: component.id, action: before ? `set ${status} (Vault key version ${version})` : `found Vault key version ${version}: ${status}`, actor });
      changed = true;
    }
  }
  for (const gone of existing.filter((k) => !seen.has(k.kid))) {
    await db.query('DELETE FROM keys WHERE realm_id = $1 AND kid = $2 AND component_id = $3', [realmId, gone.kid, component.id]);
    await recordKeyEvent(db, realmId, { kid: gone.kid, alg: gone.alg, componentId: component.id, action: 'removed (trimmed in Vault)', actor });
    changed = true;
  }
  if (changed) await bumpRealmVersion(db, realmId);
  return changed;
}

/**
 * A change of the component's status or priority (updateKeyProvider), applied to its key rows
 * without asking the back end: a Vault key version keeps the role the last read recorded (rows
 * recorded before roles were: the highest version is the latest, the others verify until the next
 * read). Returns the rows whose state changed.
 */
export async function restateBackendKeys(db: SqlClient, realmId: string, component: StoredComponent, settings: KeyProviderSettings): Promise<{ kid: string; status: SignerStatus }[]> {
  const rows = (await listKeys(db, realmId)).filter((k) => k.componentId === component.id);
  const latest = Math.max(...rows.map((k) => Number((k.backendRef as { version?: number } | null)?.version ?? 0)));
  const changed: { kid: string; status: SignerStatus }[] = [];
  for (const row of rows) {
    const ref = row.backendRef as { role?: VersionRole; version?: number } | null;
    const status = component.providerId === 'vault-transit'
      ? versionStatus(ref?.role ?? (ref?.version === latest ? 'latest' : 'verify'), settings.status)
      : settings.status;
    if (status === row.status && row.priority === settings.priority) continue;
    await db.query('UPDATE keys SET priority = $4, status = $5 WHERE realm_id = $1 AND kid = $2 AND component_id = $3', [realmId, row.kid, component.id, settings.priority, status]);
    changed.push({ kid: row.kid, status });
  }
  return changed;
}

interface ComponentRow { realm: string; realm_id: string; id: string; name: string; provider_id: string; provider_type: string; parent_id: string; config: Record<string, string[]> }

/**
 * Synchronises every back-end key provider of every realm (the scheduler calls this): each back end
 * is read outside any transaction, then what was read is applied in a transaction of its own. A
 * back end that cannot be read keeps its keys as they were, and a component that carries its back
 * end inline (stored before back ends were declared) is not acted upon: the failure is returned,
 * not thrown.
 */
export async function syncAllExternalKeys(db: SqlClient, backends: Backends): Promise<{ changed: string[]; failures: { realm: string; component: string; reason: string }[] }> {
  const rows = await db.query<ComponentRow>(
    `SELECT r.name AS realm, c.realm_id, c.id, c.name, c.provider_id, c.provider_type, c.parent_id, c.config
     FROM components c JOIN realms r ON r.id = c.realm_id WHERE c.provider_type = $1 AND c.provider_id = ANY($2)`,
    [KEY_PROVIDER_TYPE, [...EXTERNAL_PROVIDERS]],
  );
  const changed = new Set<string>();
  const failures: { realm: string; component: string; reason: string }[] = [];
  for (const row of rows) {
    const component: StoredComponent = { id: row.id, name: row.name, providerId: row.provider_id, providerType: row.provider_type, parentId: row.parent_id, config: row.config };
    try {
      const legacy = legacyBackendError(row.provider_id, row.config);
      if (legacy) throw new ComponentError(legacy, 'backend');
      const settings = keyProviderSettings(row.provider_id, row.config);
      const read = await readBackendKeys(db, backends, { id: row.realm_id, name: row.realm }, component, settings);
      if (await db.transaction((tx) => applyBackendKeys(tx, row.realm_id, component, settings, read, 'scheduler'))) changed.add(row.realm);
    } catch (err) {
      failures.push({ realm: row.realm, component: row.name, reason: (err as Error).message });
    }
  }
  return { changed: [...changed], failures };
}

/**
 * Whether this key material is or was published in a JWKS: any key row of any realm with the same
 * public key (RSA `n`, EC `x`/`y`, AKP `pub`, OQS `x`) as the realm's key `kid`, so also when the
 * same HSM or Vault key is registered again under another provider, that is not DISABLED or was
 * ever ACTIVE or PASSIVE (its key lifecycle events). Public material only: nothing of another
 * realm is returned.
 */
async function everPublished(db: SqlClient, realmId: string, kid: string): Promise<boolean> {
  const rows = await db.query(
    `WITH material AS (SELECT concat(public_jwk->>'n', public_jwk->>'x', public_jwk->>'y', public_jwk->>'pub') AS m FROM keys WHERE realm_id = $1 AND kid = $2)
     SELECT 1 FROM keys k, material WHERE concat(k.public_jwk->>'n', k.public_jwk->>'x', k.public_jwk->>'y', k.public_jwk->>'pub') = material.m AND material.m <> ''
       AND (k.status <> 'DISABLED' OR EXISTS (SELECT 1 FROM key_events e WHERE e.realm_id = k.realm_id AND e.kid = k.kid AND e.action ~ '\\m(ACTIVE|PASSIVE)\\M'))
     LIMIT 1`,
    [realmId, kid],
  );
  return rows.length > 0;
}

/**
 * `pkcs11`: one key per component, kid `pkcs11-{CKA_ID}-{component id prefix}`, its public key read
 * from the token (or, seed-wrapped, derived once by unwrapping the seed in the HSM) when the key is
 * new (`keyId` and `wrappedSeed` cannot change afterwards, see updateKeyProvider).
 */
async function applyPkcs11Key(db: SqlClient, realmId: string, component: StoredComponent, settings: KeyProviderSettings, read: Extract<BackendRead, { providerId: 'pkcs11' }>, actor: string): Promise<boolean> {
  const existing = (await listKeys(db, realmId)).find((k) => k.kid === read.kid && k.componentId === component.id);
  if (existing && existing.status === settings.status && existing.priority === settings.priority) return false;
  await upsertExternalKey(db, realmId, {
    kid: read.kid, alg: settings.alg, providerId: 'pkcs11', priority: settings.priority, status: settings.status, componentId: component.id,
    backend: 'pkcs11', backendRef: { keyId: read.keyId, mode: read.mode }, publicJwk: existing?.publicJwk ?? read.publicJwk,
  });
  await recordKeyEvent(db, realmId, { kid: read.kid, alg: settings.alg, componentId: component.id, action: existing ? `set ${settings.status}` : `found PKCS#11 key ${read.keyId}: ${settings.status}`, actor });
  await bumpRealmVersion(db, realmId);
  return true;
}

/**
 * `composite`: one key made of two keys of the realm, `config.members` = [ML-DSA kid, traditional
 * kid], kid `composite-{component id prefix}`. The members must fit the alg (ML-DSA-65/DILITHIUM3
 * and RS256/PS256 on RSA-3072 or ES256 on P-256), and the ML-DSA member must be able to sign with a
 * context (local or seed-wrapped, not Vault). Members must never have been published
 * (draft-ietf-jose-pq-composite-sigs-05 §6.2: key material published as a JWK MUST NOT be reused in
 * a composite): keys made DISABLED (`enabled: false`) for this, which the JWKS never shows. Checked
 * when a composite is made (its members cannot change afterwards, see updateKeyProvider);
 * composites made before the rule keep working.
 */
async function syncCompositeKey(db: SqlClient, realmId: string, component: StoredComponent, settings: KeyProviderSettings, actor: string): Promise<boolean> {
  const spec = COMPOSITE_MEMBERS[settings.alg];
  const [mlDsaKid, tradKid] = component.config.members ?? [];
  if (!mlDsaKid || !tradKid) throw new ComponentError('config.members must name two keys of the realm: [ML-DSA kid, traditional kid]', 'members');
  const keys = await listKeys(db, realmId);
  const mlDsa = keys.find((k) => k.kid === mlDsaKid);
  const trad = keys.find((k) => k.kid === tradKid);
  if (!mlDsa || !['ML-DSA-65', 'DILITHIUM3'].includes(mlDsa.alg)) throw new ComponentError(`config.members[0] must be an ML-DSA-65 key of the realm, got ${mlDsa ? mlDsa.alg : 'no such kid'}`, 'members');
  if (mlDsa.backend === 'vault-transit' || (mlDsa.backend === 'pkcs11' && (mlDsa.backendRef as { mode?: string } | null)?.mode === 'native')) {
    throw new ComponentError('config.members[0]: a Vault or native PKCS#11 ML-DSA key cannot sign with a context, which the composite needs (use a local or seed-wrapped one)', 'members');
  }
  if (!trad || trad.alg !== spec.traditional) throw new ComponentError(`config.members[1] must be a ${spec.traditional} key of the realm, got ${trad ? trad.alg : 'no such kid'}`, 'members');
  if (!mlDsa.publicJwk || !trad.publicJwk) throw new ComponentError('the member keys have no recorded public key', 'members');
  if (spec.kind !== 'ECDSA-P256' && Buffer.from(trad.publicJwk.n as string, 'base64url').length !== 384) throw new ComponentError('config.members[1]: the composite needs an RSA-3072 key', 'members');
  const kid = `composite-${component.id.slice(0, 8)}`;
  const existing = keys.find((k) => k.kid === kid);
  if (!existing) {
    for (const member of [mlDsa, trad]) {
      if (await everPublished(db, realmId, member.kid)) {
        throw new ComponentError(`config.members: key ${member.kid} is or was published in the JWKS; a composite needs member keys made for it, never published (create them with enabled: false)`, 'members');
      }
    }
  }
  if (existing && existing.status === settings.status && existing.priority === settings.priority) return false;
  await upsertExternalKey(db, realmId, {
    kid, alg: settings.alg, providerId: 'composite', priority: settings.priority, status: settings.status, componentId: component.id,
    backend: 'composite', backendRef: { members: [mlDsaKid, tradKid] }, publicJwk: compositePublicJwk(settings.alg, mlDsa.publicJwk, trad.publicJwk),
  });
  await recordKeyEvent(db, realmId, { kid, alg: settings.alg, componentId: component.id, action: existing ? `set ${settings.status}` : `composite of ${mlDsaKid} and ${tradKid}: ${settings.status}`, actor });
  await bumpRealmVersion(db, realmId);
  return true;
}

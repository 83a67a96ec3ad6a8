/**
 * `vault-transit` (ours; Keycloak's Vault SPI holds secrets, not signing keys): the versions of a
 * transit key in a Vault the operator declared. Config: `backend` (a declared vault-transit back
 * end), `keyName`, and the fields every provider has; `algorithm` RS256, PS256, ES256, ML-DSA-44/65/87
 * or DILITHIUM3 (round 3: a `dilithium3` key of the QSIGN `oqs-transit` plugin, whose `ml-dsa-65`
 * keys sign ML-DSA-65 with a context, so they can be a composite's ML-DSA half; signer/vault/signer.ts). Every version of the key is a key of ours (kid `{keyName}-v{version}-{component id
 * prefix}`), its public key from `GET /v1/{mount}/keys/{name}` (Vault "Transit secrets engine (API)",
 * Read key): the latest signs (if the component is active), older versions down to
 * `min_decryption_version` verify (PASSIVE), older ones are DISABLED, trimmed ones are removed.
 */
import { KeyUnusableError } from '../../errors.ts';
import { z } from 'zod';
import type { SqlClient } from '../../store/sql.ts';
import type { SignerStatus } from '../../signer/signer.ts';
import type { Backends } from '../../signer/backends.ts';
import type { TransitKey } from '../../signer/vault/client.ts';
import { VAULT_ALGS, VaultTransitSigner, vaultPublicJwk } from '../../signer/vault/signer.ts';
import { listKeys, type KeyRecord } from '../repository.ts';
import {
  ComponentError,
  first,
  type KeyProviderSettings,
  type StoredComponent,
} from '../component-model.ts';
import { bumpRealmVersion, recordKeyEvent } from '../key-events.ts';
import { refusedBackendField } from './backend-fields.ts';
import { backendName, onDeclaredBackend, readFailure, upsertBackendKey } from './backend-keys.ts';
import { required, single } from './settings.ts';
import type { BackendRead, ExternalKeyProvider, RealmRef, SignerContext } from './types.ts';

/** Where a key version stands (recorded in backend_ref.role, so a change of state needs no read). */
export type VersionRole = 'latest' | 'verify' | 'old';

interface VaultRead extends BackendRead {
  providerId: 'vault-transit';
  mount: string;
  keyName: string;
  key: TransitKey;
}

/** The state of a key version: the component's own for the latest, PASSIVE or DISABLED for older ones. */
export function versionStatus(role: VersionRole, component: SignerStatus): SignerStatus {
  if (component === 'DISABLED' || role === 'old') return 'DISABLED';
  if (role === 'verify') return 'PASSIVE';
  return component;
}

/** The role of `version` in a transit key (Vault's latest_version, min_decryption_version). */
export const versionRole = (
  key: Pick<TransitKey, 'latestVersion' | 'minDecryptionVersion'>,
  version: number,
): VersionRole =>
  version === key.latestVersion ? 'latest' : version >= key.minDecryptionVersion ? 'verify' : 'old';

async function read(
  _db: SqlClient,
  backends: Backends,
  realm: RealmRef,
  component: Pick<StoredComponent, 'id' | 'providerId' | 'config'>,
  settings: KeyProviderSettings,
): Promise<VaultRead> {
  const name = backendName(component);
  const keyName = first(component.config, 'keyName')!;
  const { client, mount } = await onDeclaredBackend(async () => backends.vault(name, realm.name));
  let key: TransitKey;
  try {
    key = await client.readKey(mount, keyName);
  } catch (err) {
    throw new ComponentError(
      `Vault transit key ${keyName} of back end ${name} cannot be read: ${readFailure(err)}`,
      'keyName',
    );
  }
  if (!VAULT_ALGS[settings.alg]?.keyTypes.test(key.type))
    throw new ComponentError(
      `Vault key ${keyName} is of type ${key.type}, which cannot sign ${settings.alg}`,
      'algorithm',
    );
  return { providerId: 'vault-transit', componentId: component.id, mount, keyName, key };
}

/** Drops the rows of versions Vault no longer has (trimmed below min_available_version); true when any. */
async function removeTrimmed(
  db: SqlClient,
  realmId: string,
  componentId: string,
  trimmed: KeyRecord[],
  actor: string,
): Promise<boolean> {
  let changed = false;
  for (const gone of trimmed) {
    await db.query('DELETE FROM keys WHERE realm_id = $1 AND kid = $2 AND component_id = $3', [
      realmId,
      gone.kid,
      componentId,
    ]);
    await recordKeyEvent(db, realmId, {
      kid: gone.kid,
      alg: gone.alg,
      componentId,
      action: 'removed (trimmed in Vault)',
      actor,
    });
    changed = true;
  }
  return changed;
}

async function apply(
  db: SqlClient,
  realmId: string,
  component: StoredComponent,
  settings: KeyProviderSettings,
  found: BackendRead,
  actor: string,
): Promise<boolean> {
  const { key, keyName, mount } = found as VaultRead;
  const existing = (await listKeys(db, realmId)).filter((k) => k.componentId === component.id);
  let changed = false;
  const seen = new Set<string>();
  for (const [version, publicKey] of key.publicKeys) {
    if (version < key.minAvailableVersion) continue;
    const kid = `${keyName}-v${version}-${component.id.slice(0, 8)}`;
    seen.add(kid);
    const role = versionRole(key, version);
    const status = versionStatus(role, settings.status);
    const before = existing.find((k) => k.kid === kid);
    const ref = before?.backendRef as { role?: string; keyType?: string } | null | undefined;
    if (
      before &&
      before.status === status &&
      before.priority === settings.priority &&
      ref?.role === role &&
      ref?.keyType === key.type
    )
      continue;
    await upsertBackendKey(db, realmId, {
      kid,
      alg: settings.alg,
      providerId: 'vault-transit',
      priority: settings.priority,
      status,
      componentId: component.id,
      backend: 'vault-transit',
      backendRef: { mount, keyName, version, role, keyType: key.type },
      publicJwk: vaultPublicJwk(settings.alg, publicKey),
    });
    if (before?.status === status && before.priority === settings.priority) continue; // only the recorded role or key type was missing
    await recordKeyEvent(db, realmId, {
      kid,
      alg: settings.alg,
      componentId: component.id,
      action: before
        ? `set ${status} (Vault key version ${version})`
        : `found Vault key version ${version}: ${status}`,
      actor,
    });
    changed = true;
  }
  const trimmed = existing.filter((k) => !seen.has(k.kid));
  if (await removeTrimmed(db, realmId, component.id, trimmed, actor)) changed = true;
  if (changed) await bumpRealmVersion(db, realmId);
  return changed;
}

/**
 * A version keeps the role the last read recorded; rows recorded before roles were: the highest
 * version is the latest, the others verify until the next read.
 */
function restate(
  rows: KeyRecord[],
  settings: KeyProviderSettings,
): { kid: string; status: SignerStatus }[] {
  const latest = Math.max(
    ...rows.map((k) => Number((k.backendRef as { version?: number } | null)?.version ?? 0)),
  );
  return rows.map((row) => {
    const ref = row.backendRef as { role?: VersionRole; version?: number } | null;
    return {
      kid: row.kid,
      status: versionStatus(
        ref?.role ?? (ref?.version === latest ? 'latest' : 'verify'),
        settings.status,
      ),
    };
  });
}

/** Signs on the declared back end the component names, with its mount (never the mount a row recorded). */
function signer(record: KeyRecord, component: StoredComponent, context: SignerContext) {
  if (!context.backends)
    throw new KeyUnusableError(`key ${record.kid}: no back ends available to build its signer`);
  const name = backendName(component);
  const ref = record.backendRef as { keyName: string; version: number; keyType?: string };
  const { client, mount } = context.backends.backends.vault(name, context.backends.realm);
  return new VaultTransitSigner({
    client,
    mount,
    keyName: ref.keyName,
    version: ref.version,
    alg: record.alg,
    kid: record.kid,
    publicJwk: record.publicJwk!,
    keyType: ref.keyType,
  });
}

export const vaultTransit: ExternalKeyProvider = {
  kind: 'external',
  id: 'vault-transit',
  fallbackAlg: 'ML-DSA-65',
  algorithms: /^(RS256|PS256|ES256|ML-DSA-(44|65|87)|DILITHIUM3)$/,
  schema: z.looseObject({
    backend: single(
      (v) => v.length > 0,
      () => 'config.backend must be one back-end name',
    ),
    keyName: required('config.keyName is required for provider vault-transit'),
  }),
  identityFields: ['keyName'],
  validate(config) {
    const refused = refusedBackendField('vault-transit', config);
    if (refused) throw new ComponentError(refused.reason, refused.field);
    if (config.backend && config.backend.length !== 1)
      throw new ComponentError('config.backend must be one back-end name', 'backend');
  },
  read,
  apply,
  restate,
  signer,
};

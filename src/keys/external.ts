/**
 * Keys held by a back end, mirrored into the `keys` table so the realm can publish and select
 * them like local keys. `vault-transit`: every version of the transit key is a key of ours
 * (kid `{keyName}-v{version}-{component id prefix}`), the latest signs (if the component is
 * active), older versions down to `min_decryption_version` verify (PASSIVE), older ones are
 * DISABLED, trimmed ones are removed. Synchronised when the component is created or changed and
 * by the scheduler, so a rotation in Vault is picked up without a restart. `pkcs11`: see
 * syncPkcs11Key.
 */
import type { SqlClient } from '../store/sql.ts';
import type { SignerStatus } from '../signer/signer.ts';
import { backends } from '../signer/backends.ts';
import { VAULT_ALGS, vaultPublicJwk } from '../signer/vault/signer.ts';
import { SeedWrappedSigner, tokenPublicJwk } from '../signer/pkcs11/signer.ts';
import { COMPOSITE_MEMBERS, compositePublicJwk } from '../jose/composite.ts';
import { listKeys, upsertExternalKey } from './repository.ts';
import { ComponentError, KEY_PROVIDER_TYPE, bumpRealmVersion, first, keyProviderSettings, recordKeyEvent, type StoredComponent, type KeyProviderSettings } from './providers.ts';

export const EXTERNAL_PROVIDERS = new Set(['vault-transit', 'pkcs11', 'composite']);

/**
 * Brings the component's key rows in line with the back end. Returns true when anything changed.
 * @throws ComponentError when the back end cannot be read or does not hold a fitting key.
 */
export async function syncExternalKeys(db: SqlClient, realmId: string, component: StoredComponent, settings: KeyProviderSettings, actor: string): Promise<boolean> {
  if (component.providerId === 'pkcs11') return syncPkcs11Key(db, realmId, component, settings, actor);
  if (component.providerId === 'composite') return syncCompositeKey(db, realmId, component, settings, actor);
  const config = component.config;
  const mount = first(config, 'mount') ?? 'transit';
  const keyName = first(config, 'keyName');
  if (!keyName) throw new ComponentError('config.keyName is required for provider vault-transit', 'keyName');
  let key;
  try {
    key = await backends.vault(config).readKey(mount, keyName);
  } catch (err) {
    throw new ComponentError(`Vault transit key ${mount}/${keyName} cannot be read: ${(err as Error).message}`, 'keyName');
  }
  if (!VAULT_ALGS[settings.alg]?.keyTypes.test(key.type)) throw new ComponentError(`Vault key ${mount}/${keyName} is of type ${key.type}, which cannot sign ${settings.alg}`, 'algorithm');
  const existing = (await listKeys(db, realmId)).filter((k) => k.componentId === component.id);
  let changed = false;
  const seen = new Set<string>();
  for (const [version, publicKey] of key.publicKeys) {
    if (version < key.minAvailableVersion) continue;
    const kid = `${keyName}-v${version}-${component.id.slice(0, 8)}`;
    seen.add(kid);
    let status: SignerStatus = version === key.latestVersion ? settings.status : version >= key.minDecryptionVersion ? 'PASSIVE' : 'DISABLED';
    if (settings.status === 'DISABLED') status = 'DISABLED';
    if (settings.status === 'PASSIVE' && status === 'ACTIVE') status = 'PASSIVE';
    const before = existing.find((k) => k.kid === kid);
    if (before && before.status === status && before.priority === settings.priority) continue;
    await upsertExternalKey(db, realmId, {
      kid, alg: settings.alg, providerId: 'vault-transit', priority: settings.priority, status, componentId: component.id,
      backend: 'vault-transit', backendRef: { mount, keyName, version }, publicJwk: vaultPublicJwk(settings.alg, publicKey),
    });
    await recordKeyEvent(db, realmId, { kid, alg: settings.alg, componentId: component.id, action: before ? `set ${status} (Vault key version ${version})` : `found Vault key version ${version}: ${status}`, actor });
    changed = true;
  }
  for (const gone of existing.filter((k) => !seen.has(k.kid))) {
    await db.query('DELETE FROM keys WHERE kid = $1', [gone.kid]);
    await recordKeyEvent(db, realmId, { kid: gone.kid, alg: gone.alg, componentId: component.id, action: 'removed (trimmed in Vault)', actor });
    changed = true;
  }
  if (changed) await bumpRealmVersion(db, realmId);
  return changed;
}

/**
 * Synchronises every back-end key provider of every realm (the scheduler calls this). A back end
 * that cannot be read keeps its keys as they were; the failure is returned, not thrown.
 */
export async function syncAllExternalKeys(db: SqlClient): Promise<{ changed: string[]; failures: { realm: string; component: string; reason: string }[] }> {
  const rows = await db.query<{ realm: string; realm_id: string; id: string; name: string; provider_id: string; provider_type: string; parent_id: string; config: Record<string, string[]> }>(
    `SELECT r.name AS realm, c.realm_id, c.id, c.name, c.provider_id, c.provider_type, c.parent_id, c.config
     FROM components c JOIN realms r ON r.id = c.realm_id WHERE c.provider_type = $1 AND c.provider_id = ANY($2)`,
    [KEY_PROVIDER_TYPE, [...EXTERNAL_PROVIDERS]],
  );
  const changed = new Set<string>();
  const failures: { realm: string; component: string; reason: string }[] = [];
  for (const row of rows) {
    const component: StoredComponent = { id: row.id, name: row.name, providerId: row.provider_id, providerType: row.provider_type, parentId: row.parent_id, config: row.config };
    try {
      const settings = keyProviderSettings(row.provider_id, row.config);
      if (await db.transaction((tx) => syncExternalKeys(tx, row.realm_id, component, settings, 'scheduler'))) changed.add(row.realm);
    } catch (err) {
      failures.push({ realm: row.realm, component: row.name, reason: (err as Error).message });
    }
  }
  return { changed: [...changed], failures };
}

/**
 * Whether this key material is or was published in a JWKS: any key row of any realm with the same
 * public key (RSA `n`, EC `x`/`y`, AKP `pub`, OQS `x`), so also when the same HSM or Vault key is
 * registered again under another provider, that is not DISABLED or was ever ACTIVE or PASSIVE
 * (its key lifecycle events).
 */
async function everPublished(db: SqlClient, kid: string): Promise<boolean> {
  const rows = await db.query(
    `WITH material AS (SELECT concat(public_jwk->>'n', public_jwk->>'x', public_jwk->>'y', public_jwk->>'pub') AS m FROM keys WHERE kid = $1)
     SELECT 1 FROM keys k, material WHERE concat(k.public_jwk->>'n', k.public_jwk->>'x', k.public_jwk->>'y', k.public_jwk->>'pub') = material.m AND material.m <> ''
       AND (k.status <> 'DISABLED' OR EXISTS (SELECT 1 FROM key_events e WHERE e.realm_id = k.realm_id AND e.kid = k.kid AND e.action ~ '\\m(ACTIVE|PASSIVE)\\M'))
     LIMIT 1`,
    [kid],
  );
  return rows.length > 0;
}

/**
 * `pkcs11`: one key per component, kid `pkcs11-{CKA_ID}-{component id prefix}`, its public key read
 * from the token (or, seed-wrapped, derived once by unwrapping the seed in the HSM) when the key is
 * new (`keyId` and `wrappedSeed` cannot change afterwards, see updateKeyProvider).
 */
async function syncPkcs11Key(db: SqlClient, realmId: string, component: StoredComponent, settings: KeyProviderSettings, actor: string): Promise<boolean> {
  const config = component.config;
  const keyId = first(config, 'keyId');
  if (!keyId || !/^[0-9a-fA-F]+$/.test(keyId)) throw new ComponentError('config.keyId (the CKA_ID, hex) is required for provider pkcs11', 'keyId');
  const kid = `pkcs11-${keyId.slice(0, 16)}-${component.id.slice(0, 8)}`;
  const wrappedSeed = first(config, 'wrappedSeed');
  const existing = (await listKeys(db, realmId)).find((k) => k.kid === kid);
  let publicJwk = existing?.publicJwk ?? undefined;
  if (!publicJwk) {
    try {
      const pool = backends.pkcs11(config);
      if (wrappedSeed) {
        const signer = new SeedWrappedSigner({ pool, keyId, alg: settings.alg, kid, wrappedSeed: Buffer.from(wrappedSeed, 'base64') });
        publicJwk = (await signer.load()).publicJwk!;
      } else {
        publicJwk = await tokenPublicJwk(pool, keyId, settings.alg);
      }
    } catch (err) {
      if (err instanceof ComponentError) throw err; // a config error (e.g. config.sessions) names its own field
      throw new ComponentError(`PKCS#11 key ${keyId} cannot be read: ${(err as Error).message}`, 'keyId');
    }
  }
  if (existing && existing.status === settings.status && existing.priority === settings.priority) return false;
  await upsertExternalKey(db, realmId, {
    kid, alg: settings.alg, providerId: 'pkcs11', priority: settings.priority, status: settings.status, componentId: component.id,
    backend: 'pkcs11', backendRef: { keyId, mode: wrappedSeed ? 'seed-wrapped' : 'native' }, publicJwk,
  });
  await recordKeyEvent(db, realmId, { kid, alg: settings.alg, componentId: component.id, action: existing ? `set ${settings.status}` : `found PKCS#11 key ${keyId}: ${settings.status}`, actor });
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
      if (await everPublished(db, member.kid)) {
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

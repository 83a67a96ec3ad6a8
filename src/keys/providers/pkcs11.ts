/**
 * `pkcs11` (ours): a key on a PKCS#11 token the operator declared. Config: `backend` (a declared
 * pkcs11 back end), `keyId` (the key's CKA_ID, hex), `wrappedSeed` (seed-wrapped ML-DSA only: the
 * seed encrypted by the token's AES key, base64, as `keys create` writes it), and the fields every
 * provider has; `algorithm` RS256, PS256, ES256, ML-DSA-44/65/87 (FIPS 204; round-3 DILITHIUM3 has no PKCS#11 mechanism). One key per
 * component, kid `pkcs11-{CKA_ID}-{component id prefix}`; its public key is read from the token
 * (or, seed-wrapped, derived once by unwrapping the seed in the HSM) when the key is new.
 */
import { KeyUnusableError } from '../../errors.ts';
import { z } from 'zod';
import type { JWK } from 'jose';
import type { SqlClient } from '../../store/sql.ts';
import type { Backends } from '../../signer/backends.ts';
import { Pkcs11Signer, SeedWrappedSigner, tokenPublicJwk } from '../../signer/pkcs11/signer.ts';
import { listKeys, type KeyRecord } from '../repository.ts';
import {
  ComponentError,
  first,
  type KeyProviderSettings,
  type StoredComponent,
} from '../component-model.ts';
import { bumpRealmVersion, recordKeyEvent } from '../key-events.ts';
import { refusedBackendField } from './backend-fields.ts';
import { backendName, onDeclaredBackend, restateAll, upsertBackendKey } from './backend-keys.ts';
import { single } from './settings.ts';
import type { BackendRead, ExternalKeyProvider, RealmRef, SignerContext } from './types.ts';

interface Pkcs11Read extends BackendRead {
  providerId: 'pkcs11';
  keyId: string;
  kid: string;
  mode: 'native' | 'seed-wrapped';
  publicJwk: JWK;
}

export const pkcs11Kid = (keyId: string, componentId: string) =>
  `pkcs11-${keyId.slice(0, 16)}-${componentId.slice(0, 8)}`;

/** The token's public key for the component, read only when the realm has no row for it yet. */
async function read(
  db: SqlClient,
  backends: Backends,
  realm: RealmRef,
  component: Pick<StoredComponent, 'id' | 'providerId' | 'config'>,
  settings: KeyProviderSettings,
): Promise<Pkcs11Read> {
  const name = backendName(component);
  const keyId = first(component.config, 'keyId')!;
  const wrappedSeed = first(component.config, 'wrappedSeed');
  const mode = wrappedSeed ? ('seed-wrapped' as const) : ('native' as const);
  const kid = pkcs11Kid(keyId, component.id);
  // The realm is checked even when the public key is known: the declaration may have changed.
  const pool = await onDeclaredBackend(async () => backends.pkcs11(name, realm.name));
  const existing =
    realm.id === undefined
      ? undefined
      : (await listKeys(db, realm.id)).find((k) => k.kid === kid && k.componentId === component.id);
  if (existing?.publicJwk)
    return {
      providerId: 'pkcs11',
      componentId: component.id,
      keyId,
      kid,
      mode,
      publicJwk: existing.publicJwk,
    };
  let publicJwk: JWK;
  try {
    publicJwk = wrappedSeed
      ? (
          await new SeedWrappedSigner({
            pool,
            keyId,
            alg: settings.alg,
            kid,
            wrappedSeed: Buffer.from(wrappedSeed, 'base64'),
          }).load()
        ).publicJwk!
      : await tokenPublicJwk(pool, keyId, settings.alg);
  } catch (err) {
    throw new ComponentError(
      `PKCS#11 key ${keyId} of back end ${name} cannot be read: ${(err as Error).message.split('\n')[0]}`,
      'keyId',
    );
  }
  return { providerId: 'pkcs11', componentId: component.id, keyId, kid, mode, publicJwk };
}

async function apply(
  db: SqlClient,
  realmId: string,
  component: StoredComponent,
  settings: KeyProviderSettings,
  found: BackendRead,
  actor: string,
): Promise<boolean> {
  const { kid, keyId, mode, publicJwk } = found as Pkcs11Read;
  const existing = (await listKeys(db, realmId)).find(
    (k) => k.kid === kid && k.componentId === component.id,
  );
  if (existing && existing.status === settings.status && existing.priority === settings.priority)
    return false;
  await upsertBackendKey(db, realmId, {
    kid,
    alg: settings.alg,
    providerId: 'pkcs11',
    priority: settings.priority,
    status: settings.status,
    componentId: component.id,
    backend: 'pkcs11',
    backendRef: { keyId, mode },
    publicJwk: existing?.publicJwk ?? publicJwk,
  });
  await recordKeyEvent(db, realmId, {
    kid,
    alg: settings.alg,
    componentId: component.id,
    action: existing ? `set ${settings.status}` : `found PKCS#11 key ${keyId}: ${settings.status}`,
    actor,
  });
  await bumpRealmVersion(db, realmId);
  return true;
}

/** Signs on the token of the declared back end the component names. */
function signer(record: KeyRecord, component: StoredComponent, context: SignerContext) {
  if (!context.backends)
    throw new KeyUnusableError(`key ${record.kid}: no back ends available to build its signer`);
  const ref = record.backendRef as { keyId: string; mode: 'native' | 'seed-wrapped' };
  const pool = context.backends.backends.pkcs11(backendName(component), context.backends.realm);
  const wrappedSeed = first(component.config, 'wrappedSeed');
  const options = {
    pool,
    keyId: ref.keyId,
    alg: record.alg,
    kid: record.kid,
    publicJwk: record.publicJwk!,
  };
  return ref.mode === 'seed-wrapped' && wrappedSeed
    ? new SeedWrappedSigner({
        ...options,
        wrappedSeed: Buffer.from(wrappedSeed, 'base64'),
        threads: context.threads,
      })
    : new Pkcs11Signer(options);
}

export const pkcs11: ExternalKeyProvider = {
  kind: 'external',
  id: 'pkcs11',
  fallbackAlg: 'RS256',
  algorithms: /^(RS256|PS256|ES256|ML-DSA-(44|65|87))$/,
  schema: z.looseObject({
    backend: single(
      (v) => v.length > 0,
      () => 'config.backend must be one back-end name',
    ),
    keyId: z
      .array(z.string(), {
        error: 'config.keyId (the CKA_ID, hex) is required for provider pkcs11',
      })
      .refine(
        (list) => /^[0-9a-fA-F]+$/.test(list[0] ?? ''),
        'config.keyId (the CKA_ID, hex) is required for provider pkcs11',
      ),
  }),
  identityFields: ['keyId', 'wrappedSeed'],
  validate(config) {
    const refused = refusedBackendField('pkcs11', config);
    if (refused) throw new ComponentError(refused.reason, refused.field);
    if (config.backend && config.backend.length !== 1)
      throw new ComponentError('config.backend must be one back-end name', 'backend');
  },
  read,
  apply,
  restate: restateAll,
  signer,
};

/**
 * A realm's key set as the request path sees it: signers per alg in Keycloak's selection order
 * (status ACTIVE, then highest priority, then newest), the public JWKS (ACTIVE and PASSIVE keys,
 * never DISABLED ones, never symmetric keys; with the realm's RSA encryption keys, `use` "enc", as
 * Keycloak's /certs lists them), and lookup by kid for verification. Encryption keys are never
 * signers: they are read apart (listKeys(..., 'enc')) and only their public JWK is kept.
 */
import type { JWK } from 'jose';
import type { SqlClient } from '../store/sql.ts';
import type { Signer } from '../signer/signer.ts';
import { signerFor } from './signers.ts';
import type { Backends } from '../signer/backends.ts';
import type { SigningThreads } from '../jose/ml-dsa-threads.ts';
import type { Metrics } from '../metrics.ts';
import { readNewKeyProvider } from './external.ts';
import { UnavailableSigner } from '../signer/unavailable.ts';
import { DEFAULT_REALM_KEY_ALGS, providerIdFor } from './generate.ts';
import { createKeyProvider, findComponents } from './providers.ts';
import type { KeySpec } from './components.ts';
import { isSupportedAlg } from '../jose/algorithms.ts';
import { listKeys, recordPublicJwk, type KeyRecord } from './repository.ts';
import type { StoredComponent } from './component-model.ts';
import { certificateFields, type CertificateFields } from './keycloak-material.ts';

export interface RealmKey {
  record: Omit<KeyRecord, 'privateKey'>;
  signer: Signer;
  /** The certificate of an imported key (`x5c`, `x5t#S256`), published with its JWK as Keycloak's JWKBuilder does. */
  certificate?: CertificateFields;
}

/** What the signers of a realm's keys are made with, from the composition root (services.ts); each absent one is left out. */
export interface KeyServices {
  /** The back ends the realm's back-end keys sign on (absent: those keys are unavailable). */
  backends?: Backends;
  /** ML-DSA signing threads (absent: signing on the calling thread). */
  threads?: SigningThreads;
  /** Where signatures are counted (absent: not metered). */
  metrics?: Metrics;
}

export class RealmKeys {
  readonly keys: RealmKey[];
  /** Public JWKs (`use` "enc") of the realm's enabled RSA encryption keys; published, never signing. */
  readonly encryption: JWK[];

  constructor(keys: RealmKey[], encryption: JWK[] = []) {
    this.keys = keys;
    this.encryption = encryption;
  }

  /** The key that signs `alg` now, or undefined when the realm has no active key for it. */
  activeFor(alg: string): Signer | undefined {
    return this.keys.find((k) => k.record.status === 'ACTIVE' && k.signer.alg === alg)?.signer;
  }

  /** Algorithms the realm can sign with now (those with an ACTIVE key). */
  activeAlgs(): string[] {
    return [
      ...new Set(this.keys.filter((k) => k.record.status === 'ACTIVE').map((k) => k.signer.alg)),
    ];
  }

  /** Any enabled (ACTIVE or PASSIVE) key by kid, for verification. */
  byKid(kid: string): Signer | undefined {
    return this.keys.find((k) => k.record.kid === kid && k.record.status !== 'DISABLED')?.signer;
  }

  /** RFC 7517 JWK Set of the realm's enabled asymmetric keys: signing keys, then encryption keys. */
  jwks(): { keys: JWK[] } {
    return {
      keys: [
        ...this.keys
          .filter((k) => k.record.status !== 'DISABLED')
          .map((k) => {
            const jwk = k.signer.publicJwk();
            return jwk && k.certificate ? { ...jwk, ...k.certificate } : jwk;
          })
          .filter((jwk): jwk is JWK => jwk !== undefined),
        ...this.encryption,
      ],
    };
  }
}

/** Algorithms a new realm gets keys for: its key provider components, the defaults, and its default alg. */
export function plannedKeyAlgs(
  specs: KeySpec[],
  defaultSignatureAlgorithm: string,
): { alg: string; spec?: KeySpec }[] {
  const planned: { alg: string; spec?: KeySpec }[] = specs.map((spec) => ({ alg: spec.alg, spec }));
  for (const alg of [...DEFAULT_REALM_KEY_ALGS, defaultSignatureAlgorithm]) {
    if (
      isSupportedAlg(alg) &&
      !specs.some((s) => s.alg === alg && s.status === 'ACTIVE') &&
      !planned.some((p) => p.alg === alg && !p.spec)
    )
      planned.push({ alg });
  }
  return planned;
}

/**
 * For a realm being imported (realm/import.ts, before its transaction): reads the back end of each
 * back-end key provider spec (Vault, PKCS#11), outside any transaction, and attaches what it read
 * (`spec.read`) for createRealmKeys. Nothing is contacted for a spec that names no back end the
 * realm may use.
 * @throws ComponentError (400) naming the field, as for the admin API.
 */
export async function readRealmKeyBackends(
  db: SqlClient,
  backends: Backends,
  realmName: string,
  specs: KeySpec[],
): Promise<KeySpec[]> {
  const out: KeySpec[] = [];
  for (const spec of specs)
    out.push({
      ...spec,
      read: await readNewKeyProvider(
        db,
        backends,
        { name: realmName },
        { providerId: spec.providerId, config: spec.config },
      ),
    });
  return out;
}

/**
 * Creates a new realm's key providers and keys (plannedKeyAlgs), one component each (back-end
 * ones from what readRealmKeyBackends read). A realm that already has keys is left alone, so a
 * restart keeps its keys and kids.
 */
export async function createRealmKeys(
  db: SqlClient,
  kek: Buffer,
  realmId: string,
  specs: KeySpec[],
  defaultSignatureAlgorithm: string,
): Promise<void> {
  if ((await listKeys(db, realmId)).length) return;
  for (const { alg, spec } of plannedKeyAlgs(specs, defaultSignatureAlgorithm)) {
    await createKeyProvider(
      db,
      kek,
      realmId,
      {
        name: spec?.name ?? `${providerIdFor(alg)}-${alg.toLowerCase()}`,
        providerId: spec?.providerId ?? providerIdFor(alg),
        config: spec?.config ?? { priority: ['100'], algorithm: [alg] },
      },
      'import',
      spec?.read,
    );
  }
}

/**
 * The records to load, in the order the realm uses them (ACTIVE, PASSIVE, DISABLED; then higher
 * priority, then newer): all but the DISABLED ones that no ACTIVE composite is made of.
 */
function loadedRecords(stored: KeyRecord[]): KeyRecord[] {
  // Members of the composites that sign (a PASSIVE composite verifies with its public key alone).
  const members = new Set(
    stored.flatMap((r) =>
      r.backend === 'composite' && r.status === 'ACTIVE'
        ? ((r.backendRef as { members?: string[] } | null)?.members ?? [])
        : [],
    ),
  );
  const records = stored.filter((r) => r.status !== 'DISABLED' || members.has(r.kid));
  const order = { ACTIVE: 0, PASSIVE: 1, DISABLED: 2 } as const;
  records.sort(
    (a, b) =>
      order[a.status] - order[b.status] ||
      b.priority - a.priority ||
      b.createdAt.getTime() - a.createdAt.getTime(),
  );
  return records;
}

/**
 * Loads the realm's keys as Signers. DISABLED keys are left out (they neither sign, verify nor
 * appear in the JWKS) unless an ACTIVE composite is made of them. A key whose signer cannot be
 * built is reported to `onKeyError` and loaded as an UnavailableSigner, so the realm's other keys
 * serve on: also a local key that cannot be decrypted (KeyDecryptionError: a tampered record; a
 * wrong KEY_ENCRYPTION_KEY is refused before, when the process opens the store, keys/kek-check.ts):
 * its alg answers 503 and readiness names it, instead of the whole realm failing with a 500. So
 * does a back-end key whose back end the realm may not use (`backends`, the operator's
 * declaration) or whose component carries its back end inline (stored before back ends were declared).
 * @throws StoreUnavailableError when the store cannot be read.
 */
export async function loadRealmKeys(
  db: SqlClient,
  kek: Buffer,
  realmId: string,
  onKeyError: (kid: string, err: unknown) => void = () => undefined,
  services: KeyServices = {},
): Promise<RealmKeys> {
  const { backends, threads, metrics } = services;
  const stored = await listKeys(db, realmId);
  const [realm] = await db.query<{ name: string }>('SELECT name FROM realms WHERE id = $1', [
    realmId,
  ]);
  const realmBackends = backends && realm ? { backends, realm: realm.name } : undefined;
  const components = new Map((await findComponents(db, realmId)).map((c) => [c.id, c]));
  const records = loadedRecords(stored);
  const signers = new Map<string, Signer>();
  const build = (record: KeyRecord): Signer => {
    // A PASSIVE composite verifies with its public key alone; its members are not loaded.
    if (record.backend === 'composite' && record.status === 'PASSIVE')
      return new UnavailableSigner(
        record,
        new Error(`composite key ${record.kid} is passive: it verifies, it does not sign`),
      );
    try {
      return signerFor(record, {
        kek,
        components,
        byKid: (kid) => signers.get(kid),
        backends: realmBackends,
        threads,
        metrics,
      });
    } catch (err) {
      onKeyError(record.kid, err);
      return new UnavailableSigner(record, err);
    }
  };
  // Composites are made of the realm's other keys: build those first.
  for (const record of records.filter((r) => r.backend !== 'composite'))
    signers.set(record.kid, build(record));
  for (const record of records.filter((r) => r.backend === 'composite'))
    signers.set(record.kid, build(record));
  // Local keys stored before public JWKs were recorded: record theirs now that they are open.
  // Best effort: a write that fails (a read-only standby) is tried again at the next load.
  for (const record of records.filter((r) => r.backend === 'local' && !r.publicJwk)) {
    const jwk = signers.get(record.kid)!.publicJwk();
    if (jwk) await recordPublicJwk(db, realmId, record.kid, jwk).catch(() => undefined);
  }
  const keys = records.map(({ privateKey: _sealed, ...record }) => ({
    record,
    signer: signers.get(record.kid)!,
    ...certificateOf(record, signers.get(record.kid)!.publicJwk(), components),
  }));
  return new RealmKeys(keys, await encryptionJwks(db, realmId, components));
}

/**
 * The public JWKs of the realm's enabled encryption keys with a public half (RSA; an AES key has
 * none and is never published), with their certificate as Keycloak's JWKBuilder.rsa(key, certs,
 * KeyUse.ENC) gives them. Nothing here is opened: the public JWK was recorded at creation.
 */
async function encryptionJwks(
  db: SqlClient,
  realmId: string,
  components: Map<string, StoredComponent>,
): Promise<JWK[]> {
  const order = { ACTIVE: 0, PASSIVE: 1, DISABLED: 2 } as const;
  const records = (await listKeys(db, realmId, 'enc')).filter(
    (r) => r.status !== 'DISABLED' && r.publicJwk?.kty === 'RSA',
  );
  records.sort(
    (a, b) =>
      order[a.status] - order[b.status] ||
      b.priority - a.priority ||
      b.createdAt.getTime() - a.createdAt.getTime(),
  );
  return records.map((r) => ({
    ...r.publicJwk!,
    ...certificateOf(r, r.publicJwk!, components).certificate,
  }));
}

/**
 * The certificate a local RSA key's component carries (Keycloak's `certificate` config), as JWK
 * fields (Keycloak's JWKBuilder.rsa sets `x5c`; JWK.getSha256x509Thumbprint derives `x5t#S256`
 * from it). None for a certificate that does not parse or match (it was checked when stored).
 */
function certificateOf(
  record: Omit<KeyRecord, 'privateKey'>,
  jwk: JWK | undefined,
  components: Map<string, StoredComponent>,
): { certificate?: CertificateFields } {
  const text =
    record.backend === 'local'
      ? components.get(record.componentId)?.config.certificate?.[0]
      : undefined;
  if (!text || jwk?.kty !== 'RSA') return {};
  try {
    return { certificate: certificateFields(text, jwk) };
  } catch {
    return {};
  }
}

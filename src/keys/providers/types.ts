/**
 * The shape of a key provider (Keycloak's `KeyProviderFactory`: one per provider id, keys/providers/
 * registry.ts maps ids to them). Each provider module has its config schema (zod, over Keycloak's
 * string-array config), its validation, and either the making of a local key or, for a key held
 * elsewhere (Vault transit, a PKCS#11 token, a composite of two keys), reading it (outside any
 * transaction), recording it (inside one) and building its signer. Adding a provider touches its
 * module and the registry.
 */
import type { z } from 'zod';
import type { SqlClient } from '../../store/sql.ts';
import type { Signer, SignerStatus } from '../../signer/signer.ts';
import type { Backends } from '../../signer/backends.ts';
import type { SigningThreads } from '../../jose/ml-dsa-threads.ts';
import type { Metrics } from '../../metrics.ts';
import type { KeyRecord, LocalKeyMaterial } from '../repository.ts';
import type { ComponentConfig, KeyProviderSettings, StoredComponent } from '../component-model.ts';

/** What every key provider has. */
interface ProviderBase {
  /** Keycloak's `providerId`, e.g. "rsa-generated". */
  readonly id: string;
  /** The alg when the config names none (Keycloak's default for the provider). */
  readonly fallbackAlg: string;
  /** The algs the provider can hold keys for. */
  readonly algorithms: RegExp;
  /**
   * "enc" for an encryption key provider (Keycloak's KeyUse.ENC: rsa-enc-generated, rsa-enc,
   * aes-generated): its algs are JWE key-management algs, not the JWS registry's, and its keys
   * never sign. Absent: a signing key provider.
   */
  readonly use?: 'enc';
  /**
   * The provider's own config fields (zod over the string-array config; fields every provider has,
   * `priority`, `enabled`, `active`, `algorithm`, are checked by keys/providers/settings.ts). An
   * issue becomes a ComponentError naming its field, with the message.
   */
  readonly schema: z.ZodType;
  /** Config fields that pick the key material: fixed once the provider exists (another key under the same kid would break JWKS caches). */
  readonly identityFields: readonly string[];
  /** The alg implied by other config when `algorithm` is absent (ecdsa-generated's curve). */
  impliedAlg?(config: ComponentConfig): string | undefined;
  /** Checks before the schema (a back-end provider's refused fields). @throws ComponentError naming the field. */
  validate?(config: ComponentConfig): void;
}

/** A provider whose key is made here and sealed in the database (`keys.backend` "local"). */
export interface LocalKeyProvider extends ProviderBase {
  readonly kind: 'local';
  /** Config fields never stored nor returned by the admin API (an imported private key). */
  readonly secretFields: readonly string[];
  /** Makes (or, for `rsa`, imports) the key. @throws ComponentError for unusable key material. */
  createKey(settings: KeyProviderSettings): Promise<LocalKeyMaterial>;
}

/** The realm a key provider belongs to: its id (absent for a realm being imported: no rows yet) and name (declarations list names). */
export interface RealmRef {
  id?: string;
  name: string;
}

/** What a provider's back end holds for one component, read outside any transaction (the provider's own shape). */
export interface BackendRead {
  providerId: string;
  componentId: string;
}

/** How a stored key's signer is made: the sealing key, the realm's components and signers, its back ends. */
export interface SignerContext {
  kek: Buffer;
  components: Map<string, StoredComponent>;
  /** The realm's other signers (composite members). */
  byKid: (kid: string) => Signer | undefined;
  /** The back ends the realm may use; absent where no back-end key is to be built (admin key listing). */
  backends?: { backends: Backends; realm: string };
  /** The process's ML-DSA signing threads (services.ts); absent: ML-DSA signs on the calling thread. */
  threads?: SigningThreads;
  /** Where signatures are counted and timed (signer/metered.ts); absent: not metered. */
  metrics?: Metrics;
}

/** A provider whose keys are held elsewhere (`keys.backend` = its id): Vault transit, PKCS#11, composite. */
export interface ExternalKeyProvider extends ProviderBase {
  readonly kind: 'external';
  /**
   * Reads what the back end holds for the component, outside any transaction.
   * @throws ComponentError (400) when the component names no back end the realm may use, the key cannot be read or does not fit.
   */
  read(
    db: SqlClient,
    backends: Backends,
    realm: RealmRef,
    component: Pick<StoredComponent, 'id' | 'providerId' | 'config'>,
    settings: KeyProviderSettings,
  ): Promise<BackendRead>;
  /** Brings the component's key rows in line with `read`, inside the caller's transaction; true when anything changed. */
  apply(
    db: SqlClient,
    realmId: string,
    component: StoredComponent,
    settings: KeyProviderSettings,
    read: BackendRead,
    actor: string,
  ): Promise<boolean>;
  /** The state each of the component's keys takes for new settings, without asking the back end. */
  restate(
    rows: KeyRecord[],
    settings: KeyProviderSettings,
  ): { kid: string; status: SignerStatus }[];
  /** The signer of a stored key of this provider. @throws Error when it cannot be built here (fails closed for its alg). */
  signer(record: KeyRecord, component: StoredComponent, context: SignerContext): Signer;
}

export type KeyProviderFactory = LocalKeyProvider | ExternalKeyProvider;

/**
 * The Signer for a key record, by back end: `local` (private key sealed in the store),
 * `vault-transit` (a Vault key version), `pkcs11` (a key on a token, or a seed-wrapped ML-DSA key).
 */
import type { Signer } from './signer.ts';
import { LocalSigner } from './local.ts';
import { VaultTransitSigner } from './vault/signer.ts';
import type { Backends } from './backends.ts';
import { signingErrors, signingSeconds } from '../metrics.ts';
import { CompositeSigner } from './composite.ts';
import { Pkcs11Signer, SeedWrappedSigner } from './pkcs11/signer.ts';
import { openPrivateKey } from '../keys/encryption.ts';
import type { KeyRecord } from '../keys/repository.ts';
import type { StoredComponent } from '../keys/providers.ts';
import { legacyBackendError } from '../keys/backend-components.ts';

/** The back ends a realm's signers may use: the process's Backends and the realm's name. */
export interface RealmBackends { backends: Backends; realm: string }

/** Counts and times every signature (Prometheus `qsign_signing_seconds`, `qsign_signing_errors_total`). */
class MeteredSigner implements Signer {
  readonly #inner: Signer;
  // The labelled children, resolved once (no label hashing per signature).
  readonly #seconds;
  readonly #errors;

  constructor(inner: Signer) {
    this.#inner = inner;
    this.#seconds = signingSeconds.labels(inner.backend, inner.alg);
    this.#errors = signingErrors.labels(inner.backend, inner.alg);
    this.#signWithContext = inner.signWithContext?.bind(inner);
  }

  get alg() { return this.#inner.alg; }
  get kid() { return this.#inner.kid; }
  get backend() { return this.#inner.backend; }
  get backendId() { return this.#inner.backendId; }
  publicJwk() { return this.#inner.publicJwk(); }

  get signWithContext() {
    return this.#signWithContext;
  }

  /** The inner signer's context signing, bound once (undefined when the back end has none). */
  readonly #signWithContext: Signer['signWithContext'];

  async sign(input: Uint8Array): Promise<Uint8Array> {
    const end = this.#seconds.startTimer();
    try {
      return await this.#inner.sign(input);
    } catch (err) {
      this.#errors.inc();
      throw err;
    } finally {
      end();
    }
  }
}

const metered = (signer: Signer): Signer => new MeteredSigner(signer);

/**
 * @param backends the back ends the realm may use; without them a back-end key cannot be built.
 * @throws KeyDecryptionError (wrong KEK), Error for a key whose back end or component is gone or
 *   not declared for the realm, or whose component carries its back end inline (legacy).
 */
export function signerFor(record: KeyRecord, kek: Buffer, components: Map<string, StoredComponent>, byKid: (kid: string) => Signer | undefined = () => undefined, backends?: RealmBackends): Signer {
  return metered(unmeteredSignerFor(record, kek, components, byKid, backends));
}

function unmeteredSignerFor(record: KeyRecord, kek: Buffer, components: Map<string, StoredComponent>, byKid: (kid: string) => Signer | undefined, backends: RealmBackends | undefined): Signer {
  if (record.backend === 'local') {
    if (!record.privateKey) throw new Error(`local key ${record.kid} has no private key`);
    return new LocalSigner(record.kid, record.alg, openPrivateKey(kek, record.kid, record.alg, record.privateKey));
  }
  const component = components.get(record.componentId);
  if (!component || !record.publicJwk || !record.backendRef) throw new Error(`key ${record.kid} lost its ${record.backend} component`);
  if (record.backend === 'vault-transit' || record.backend === 'pkcs11') return backendSigner(record, component, backends);
  if (record.backend === 'composite') {
    const [mlDsaKid, tradKid] = (record.backendRef as { members: string[] }).members;
    const mlDsa = byKid(mlDsaKid);
    const traditional = byKid(tradKid);
    if (!mlDsa || !traditional) throw new Error(`composite key ${record.kid}: member ${mlDsa ? tradKid : mlDsaKid} is missing`);
    return new CompositeSigner({ alg: record.alg, kid: record.kid, mlDsa, traditional, publicJwk: record.publicJwk });
  }
  throw new Error(`key ${record.kid}: unknown back end ${record.backend}`);
}

/**
 * A Vault or PKCS#11 key's signer, on the back end its component names (never on settings the
 * component carries: those of a component stored before back ends were declared are refused).
 */
function backendSigner(record: KeyRecord, component: StoredComponent, backends: RealmBackends | undefined): Signer {
  const legacy = legacyBackendError(component.providerId, component.config);
  if (legacy) throw new Error(`key ${record.kid}: ${legacy}`);
  if (!backends) throw new Error(`key ${record.kid}: no back ends available to build its signer`);
  const name = component.config.backend[0];
  const publicJwk = record.publicJwk!;
  if (record.backend === 'vault-transit') {
    const ref = record.backendRef as { keyName: string; version: number };
    const { client, mount } = backends.backends.vault(name, backends.realm);
    return new VaultTransitSigner({ client, mount, keyName: ref.keyName, version: ref.version, alg: record.alg, kid: record.kid, publicJwk });
  }
  const ref = record.backendRef as { keyId: string; mode: 'native' | 'seed-wrapped' };
  const pool = backends.backends.pkcs11(name, backends.realm);
  const wrappedSeed = component.config.wrappedSeed?.[0];
  return ref.mode === 'seed-wrapped' && wrappedSeed
    ? new SeedWrappedSigner({ pool, keyId: ref.keyId, alg: record.alg, kid: record.kid, wrappedSeed: Buffer.from(wrappedSeed, 'base64'), publicJwk })
    : new Pkcs11Signer({ pool, keyId: ref.keyId, alg: record.alg, kid: record.kid, publicJwk });
}

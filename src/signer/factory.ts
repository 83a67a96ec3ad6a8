/**
 * The Signer for a key record, by back end: `local` (private key sealed in the store),
 * `vault-transit` (a Vault key version), `pkcs11` (a key on a token, or a seed-wrapped ML-DSA key).
 */
import type { Signer } from './signer.ts';
import { LocalSigner } from './local.ts';
import { VaultTransitSigner } from './vault/signer.ts';
import { backends } from './backends.ts';
import { signingErrors, signingSeconds } from '../metrics.ts';
import { CompositeSigner } from './composite.ts';
import { Pkcs11Signer, SeedWrappedSigner } from './pkcs11/signer.ts';
import { openPrivateKey } from '../keys/encryption.ts';
import type { KeyRecord } from '../keys/repository.ts';
import type { StoredComponent } from '../keys/providers.ts';

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

/** @throws KeyDecryptionError (wrong KEK), Error for a key whose back end or component is gone. */
export function signerFor(record: KeyRecord, kek: Buffer, components: Map<string, StoredComponent>, byKid: (kid: string) => Signer | undefined = () => undefined): Signer {
  return metered(unmeteredSignerFor(record, kek, components, byKid));
}

function unmeteredSignerFor(record: KeyRecord, kek: Buffer, components: Map<string, StoredComponent>, byKid: (kid: string) => Signer | undefined = () => undefined): Signer {
  if (record.backend === 'local') {
    if (!record.privateKey) throw new Error(`local key ${record.kid} has no private key`);
    // Keys renamed by migration 14 (former DILITHIUM3 = ML-DSA-65) stay sealed under the alg they had.
    return new LocalSigner(record.kid, record.alg, openPrivateKey(kek, record.kid, (record.backendRef?.sealedAlg as string | undefined) ?? record.alg, record.privateKey));
  }
  const component = components.get(record.componentId);
  if (!component || !record.publicJwk || !record.backendRef) throw new Error(`key ${record.kid} lost its ${record.backend} component`);
  if (record.backend === 'vault-transit') {
    const ref = record.backendRef as { mount: string; keyName: string; version: number };
    return new VaultTransitSigner({ client: backends.vault(component.config), mount: ref.mount, keyName: ref.keyName, version: ref.version, alg: record.alg, kid: record.kid, publicJwk: record.publicJwk });
  }
  if (record.backend === 'pkcs11') {
    const ref = record.backendRef as { keyId: string; mode: 'native' | 'seed-wrapped' };
    const pool = backends.pkcs11(component.config);
    const wrappedSeed = component.config.wrappedSeed?.[0];
    return ref.mode === 'seed-wrapped' && wrappedSeed
      ? new SeedWrappedSigner({ pool, keyId: ref.keyId, alg: record.alg, kid: record.kid, wrappedSeed: Buffer.from(wrappedSeed, 'base64'), publicJwk: record.publicJwk })
      : new Pkcs11Signer({ pool, keyId: ref.keyId, alg: record.alg, kid: record.kid, publicJwk: record.publicJwk });
  }
  if (record.backend === 'composite') {
    const [mlDsaKid, tradKid] = (record.backendRef as { members: string[] }).members;
    const mlDsa = byKid(mlDsaKid);
    const traditional = byKid(tradKid);
    if (!mlDsa || !traditional) throw new Error(`composite key ${record.kid}: member ${mlDsa ? tradKid : mlDsaKid} is missing`);
    return new CompositeSigner({ alg: record.alg, kid: record.kid, mlDsa, traditional, publicJwk: record.publicJwk });
  }
  throw new Error(`key ${record.kid}: unknown back end ${record.backend}`);
}

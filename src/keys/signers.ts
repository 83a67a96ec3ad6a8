/**
 * The Signer for a stored key, by where it is held: `local` (the private key sealed in the store,
 * opened with the key-encryption key), or the provider of its back end (`vault-transit`, `pkcs11`,
 * `composite`: keys/providers/). Every signer is metered (signer/metered.ts).
 */
import { KeyUnusableError } from '../errors.ts';
import type { Signer } from '../signer/signer.ts';
import { LocalSigner } from '../signer/local.ts';
import { metered } from '../signer/metered.ts';
import { openPrivateKey } from '../store/encryption.ts';
import type { KeyRecord } from './repository.ts';
import { legacyBackendError } from './providers/backend-fields.ts';
import { externalProvider } from './providers/registry.ts';
import type { SignerContext } from './providers/types.ts';

export type { SignerContext } from './providers/types.ts';

/** The alg a local key was sealed under: keys renamed by migration 12 (the former DILITHIUM3, i.e. ML-DSA-65) keep their seal. */
const sealedAlg = (record: KeyRecord): string =>
  (record.backendRef?.sealedAlg as string | undefined) ?? record.alg;

/**
 * @throws KeyDecryptionError (wrong KEK or tampered record), KeyUnusableError for a key whose back end or
 *   component is gone or not declared for the realm, or whose component carries its back end
 *   inline (stored before back ends were declared): the caller fails that key closed.
 */
export function signerFor(record: KeyRecord, context: SignerContext): Signer {
  if (record.backend === 'local') {
    if (!record.privateKey)
      throw new KeyUnusableError(`local key ${record.kid} has no private key`);
    return metered(
      new LocalSigner(
        record.kid,
        record.alg,
        openPrivateKey(context.kek, record.kid, sealedAlg(record), record.privateKey),
        context.threads,
      ),
      context.metrics,
    );
  }
  const provider = externalProvider(record.backend);
  if (!provider)
    throw new KeyUnusableError(`key ${record.kid}: unknown back end ${record.backend}`);
  const component = context.components.get(record.componentId);
  if (!component || !record.publicJwk || !record.backendRef)
    throw new KeyUnusableError(`key ${record.kid} lost its ${record.backend} component`);
  const legacy = legacyBackendError(component.providerId, component.config);
  if (legacy) throw new KeyUnusableError(`key ${record.kid}: ${legacy}`);
  return metered(provider.signer(record, component, context), context.metrics);
}

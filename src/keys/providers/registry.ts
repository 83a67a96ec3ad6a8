/**
 * Key provider id -> its factory (Keycloak's KeyProviderFactory registry, ours in one map): the
 * Keycloak providers `rsa-generated`, `rsa`, `ecdsa-generated`, `eddsa-generated`,
 * `hmac-generated`, the encryption key providers `rsa-enc-generated`, `rsa-enc`, `aes-generated`
 * (KeyUse.ENC: their keys never sign), and ours `ml-dsa-generated`, `composite-generated`,
 * `vault-transit`, `pkcs11`, `composite`. Rotation policies are components of another type (rotation-policy.ts).
 */
import { ComponentError, type KeyProviderSettings } from '../component-model.ts';
import type { ExternalKeyProvider, KeyProviderFactory } from './types.ts';
import { providerSettings } from './settings.ts';
import { rsaGenerated } from './rsa-generated.ts';
import { rsa } from './rsa.ts';
import { ecdsaGenerated } from './ecdsa-generated.ts';
import { eddsaGenerated } from './eddsa-generated.ts';
import { hmacGenerated } from './hmac-generated.ts';
import { rsaEncGenerated } from './rsa-enc-generated.ts';
import { rsaEnc } from './rsa-enc.ts';
import { aesGenerated } from './aes-generated.ts';
import { mlDsaGenerated } from './ml-dsa-generated.ts';
import { compositeGenerated } from './composite-generated.ts';
import { vaultTransit } from './vault-transit.ts';
import { pkcs11 } from './pkcs11.ts';
import { composite } from './composite.ts';

const FACTORIES: readonly KeyProviderFactory[] = [
  rsaGenerated,
  rsa,
  ecdsaGenerated,
  eddsaGenerated,
  hmacGenerated,
  rsaEncGenerated,
  rsaEnc,
  aesGenerated,
  mlDsaGenerated,
  compositeGenerated,
  vaultTransit,
  pkcs11,
  composite,
];
const BY_ID = new Map(FACTORIES.map((f) => [f.id, f]));

export const KEY_PROVIDER_IDS: readonly string[] = FACTORIES.map((f) => f.id);

/** Ids of the providers whose keys are held elsewhere (their key rows' `backend` is the id). */
export const EXTERNAL_PROVIDERS: ReadonlySet<string> = new Set(
  FACTORIES.filter((f) => f.kind === 'external').map((f) => f.id),
);

/** The factory of provider `id`. @throws ComponentError (field providerId) for an unknown one. */
export function keyProvider(id: string | undefined): KeyProviderFactory {
  const factory = id === undefined ? undefined : BY_ID.get(id);
  if (!factory)
    throw new ComponentError(
      `unknown key provider "${id ?? ''}" (known: ${KEY_PROVIDER_IDS.join(', ')})`,
      'providerId',
    );
  return factory;
}

/** The provider of a key row's back end (`vault-transit`, `pkcs11`, `composite`), or undefined. */
export function externalProvider(backend: string): ExternalKeyProvider | undefined {
  const factory = BY_ID.get(backend);
  return factory?.kind === 'external' ? factory : undefined;
}

/** Validates a key provider's config. @throws ComponentError naming the field (or providerId). */
export function keyProviderSettings(
  providerId: string | undefined,
  rawConfig: Record<string, unknown> | undefined,
): KeyProviderSettings {
  return providerSettings(keyProvider(providerId), rawConfig);
}

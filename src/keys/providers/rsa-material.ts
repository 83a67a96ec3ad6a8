/**
 * The key of an `rsa` or `rsa-generated` component (Keycloak's AbstractRsaKeyProvider): the
 * component's `privateKey` when it carries one (an import of Keycloak's export, or the `rsa`
 * provider), else a new key of `keySize` bits. Either way the kid is Keycloak's
 * (KeyUtils.createKeyId, keys/keycloak-kid.ts), so tokens the old Keycloak signed keep verifying.
 * A `certificate` is checked against the key (it is published as `x5c`, keys/realm-keys.ts).
 */
import { generateKey, type GeneratedKey } from '../generate.ts';
import { first, type KeyProviderSettings } from '../component-model.ts';
import { keycloakKeyId } from '../keycloak-kid.ts';
import { keycloakCertificate, keycloakRsaPrivateKey } from '../keycloak-material.ts';
import { createPrivateKey } from 'node:crypto';

/** @throws ComponentError (field privateKey or certificate) for unusable key material. */
export async function rsaKey(providerId: string, settings: KeyProviderSettings): Promise<GeneratedKey> {
  const pem = first(settings.config, 'privateKey');
  const certificate = first(settings.config, 'certificate');
  let key;
  if (pem) {
    key = keycloakRsaPrivateKey(pem);
  } else {
    const generated = await generateKey(settings.alg, { rsaBits: Number(first(settings.config, 'keySize') ?? 2048) });
    key = createPrivateKey({ key: generated.privateKey, format: 'der', type: 'pkcs8' });
  }
  if (certificate) keycloakCertificate(certificate, key);
  return { kid: keycloakKeyId(key), alg: settings.alg, providerId, privateKey: key.export({ format: 'der', type: 'pkcs8' }) };
}

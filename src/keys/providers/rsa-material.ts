/**
 * The key of an `rsa` or `rsa-generated` component (Keycloak's AbstractRsaKeyProvider): the
 * component's `privateKey` when it carries one (an import of Keycloak's export, or the `rsa`
 * provider), else a new key of `keySize` bits. Either way the kid is Keycloak's
 * (KeyUtils.createKeyId, keys/keycloak-kid.ts), so tokens the old Keycloak signed keep verifying.
 * A `certificate` is checked against the key (it is published as `x5c`, keys/realm-keys.ts).
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { GeneratedKey } from '../generate.ts';
import { first, type KeyProviderSettings } from '../component-model.ts';
import { keycloakKeyId } from '../keycloak-kid.ts';
import { keycloakCertificate, keycloakRsaPrivateKey } from '../keycloak-material.ts';

/**
 * The RSA private key of a signing or encryption RSA component: its `privateKey` (PEM, or base64
 * PKCS#1 / PKCS#8 DER as Keycloak exports it) when it carries one, else a new key of `keySize`
 * bits (default 2048, e = 65537); its `certificate`, when given, must belong to it.
 * @throws ComponentError (field privateKey or certificate) for unusable key material.
 */
export async function rsaPrivateKey(settings: KeyProviderSettings): Promise<KeyObject> {
  const text = first(settings.config, 'privateKey');
  const certificate = first(settings.config, 'certificate');
  const key = text
    ? keycloakRsaPrivateKey(text)
    : (
        await promisify(generateKeyPair)('rsa', {
          modulusLength: Number(first(settings.config, 'keySize') ?? 2048),
        })
      ).privateKey;
  if (certificate) keycloakCertificate(certificate, key);
  return key;
}

/** @throws ComponentError (field privateKey or certificate) for unusable key material. */
export async function rsaKey(
  providerId: string,
  settings: KeyProviderSettings,
): Promise<GeneratedKey> {
  const key = await rsaPrivateKey(settings);
  return {
    kid: keycloakKeyId(key),
    alg: settings.alg,
    providerId,
    privateKey: key.export({ format: 'der', type: 'pkcs8' }),
  };
}

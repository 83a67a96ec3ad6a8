/**
 * The key of an `rsa-enc-generated` or `rsa-enc` component (Keycloak's GeneratedRsaEncKeyProviderFactory
 * / ImportedRsaEncKeyProviderFactory: an AbstractRsaKeyProvider with KeyUse.ENC). The component's
 * `privateKey` when it carries one (PEM, or base64 PKCS#1 / PKCS#8 DER as Keycloak exports it), else
 * a new key of `keySize` bits (node:crypto). The kid is Keycloak's (KeyUtils.createKeyId,
 * keys/keycloak-kid.ts); a `certificate` is checked against the key (published as `x5c`). The
 * public JWK is Keycloak's JWKBuilder.rsa form for an encryption key: `use` "enc", `alg` the
 * component's algorithm (RSA-OAEP, RSA-OAEP-256 or RSA1_5). The key never signs (keys/repository.ts).
 */
import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import type { KeyProviderSettings } from '../component-model.ts';
import { keycloakKeyId } from '../keycloak-kid.ts';
import type { LocalKeyMaterial } from '../repository.ts';
import { rsaPrivateKey } from './rsa-material.ts';

/** Keycloak's RS_ENC_ALGORITHM_PROPERTY choices (Attributes.java); its default is RSA-OAEP. */
export const RSA_ENC_ALGS = /^(RSA-OAEP|RSA-OAEP-256|RSA1_5)$/;

/** @throws ComponentError (field privateKey or certificate) for unusable key material. */
export async function rsaEncKey(
  providerId: string,
  settings: KeyProviderSettings,
): Promise<LocalKeyMaterial> {
  const key = await rsaPrivateKey(settings);
  const kid = keycloakKeyId(key);
  const { n, e } = createPublicKey(key).export({ format: 'jwk' });
  const publicJwk: JWK = { kty: 'RSA', n, e, kid, alg: settings.alg, use: 'enc' };
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return { kid, alg: settings.alg, providerId, privateKey: der, use: 'enc', publicJwk };
}

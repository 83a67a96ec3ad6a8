/**
 * Keycloak's key ids. An RSA (or EC) key's kid is `KeyUtils.createKeyId(publicKey)` (keycloak/keycloak
 * common/src/main/java/org/keycloak/common/util/KeyUtils.java): base64url without padding of the
 * SHA-256 of `publicKey.getEncoded()`, which for a Java `PublicKey` is the DER of the X.509
 * SubjectPublicKeyInfo. Used by AbstractRsaKeyProvider for both `rsa` and `rsa-generated`, so a
 * key imported from a Keycloak export keeps the kid Keycloak published for it.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** Keycloak's kid of a public (or private: its public half is used) key. */
export function keycloakKeyId(key: KeyObject): string {
  const spki = (key.type === 'public' ? key : createPublicKey(key)).export({
    format: 'der',
    type: 'spki',
  });
  return createHash('sha256').update(spki).digest('base64url');
}

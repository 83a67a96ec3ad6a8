/**
 * Key material of a full realm export. Keycloak's `kc.sh export` writes the config of every key
 * provider component as stored, which for its generated providers holds the key itself:
 * `rsa-generated` / `rsa-enc-generated` a `privateKey` (base64 of the PKCS#8 DER, no PEM armour:
 * PemUtils.encodeKey), `hmac-generated` / `aes-generated` a `secret` (base64url) and its `kid`
 * (GeneratedSecretKeyProviderFactory). The same here for the local keys of `rsa-generated`,
 * `rsa` (its PEM, as Keycloak's ImportedRsaKeyProviderFactory keeps the PEM given),
 * `hmac-generated`, and the encryption keys of `rsa-enc-generated` (base64 DER), `rsa-enc` (PEM)
 * and `aes-generated` (`secret` + `kid`): the component's newest key, opened with KEY_ENCRYPTION_KEY. Keys in Vault or
 * PKCS#11 leave only their reference (the component config); ML-DSA, ECDSA and EdDSA local keys
 * have no Keycloak config field and are not written (a re-import generates new ones).
 */
import { createPrivateKey } from 'node:crypto';
import type { SqlClient } from '../store/sql.ts';
import { listKeys } from '../keys/repository.ts';
import { openPrivateKey } from '../store/encryption.ts';

/** Config fields holding one key's material, for a provider whose key Keycloak exports. */
function materialFields(
  providerId: string,
  kid: string,
  key: Buffer,
): Record<string, string[]> | undefined {
  if (providerId === 'rsa-generated' || providerId === 'rsa-enc-generated')
    return { privateKey: [key.toString('base64')] };
  if (providerId === 'rsa' || providerId === 'rsa-enc') {
    const pem = createPrivateKey({ key, format: 'der', type: 'pkcs8' })
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
    return { privateKey: [pem] };
  }
  if (providerId === 'hmac-generated' || providerId === 'aes-generated')
    return { secret: [key.toString('base64url')], kid: [kid] };
  return undefined;
}

/**
 * componentId -> the config fields carrying its key, for the realm's local keys of the providers
 * above (the newest key of each component). Empty without a KEY_ENCRYPTION_KEY.
 * @throws KeyDecryptionError when a sealed key does not open (wrong KEY_ENCRYPTION_KEY).
 */
export async function exportedKeyMaterial(
  db: SqlClient,
  realmId: string,
): Promise<Map<string, Record<string, string[]>>> {
  const kek = db.keyEncryptionKey;
  const out = new Map<string, Record<string, string[]>>();
  if (!kek) return out;
  const records = [...(await listKeys(db, realmId)), ...(await listKeys(db, realmId, 'enc'))].sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime(),
  );
  for (const record of records) {
    if (out.has(record.componentId) || record.backend !== 'local' || !record.privateKey) continue;
    const fields = materialFields(
      record.providerId,
      record.kid,
      openPrivateKey(kek, record.kid, record.alg, record.privateKey),
    );
    if (fields) out.set(record.componentId, fields);
  }
  return out;
}

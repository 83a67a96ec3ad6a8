/**
 * Encryption at rest of the secrets inside a stored realm document: client secrets
 * (`clients[].secret`, and `clients[].attributes["client.secret.rotated"]`, Keycloak's rotated
 * secret, ClientSecretConstants.CLIENT_ROTATED_SECRET), the SMTP password (`smtpServer.password`) and identity-provider client secrets
 * (`identityProviders[].config.clientSecret`): the fields Keycloak's exports carry in clear
 * (ClientRepresentation.secret, RealmRepresentation.smtpServer, IdentityProviderRepresentation.config).
 *
 * Sealed with encryption.ts's primitive (AES-256-GCM, random 12-byte nonce) under a key derived
 * from KEY_ENCRYPTION_KEY (HKDF-SHA256, info "realm secrets v1"), with the realm id and the field's
 * place (`clients/<client id>/secret`...) as associated data: a sealed value copied onto another
 * client, field or realm does not open. In the document a sealed value is the string
 * `qsign-sealed:` + base64url(blob); any other string is a clear value an older version stored,
 * sealed on the realm's next write (store/realms.ts sealClearRealmSecrets does it for all at start).
 */
import { QsignError } from '../errors.ts';
import { hkdfSync } from 'node:crypto';
import { openValue, sealValue } from './encryption.ts';
import type { RealmDocument } from '../model/representation.ts';

export const SEALED_PREFIX = 'qsign-sealed:';
const ROTATED = 'client.secret.rotated';

export class RealmSecretError extends QsignError {
  constructor(message: string) {
    super('ERR_REALM_SECRET', message);
    this.name = 'RealmSecretError';
  }
}

/** Called for each secret: its place in the document (for the associated data) and its value. */
type Transform = (field: string, value: string) => string;
type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A copy of `doc` with `f` applied to every secret field holding a string (the rest shared). */
function mapSecrets(doc: RealmDocument, f: Transform): RealmDocument {
  const out: Loose = { ...doc };
  if (Array.isArray(doc.clients)) {
    out.clients = doc.clients.map((client) => {
      const at = `clients/${client.id ?? client.clientId}`;
      let next = client;
      if (typeof client.secret === 'string')
        next = { ...next, secret: f(`${at}/secret`, client.secret) };
      const rotated = client.attributes?.[ROTATED];
      if (typeof rotated === 'string')
        next = {
          ...next,
          attributes: { ...next.attributes, [ROTATED]: f(`${at}/attributes/${ROTATED}`, rotated) },
        };
      return next;
    });
  }
  const smtp = (doc as Loose).smtpServer;
  if (isObject(smtp) && typeof smtp.password === 'string')
    out.smtpServer = { ...smtp, password: f('smtpServer/password', smtp.password) };
  const providers = (doc as Loose).identityProviders;
  if (Array.isArray(providers)) {
    out.identityProviders = providers.map((idp: unknown) => {
      if (!isObject(idp) || !isObject(idp.config) || typeof idp.config.clientSecret !== 'string')
        return idp;
      return {
        ...idp,
        config: {
          ...idp.config,
          clientSecret: f(
            `identityProviders/${String(idp.internalId ?? idp.alias)}/config/clientSecret`,
            idp.config.clientSecret,
          ),
        },
      };
    });
  }
  return out as RealmDocument;
}

const secretsKey = (kek: Buffer) =>
  Buffer.from(hkdfSync('sha256', kek, 'qsign-oidc', 'realm secrets v1', 32));
const aad = (realmId: string, field: string) =>
  Buffer.from(`qsign-oidc realm secret\0${realmId}\0${field}`);

/**
 * The document to store in row `realmId`: every secret sealed (a value already looking sealed is sealed again, so
 * what an admin wrote is what a read returns).
 * @param realmId the `realms.id` of the row (bound into each value).
 * @param kek KEY_ENCRYPTION_KEY; without it a document holding a clear secret is refused, and
 *   still-sealed values (read by a store client without the key) are kept as they are.
 * @throws RealmSecretError when a clear secret is to be written without a key.
 */
export function sealRealmSecrets(
  kek: Buffer | undefined,
  realmId: string,
  doc: RealmDocument,
): RealmDocument {
  const key = kek && secretsKey(kek);
  return mapSecrets(doc, (field, value) => {
    if (!key) {
      if (value.startsWith(SEALED_PREFIX)) return value;
      throw new RealmSecretError(
        `realm ${doc.realm}: ${field} cannot be stored: the store was opened without KEY_ENCRYPTION_KEY`,
      );
    }
    return (
      SEALED_PREFIX +
      sealValue(key, aad(realmId, field), Buffer.from(value, 'utf8')).toString('base64url')
    );
  });
}

/**
 * The document with every sealed secret opened; clear values (stored by an older version) as they
 * are. Without a key, sealed values are left sealed (for store clients that need no secret: the
 * keys command).
 * @throws RealmSecretError when a sealed value does not open (wrong KEY_ENCRYPTION_KEY, or a value
 *   moved or altered in the database).
 */
export function openRealmSecrets(
  kek: Buffer | undefined,
  realmId: string,
  doc: RealmDocument,
): RealmDocument {
  if (!kek) return doc;
  const key = secretsKey(kek);
  return mapSecrets(doc, (field, value) => {
    if (!value.startsWith(SEALED_PREFIX)) return value;
    const plaintext = openValue(
      key,
      aad(realmId, field),
      Buffer.from(value.slice(SEALED_PREFIX.length), 'base64url'),
    );
    if (!plaintext)
      throw new RealmSecretError(
        `realm ${doc.realm}: ${field} cannot be decrypted: wrong KEY_ENCRYPTION_KEY, or the value was moved or altered`,
      );
    return plaintext.toString('utf8');
  });
}

/** True when the stored document holds a secret in clear (written by a version before sealing). */
export function hasClearSecrets(doc: RealmDocument): boolean {
  let clear = false;
  mapSecrets(doc, (_field, value) => {
    if (!value.startsWith(SEALED_PREFIX)) clear = true;
    return value;
  });
  return clear;
}

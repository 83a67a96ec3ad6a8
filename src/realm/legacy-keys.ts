/**
 * Realm files of Keycloak before 2.x (and exports that still carry them) give the realm's RSA key
 * as realm-level `privateKey` / `publicKey` / `certificate`. Keycloak's RealmManager.importRealm
 * turns them into an `rsa` key provider (DefaultKeyProviders.createProviders(realm, privateKeyPem,
 * certificatePem), priority 100); so do we, and the fields leave the realm document (a private key
 * is kept only sealed, store/encryption.ts). Pure.
 */
import { KEY_PROVIDER_TYPE } from '../keys/component-model.ts';
import type { RealmRepresentation } from '../model/representation.ts';

/** `rep` with its legacy realm-level key turned into an `rsa` component; unchanged when it has none. */
export function withLegacyRealmKey(rep: RealmRepresentation): RealmRepresentation {
  const {
    privateKey,
    publicKey: _public,
    certificate,
    ...rest
  } = rep as RealmRepresentation & {
    privateKey?: unknown;
    publicKey?: unknown;
    certificate?: unknown;
  };
  if (typeof privateKey !== 'string' || !privateKey) return rest as RealmRepresentation;
  const config: Record<string, string[]> = { privateKey: [privateKey], priority: ['100'] };
  if (typeof certificate === 'string' && certificate) config.certificate = [certificate];
  const components = rep.components ?? {};
  const keyProviders = components[KEY_PROVIDER_TYPE] ?? [];
  return {
    ...rest,
    components: {
      ...components,
      [KEY_PROVIDER_TYPE]: [{ name: 'rsa', providerId: 'rsa', config }, ...keyProviders],
    },
  } as RealmRepresentation;
}

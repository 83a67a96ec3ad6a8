/**
 * Realm export in Keycloak's RealmRepresentation (the `kc.sh export` format, Keycloak
 * ExportUtils.exportRealm with users and credentials): the stored realm document with its secrets
 * opened (client secrets in clear, as a Keycloak full export has them), the components table's
 * components (key providers, rotation policies) back under `components`, and the realm's users
 * with their role and group mappings, service-account links and password credentials in Keycloak's
 * `secretData` / `credentialData` form (CredentialRepresentation, Keycloak 12+).
 *
 * Key providers carry their key as Keycloak's do (export-keys.ts). OTP credentials carry their
 * secret in clear, as Keycloak's exports do (sealed at rest: store/credentials.ts).
 */
import { OTP, openSecret } from '../store/credentials.ts';
import { consentsOfRealm, type StoredConsent } from '../store/consents.ts';
import type { SqlClient } from '../store/sql.ts';
import { findRealm, RealmNotFoundError, type StoredRealm } from '../store/realms.ts';
import type { StoredUser } from '../store/users.ts';
import { exportedKeyMaterial } from './export-keys.ts';
import type {
  CredentialRepresentation,
  RealmRepresentation,
  UserRepresentation,
} from '../model/representation.ts';

/** A Keycloak ComponentExportRepresentation (components are grouped by providerType in a realm export). */
type ComponentExport = {
  id: string;
  name: string;
  providerId: string;
  subType?: string;
  subComponents: Record<string, unknown>;
  config: Record<string, string[]>;
  [key: string]: unknown;
};

type ComponentRow = {
  id: string;
  name: string;
  provider_id: string;
  provider_type: string;
  sub_type: string | null;
  config: Record<string, string[]>;
};

/** The realm's stored components by providerType, in Keycloak's export shape, key providers with their key (export-keys.ts). */
async function exportComponents(
  db: SqlClient,
  realmId: string,
): Promise<Record<string, ComponentExport[]>> {
  const material = await exportedKeyMaterial(db, realmId);
  const rows = await db.query<ComponentRow>(
    'SELECT id, name, provider_id, provider_type, sub_type, config FROM components WHERE realm_id = $1 ORDER BY created_at, id',
    [realmId],
  );
  const out: Record<string, ComponentExport[]> = {};
  for (const r of rows)
    (out[r.provider_type] ??= []).push({
      id: r.id,
      name: r.name,
      providerId: r.provider_id,
      ...(r.sub_type ? { subType: r.sub_type } : {}),
      subComponents: {},
      config: { ...r.config, ...material.get(r.id) },
    });
  return out;
}

type CredentialRow = {
  id: string;
  type: string;
  secret_data: unknown;
  credential_data: unknown;
  user_label: string | null;
  created_at: Date | string;
};

/** Keycloak's UserConsentRepresentation (ModelToRepresentation.toRepresentation(UserConsentModel)). */
const consentRep = (c: StoredConsent) => ({
  clientId: c.clientId,
  grantedClientScopes: c.grantedScopes,
  createdDate: c.createdDate,
  lastUpdatedDate: c.lastUpdatedDate,
});

/** The users of a realm (service accounts included), by username, each with its credentials in Keycloak's export form. */
export async function exportUsers(db: SqlClient, realmId: string): Promise<UserRepresentation[]> {
  const users = await db.query<{ representation: StoredUser }>(
    'SELECT representation FROM users WHERE realm_id = $1 ORDER BY username',
    [realmId],
  );
  const creds = await db.query<CredentialRow & { user_id: string }>(
    'SELECT c.id, c.user_id, c.type, c.secret_data, c.credential_data, c.user_label, c.created_at FROM credentials c JOIN users u ON u.id = c.user_id WHERE u.realm_id = $1 ORDER BY c.created_at DESC, c.id',
    [realmId],
  );
  const byUser = new Map<string, CredentialRepresentation[]>();
  for (const c of creds) {
    // Keycloak CredentialRepresentation: secretData and credentialData are JSON strings.
    // OTP secrets are sealed at rest (store/credentials.ts); Keycloak exports them in clear.
    const secretData =
      c.type === OTP ? { value: openSecret(db, c.user_id, c.id, c.secret_data) } : c.secret_data;
    const cred: CredentialRepresentation = {
      id: c.id,
      type: c.type,
      ...(c.user_label !== null ? { userLabel: c.user_label } : {}),
      createdDate: new Date(c.created_at).getTime(),
      secretData: JSON.stringify(secretData),
      credentialData: JSON.stringify(c.credential_data),
    };
    const list = byUser.get(c.user_id) ?? [];
    list.push(cred);
    byUser.set(c.user_id, list);
  }
  // ExportUtils.exportUser: `clientConsents` only for a user who has some.
  const consents = await consentsOfRealm(db, realmId);
  return users.map(({ representation: u }) => ({
    ...u,
    credentials: byUser.get(u.id) ?? [],
    ...(consents.has(u.id) ? { clientConsents: consents.get(u.id)!.map(consentRep) } : {}),
  }));
}

/** Options of one realm's export (Keycloak ExportOptions). */
export interface RealmExportOptions {
  /** Users inside the realm representation (Keycloak's realm_file / single-file export). */
  users: boolean;
}

/** The realm representation of a stored realm, merged with the components table. */
export async function realmRepresentation(
  db: SqlClient,
  stored: StoredRealm,
): Promise<RealmRepresentation & { id: string }> {
  const tableComponents = await exportComponents(db, stored.id);
  const { users: _none, ...doc } = stored.doc;
  return { ...doc, users: [], components: { ...(doc.components ?? {}), ...tableComponents } };
}

/**
 * One realm as `kc.sh export` writes it: realm settings, clients with clear secrets, roles,
 * groups, client scopes, components and, with `users`, the users.
 * @throws RealmNotFoundError; RealmSecretError when the realm's sealed secrets do not open.
 */
export async function exportRealm(
  db: SqlClient,
  name: string,
  options: RealmExportOptions,
): Promise<RealmRepresentation> {
  const stored = await findRealm(db, name);
  if (!stored) throw new RealmNotFoundError(name);
  const rep = await realmRepresentation(db, stored);
  if (!options.users) {
    const { users: _skip, ...withoutUsers } = rep;
    return withoutUsers as RealmRepresentation;
  }
  return { ...rep, users: await exportUsers(db, stored.id) };
}

/** The names of every stored realm, in name order. */
export async function realmNames(db: SqlClient): Promise<string[]> {
  return (await db.query<{ name: string }>('SELECT name FROM realms ORDER BY name')).map(
    (r) => r.name,
  );
}

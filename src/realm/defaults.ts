/**
 * What Keycloak adds to every new realm (RealmManager.createRealm / setupRealmDefaults):
 * the built-in clients `account`, `account-console`, `admin-cli`, `broker`,
 * `realm-management`, `security-admin-console` with their client roles, the realm roles
 * `offline_access` and `uma_authorization`, and the composite `default-roles-{realm}` that
 * users created here (not imported ones) are given (withDefaultRole). Realm exports reference these (e.g. `clientRoles.account`), so an import
 * must find them; so must `uma_protection` of clients with authorization services. Anything the
 * file already defines is kept as the file has it.
 */
import type {
  ClientRepresentation,
  RealmRepresentation,
  RoleRepresentation,
} from '../model/representation.ts';
import { clientSchema } from '../model/representation.ts';
import { randomUUID } from 'node:crypto';
import type { StoredUser } from '../store/users.ts';

const ACCOUNT_ROLES = [
  'manage-account',
  'view-profile',
  'manage-account-links',
  'view-applications',
  'view-consent',
  'manage-consent',
  'delete-account',
  'view-groups',
];
/** AdminRoles.ALL_REALM_ROLES plus ImpersonationConstants.IMPERSONATION_ROLE (the roles of `realm-management`). */
export const REALM_MANAGEMENT_ROLES = [
  'view-realm',
  'view-users',
  'view-clients',
  'view-events',
  'view-identity-providers',
  'view-authorization',
  'manage-realm',
  'manage-users',
  'manage-clients',
  'manage-events',
  'manage-identity-providers',
  'manage-authorization',
  'query-users',
  'query-clients',
  'query-realms',
  'query-groups',
  'create-client',
  'impersonation',
] as const;

function builtInClients(realm: string): ClientRepresentation[] {
  const base = `/realms/${realm}`;
  const make = (c: Partial<ClientRepresentation> & { clientId: string }) =>
    clientSchema.parse({ standardFlowEnabled: false, ...c });
  return [
    make({
      clientId: 'account',
      name: '${client_account}',
      publicClient: true,
      baseUrl: `${base}/account/`,
      redirectUris: [`${base}/account/*`],
    }),
    make({
      clientId: 'account-console',
      name: '${client_account-console}',
      publicClient: true,
      standardFlowEnabled: true,
      baseUrl: `${base}/account/`,
      redirectUris: [`${base}/account/*`],
      attributes: { 'pkce.code.challenge.method': 'S256' },
    }),
    make({
      clientId: 'admin-cli',
      name: '${client_admin-cli}',
      publicClient: true,
      directAccessGrantsEnabled: true,
    }),
    make({ clientId: 'broker', name: '${client_broker}', bearerOnly: true }),
    make({ clientId: 'realm-management', name: '${client_realm-management}', bearerOnly: true }),
    make({
      clientId: 'security-admin-console',
      name: '${client_security-admin-console}',
      publicClient: true,
      standardFlowEnabled: true,
      baseUrl: `/admin/${realm}/console/`,
      redirectUris: [`/admin/${realm}/console/*`],
      webOrigins: ['+'],
      attributes: { 'pkce.code.challenge.method': 'S256' },
    }),
  ];
}

/**
 * A `realm-management` role as RealmManager.setupRealmAdminManagement creates it: described
 * `${role_<name>}`; addQueryCompositeRoles makes view-clients a composite of query-clients and
 * view-users one of query-users and query-groups.
 */
function realmManagementRole(name: string): RoleRepresentation {
  return withQueryComposites({ name, description: `\${role_${name}}` });
}

/** RealmManager.addQueryCompositeRoles: the query roles view-clients and view-users include. */
const QUERY_COMPOSITES: Record<string, string[]> = {
  'view-clients': ['query-clients'],
  'view-users': ['query-users', 'query-groups'],
};

/**
 * `role` with the query roles RealmManager.addQueryCompositeRoles adds at every realm creation and
 * import (checkRealmAdminManagementRoles): view-users gets query-users and query-groups,
 * view-clients query-clients, beside any composites the file gave.
 */
function withQueryComposites(role: RoleRepresentation): RoleRepresentation {
  const wanted = QUERY_COMPOSITES[role.name];
  if (!wanted) return role;
  const held = role.composites?.client?.['realm-management'] ?? [];
  if (wanted.every((n) => held.includes(n))) return role;
  return {
    ...role,
    composite: true,
    composites: {
      ...role.composites,
      client: {
        ...role.composites?.client,
        'realm-management': [...new Set([...held, ...wanted])],
      },
    },
  };
}

function builtInClientRoles(): Record<string, RoleRepresentation[]> {
  return {
    account: [
      ...ACCOUNT_ROLES.filter((r) => r !== 'manage-account' && r !== 'manage-consent').map(
        (name) => ({ name }),
      ),
      {
        name: 'manage-account',
        composite: true,
        composites: { client: { account: ['manage-account-links'] } },
      },
      {
        name: 'manage-consent',
        composite: true,
        composites: { client: { account: ['view-consent'] } },
      },
    ],
    broker: [{ name: 'read-token' }],
    'realm-management': [
      ...REALM_MANAGEMENT_ROLES.map((name) => realmManagementRole(name)),
      {
        name: 'realm-admin',
        description: '${role_realm-admin}',
        composite: true,
        composites: { client: { 'realm-management': [...REALM_MANAGEMENT_ROLES] } },
      },
    ],
  };
}

/** Name Keycloak gives a realm's default composite role (RealmManager.setupRealmDefaults). */
export const defaultRoleName = (realm: string) => `default-roles-${realm.toLowerCase()}`;

/** The name of `rep`'s default role: its `defaultRole`, else Keycloak's `default-roles-{realm}`. */
export const realmDefaultRole = (rep: Pick<RealmRepresentation, 'realm' | 'defaultRole'>) =>
  rep.defaultRole?.name ?? defaultRoleName(rep.realm);

/**
 * `realmRoles` with the realm's default role added as an explicit mapping, as Keycloak grants it
 * to a user it creates itself: `UserProvider.addUser(realm, username)` is
 * `addUser(realm, id, username, addDefaultRoles = true, ...)` (JpaUserProvider →
 * DefaultRoles.addDefaultRoles), used by UsersResource.createUser, registration and
 * ClientManager.enableServiceAccount. Import (RepresentationToModel.createUser) passes
 * `addDefaultRoles = false`: an imported user holds exactly the roles its file lists.
 */
export function withDefaultRole(
  rep: Pick<RealmRepresentation, 'realm' | 'defaultRole'>,
  realmRoles: string[],
): string[] {
  const name = realmDefaultRole(rep);
  return realmRoles.includes(name) ? realmRoles : [name, ...realmRoles];
}

/**
 * The service-account user of a client, as Keycloak's ClientManager.enableServiceAccount makes it:
 * `service-account-{clientId}` (lower case), enabled, no credentials, linked by
 * `serviceAccountClientId`, holding `realmRoles` (callers pass withDefaultRole's result where
 * Keycloak creates it through UserProvider.addUser). `now` in epoch milliseconds.
 */
export function serviceAccountUser(
  clientId: string,
  realmRoles: string[],
  now = Date.now(),
): StoredUser {
  return {
    id: randomUUID(),
    username: `service-account-${clientId}`.toLowerCase(),
    enabled: true,
    emailVerified: false,
    createdTimestamp: now,
    credentials: [],
    realmRoles,
    clientRoles: {},
    groups: [],
    requiredActions: [],
    serviceAccountClientId: clientId,
  };
}

/** Returns a copy of `rep` with Keycloak's built-in clients and roles added where missing. */
export function withKeycloakDefaults(rep: RealmRepresentation): RealmRepresentation {
  const clients = [...rep.clients];
  for (const client of builtInClients(rep.realm)) {
    if (!clients.some((c) => c.clientId === client.clientId)) clients.push(client);
  }
  const realmRoles = [...rep.roles.realm];
  const defaultRole = realmDefaultRole(rep);
  const addRealmRole = (role: RoleRepresentation) => {
    if (!realmRoles.some((r) => r.name === role.name)) realmRoles.push(role);
  };
  addRealmRole({ name: 'offline_access', description: '${role_offline-access}' });
  addRealmRole({ name: 'uma_authorization', description: '${role_uma_authorization}' });
  addRealmRole({
    name: defaultRole,
    description: '${role_default-roles}',
    composite: true,
    composites: {
      // Keycloak < 13 exports list the default roles as `defaultRoles`.
      realm: [...new Set(['offline_access', 'uma_authorization', ...(rep.defaultRoles ?? [])])],
      client: { account: ['view-profile', 'manage-account'] },
    },
  });
  const clientRoles = { ...rep.roles.client };
  const perClient = builtInClientRoles();
  // Authorization services give the client the `uma_protection` role (Keycloak AuthorizationService setup).
  for (const client of clients) {
    if (client.authorizationServicesEnabled)
      (perClient[client.clientId] ??= []).push({ name: 'uma_protection' });
  }
  for (const [clientId, roles] of Object.entries(perClient)) {
    const existing = [...(clientRoles[clientId] ?? [])];
    for (const role of roles) if (!existing.some((r) => r.name === role.name)) existing.push(role);
    clientRoles[clientId] = existing;
  }
  clientRoles['realm-management'] = clientRoles['realm-management'].map(withQueryComposites);
  return {
    ...rep,
    clients,
    roles: { ...rep.roles, realm: realmRoles, client: clientRoles },
    defaultRole: rep.defaultRole ?? { name: defaultRole, composite: true },
  };
}

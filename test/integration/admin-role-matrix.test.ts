/**
 * Fine-grained `realm-management` roles (issue 21 item 3): a user of realm X holding exactly one
 * of Keycloak's AdminRoles (or none, or `realm-admin`) calls every admin route the router serves
 * on X; each call is allowed (anything but 403) or refused (403) as Keycloak 26 decides it.
 *
 * EXPECTED is written from Keycloak's source, not from src/admin/route-permissions.ts: for each
 * route, the check its resource method makes first (services/src/main/java/org/keycloak/services/
 * resources/admin/*Resource.java, rest/admin-ui-ext/.../*Resource.java), and the roles that pass
 * that check without fine-grained policies (permissions/RealmPermissions.java, UserPermissions,
 * GroupPermissions, ClientPermissions, RolePermissions: `root.hasOneAdminRole(...)`).
 *
 * Reads use real ids of X; writes use an id that names nothing and a body that is no
 * representation, so an allowed write answers 400/404 and changes nothing. The expectations are
 * Keycloak's answers for an existing resource: this server checks a route's permission before
 * any lookup, where Keycloak looks some up first (UsersResource.user: 404 for an unknown id to a
 * caller who may query). DELETE of the realm is checked last, on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { adminCall, passwordToken } from '../helpers/admin.ts';
import { adminRouter } from '../../src/admin/router.ts';

/** AdminRoles.ALL_REALM_ROLES + impersonation: the realm-management roles. */
const ROLES = [
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
];

// The roles each Keycloak check lets through (hasOneAdminRole of these).
/** RealmPermissions.canViewRealmDefault: MANAGE_REALM, VIEW_REALM */
const VIEW_REALM = ['view-realm', 'manage-realm'];
/** RealmPermissions.canManageRealmDefault: MANAGE_REALM */
const MANAGE_REALM = ['manage-realm'];
/** RealmPermissions.canListRealms: canViewRealm() || QUERY_REALMS (requireViewRealmNameList) */
const LIST_REALM = ['view-realm', 'manage-realm', 'query-realms'];
/** RealmPermissions.canViewEventsDefault / canManageEventsDefault */
const VIEW_EVENTS = ['view-events', 'manage-events'];
const MANAGE_EVENTS = ['manage-events'];
/** RealmPermissions.canViewIdentityProvidersDefault */
const VIEW_IDP = ['view-identity-providers', 'manage-identity-providers'];
/** UserPermissions.canQuery: canView() || QUERY_USERS */
const QUERY_USERS = ['view-users', 'manage-users', 'query-users'];
/** UserPermissions.canViewDefault: MANAGE_USERS, VIEW_USERS; GroupPermissions.canView the same */
const VIEW_USERS = ['view-users', 'manage-users'];
/** UserPermissions.canManageDefault: MANAGE_USERS; GroupPermissions.canManage the same */
const MANAGE_USERS = ['manage-users'];
/** GroupPermissions.canList: VIEW_USERS, MANAGE_USERS, QUERY_GROUPS */
const LIST_GROUPS = ['view-users', 'manage-users', 'query-groups'];
/** ClientPermissions.canList: canView() || QUERY_CLIENTS, QUERY_USERS */
const LIST_CLIENTS = ['view-clients', 'manage-clients', 'query-clients', 'query-users'];
/** ClientPermissions.canViewClientDefault: MANAGE_CLIENTS, VIEW_CLIENTS */
const VIEW_CLIENTS = ['view-clients', 'manage-clients'];
/** ClientPermissions.canManageClientsDefault: MANAGE_CLIENTS */
const MANAGE_CLIENTS = ['manage-clients'];
/** ClientPermissions.canListClientScopes: canView() || QUERY_CLIENTS */
const LIST_SCOPES = ['view-clients', 'manage-clients', 'query-clients'];
/** RolePermissions.canList: root.hasAnyAdminRole() */
const ANY = ROLES;

/** Per route, the roles Keycloak lets through (realm-admin, composite of all, always; no role never). */
const EXPECTED: Record<string, string[]> = {
  // RealmAdminResource.getRealm: canViewRealm, else requireViewRealmNameList; update/delete requireManageRealm
  'GET /:realm': LIST_REALM,
  'PUT /:realm': MANAGE_REALM,
  // KeyResource.getKeyMetadata: requireViewRealm
  'GET /:realm/keys': VIEW_REALM,
  // RealmAdminResource.partialExport / partialImport: requireManageRealm
  'POST /:realm/partial-export': MANAGE_REALM,
  'POST /:realm/partialImport': MANAGE_REALM,
  // ComponentResource: getComponents / getComponent requireViewRealm; create / update / remove requireManageRealm
  'GET /:realm/components': VIEW_REALM,
  'GET /:realm/components/:id': VIEW_REALM,
  'POST /:realm/components': MANAGE_REALM,
  'PUT /:realm/components/:id': MANAGE_REALM,
  'DELETE /:realm/components/:id': MANAGE_REALM,
  // ClientsResource.getClients requireList; createClient requireManage
  'GET /:realm/clients': LIST_CLIENTS,
  'POST /:realm/clients': MANAGE_CLIENTS,
  // ClientResource: getClient requireView; update requireConfigure (manage-clients); deleteClient requireManage
  'GET /:realm/clients/:id': VIEW_CLIENTS,
  'PUT /:realm/clients/:id': MANAGE_CLIENTS,
  'DELETE /:realm/clients/:id': MANAGE_CLIENTS,
  // ClientResource.getClientSecret requireManage; regenerateSecret requireConfigure
  'GET /:realm/clients/:id/client-secret': MANAGE_CLIENTS,
  'POST /:realm/clients/:id/client-secret': MANAGE_CLIENTS,
  // ClientResource.getInstallationProvider / getServiceAccountUser requireView
  'GET /:realm/clients/:id/installation/providers/:providerId': VIEW_CLIENTS,
  'GET /:realm/clients/:id/service-account-user': VIEW_CLIENTS,
  // RoleContainerResource (realm): getRoles requireList; getRole requireView(realm); create/update/delete requireManage(realm)
  'GET /:realm/roles': ANY,
  'POST /:realm/roles': MANAGE_REALM,
  'GET /:realm/roles/:name': VIEW_REALM,
  'PUT /:realm/roles/:name': MANAGE_REALM,
  'DELETE /:realm/roles/:name': MANAGE_REALM,
  'GET /:realm/roles/:name/composites': VIEW_REALM,
  'GET /:realm/roles/:name/composites/realm': VIEW_REALM,
  'GET /:realm/roles/:name/composites/clients/:clientUuid': VIEW_REALM,
  'POST /:realm/roles/:name/composites': MANAGE_REALM,
  'DELETE /:realm/roles/:name/composites': MANAGE_REALM,
  // RoleContainerResource (client): requireView(client) = view-clients; requireManage(client) = canConfigure
  'GET /:realm/clients/:client/roles': ANY,
  'POST /:realm/clients/:client/roles': MANAGE_CLIENTS,
  'GET /:realm/clients/:client/roles/:name': VIEW_CLIENTS,
  'PUT /:realm/clients/:client/roles/:name': MANAGE_CLIENTS,
  'DELETE /:realm/clients/:client/roles/:name': MANAGE_CLIENTS,
  'GET /:realm/clients/:client/roles/:name/composites': VIEW_CLIENTS,
  'GET /:realm/clients/:client/roles/:name/composites/realm': VIEW_CLIENTS,
  'GET /:realm/clients/:client/roles/:name/composites/clients/:clientUuid': VIEW_CLIENTS,
  'POST /:realm/clients/:client/roles/:name/composites': MANAGE_CLIENTS,
  'DELETE /:realm/clients/:client/roles/:name/composites': MANAGE_CLIENTS,
  // RoleByIdResource on a realm role (the read targets one): requireView / requireManage of the realm.
  // Writes name no role: RoleByIdResource.getRoleModel answers 404 before any container check,
  // after AdminRoot let any admin in (roles.list).
  'GET /:realm/roles-by-id/:id': VIEW_REALM,
  'PUT /:realm/roles-by-id/:id': ANY,
  'DELETE /:realm/roles-by-id/:id': ANY,
  'GET /:realm/roles-by-id/:id/composites': VIEW_REALM,
  'GET /:realm/roles-by-id/:id/composites/realm': VIEW_REALM,
  'GET /:realm/roles-by-id/:id/composites/clients/:clientUuid': VIEW_REALM,
  'POST /:realm/roles-by-id/:id/composites': ANY,
  'DELETE /:realm/roles-by-id/:id/composites': ANY,
  // UsersResource.getUsers / getUsersCount requireQuery; createUser requireManage
  'GET /:realm/users': QUERY_USERS,
  'GET /:realm/users/count': QUERY_USERS,
  'POST /:realm/users': MANAGE_USERS,
  // UserResource: getUser requireView(user); updateUser / deleteUser / resetPassword requireManage(user)
  'GET /:realm/users/:id': VIEW_USERS,
  'PUT /:realm/users/:id': MANAGE_USERS,
  'DELETE /:realm/users/:id': MANAGE_USERS,
  'PUT /:realm/users/:id/reset-password': MANAGE_USERS,
  // RoleMapperResource for a user: viewPermission requireView(user); managePermission requireMapRoles(user) = canManage(user)
  'GET /:realm/users/:id/role-mappings': VIEW_USERS,
  'GET /:realm/users/:id/role-mappings/realm': VIEW_USERS,
  'GET /:realm/users/:id/role-mappings/realm/composite': VIEW_USERS,
  'GET /:realm/users/:id/role-mappings/realm/available': VIEW_USERS,
  'POST /:realm/users/:id/role-mappings/realm': MANAGE_USERS,
  'DELETE /:realm/users/:id/role-mappings/realm': MANAGE_USERS,
  'GET /:realm/users/:id/role-mappings/clients/:client': VIEW_USERS,
  'GET /:realm/users/:id/role-mappings/clients/:client/composite': VIEW_USERS,
  'GET /:realm/users/:id/role-mappings/clients/:client/available': VIEW_USERS,
  'POST /:realm/users/:id/role-mappings/clients/:client': MANAGE_USERS,
  'DELETE /:realm/users/:id/role-mappings/clients/:client': MANAGE_USERS,
  // UserResource.groupMembership / getGroupMembershipCount requireView(user); joinGroup / removeMembership requireManageGroupMembership(user)
  'GET /:realm/users/:id/groups': VIEW_USERS,
  'GET /:realm/users/:id/groups/count': VIEW_USERS,
  'PUT /:realm/users/:id/groups/:groupId': MANAGE_USERS,
  'DELETE /:realm/users/:id/groups/:groupId': MANAGE_USERS,
  // GroupsResource.getGroups / getGroupCount requireList; addTopLevelGroup requireManage
  'GET /:realm/groups': LIST_GROUPS,
  'GET /:realm/groups/count': LIST_GROUPS,
  'POST /:realm/groups': MANAGE_USERS,
  // GroupResource: getGroup / getSubGroups requireView(group); update / delete / addChild requireManage(group); getMembers requireViewMembers (users canView)
  'GET /:realm/groups/:id': VIEW_USERS,
  'GET /:realm/groups/:id/children': VIEW_USERS,
  'POST /:realm/groups/:id/children': MANAGE_USERS,
  'PUT /:realm/groups/:id': MANAGE_USERS,
  'DELETE /:realm/groups/:id': MANAGE_USERS,
  'GET /:realm/groups/:id/members': VIEW_USERS,
  // RoleMapperResource for a group: requireView(group) / requireManage(group)
  'GET /:realm/groups/:id/role-mappings': VIEW_USERS,
  'GET /:realm/groups/:id/role-mappings/realm': VIEW_USERS,
  'GET /:realm/groups/:id/role-mappings/realm/composite': VIEW_USERS,
  'GET /:realm/groups/:id/role-mappings/realm/available': VIEW_USERS,
  'POST /:realm/groups/:id/role-mappings/realm': MANAGE_USERS,
  'DELETE /:realm/groups/:id/role-mappings/realm': MANAGE_USERS,
  'GET /:realm/groups/:id/role-mappings/clients/:client': VIEW_USERS,
  'GET /:realm/groups/:id/role-mappings/clients/:client/composite': VIEW_USERS,
  'GET /:realm/groups/:id/role-mappings/clients/:client/available': VIEW_USERS,
  'POST /:realm/groups/:id/role-mappings/clients/:client': MANAGE_USERS,
  'DELETE /:realm/groups/:id/role-mappings/clients/:client': MANAGE_USERS,
  // ClientScopesResource.getClientScopes requireListClientScopes; createClientScope requireManageClientScopes;
  // ClientScopeResource getClientScope requireView(scope) = view-clients; update / delete requireManage(scope)
  'GET /:realm/client-scopes': LIST_SCOPES,
  'POST /:realm/client-scopes': MANAGE_CLIENTS,
  'GET /:realm/client-scopes/:id': VIEW_CLIENTS,
  'PUT /:realm/client-scopes/:id': MANAGE_CLIENTS,
  'DELETE /:realm/client-scopes/:id': MANAGE_CLIENTS,
  // RealmAdminResource default client scopes: requireViewClientScopes (= clients canView) / requireManageClientScopes
  'GET /:realm/default-default-client-scopes': VIEW_CLIENTS,
  'PUT /:realm/default-default-client-scopes/:clientScopeId': MANAGE_CLIENTS,
  'DELETE /:realm/default-default-client-scopes/:clientScopeId': MANAGE_CLIENTS,
  'GET /:realm/default-optional-client-scopes': VIEW_CLIENTS,
  'PUT /:realm/default-optional-client-scopes/:clientScopeId': MANAGE_CLIENTS,
  'DELETE /:realm/default-optional-client-scopes/:clientScopeId': MANAGE_CLIENTS,
  // ClientResource default/optional client scopes: requireView(client); add/remove requireManage(client)
  'GET /:realm/clients/:id/default-client-scopes': VIEW_CLIENTS,
  'PUT /:realm/clients/:id/default-client-scopes/:clientScopeId': MANAGE_CLIENTS,
  'DELETE /:realm/clients/:id/default-client-scopes/:clientScopeId': MANAGE_CLIENTS,
  'GET /:realm/clients/:id/optional-client-scopes': VIEW_CLIENTS,
  'PUT /:realm/clients/:id/optional-client-scopes/:clientScopeId': MANAGE_CLIENTS,
  'DELETE /:realm/clients/:id/optional-client-scopes/:clientScopeId': MANAGE_CLIENTS,
  // ProtocolMappersResource of a client (requireView / requireConfigure) and of a client scope (requireView / requireManage)
  'GET /:realm/clients/:id/protocol-mappers/models': VIEW_CLIENTS,
  'GET /:realm/clients/:id/protocol-mappers/protocol/:protocol': VIEW_CLIENTS,
  'POST /:realm/clients/:id/protocol-mappers/models': MANAGE_CLIENTS,
  'POST /:realm/clients/:id/protocol-mappers/add-models': MANAGE_CLIENTS,
  'GET /:realm/clients/:id/protocol-mappers/models/:mapperId': VIEW_CLIENTS,
  'PUT /:realm/clients/:id/protocol-mappers/models/:mapperId': MANAGE_CLIENTS,
  'DELETE /:realm/clients/:id/protocol-mappers/models/:mapperId': MANAGE_CLIENTS,
  'GET /:realm/client-scopes/:id/protocol-mappers/models': VIEW_CLIENTS,
  'GET /:realm/client-scopes/:id/protocol-mappers/protocol/:protocol': VIEW_CLIENTS,
  'POST /:realm/client-scopes/:id/protocol-mappers/models': MANAGE_CLIENTS,
  'POST /:realm/client-scopes/:id/protocol-mappers/add-models': MANAGE_CLIENTS,
  'GET /:realm/client-scopes/:id/protocol-mappers/models/:mapperId': VIEW_CLIENTS,
  'PUT /:realm/client-scopes/:id/protocol-mappers/models/:mapperId': MANAGE_CLIENTS,
  'DELETE /:realm/client-scopes/:id/protocol-mappers/models/:mapperId': MANAGE_CLIENTS,
  // ScopeMappedResource (ClientResource.getScopeMappedResource: requireView / requireManage(client); client scope alike)
  'GET /:realm/clients/:id/scope-mappings': VIEW_CLIENTS,
  'GET /:realm/clients/:id/scope-mappings/realm': VIEW_CLIENTS,
  'GET /:realm/clients/:id/scope-mappings/realm/composite': VIEW_CLIENTS,
  'GET /:realm/clients/:id/scope-mappings/realm/available': VIEW_CLIENTS,
  'POST /:realm/clients/:id/scope-mappings/realm': MANAGE_CLIENTS,
  'DELETE /:realm/clients/:id/scope-mappings/realm': MANAGE_CLIENTS,
  'GET /:realm/clients/:id/scope-mappings/clients/:client': VIEW_CLIENTS,
  'GET /:realm/clients/:id/scope-mappings/clients/:client/composite': VIEW_CLIENTS,
  'GET /:realm/clients/:id/scope-mappings/clients/:client/available': VIEW_CLIENTS,
  'POST /:realm/clients/:id/scope-mappings/clients/:client': MANAGE_CLIENTS,
  'DELETE /:realm/clients/:id/scope-mappings/clients/:client': MANAGE_CLIENTS,
  'GET /:realm/client-scopes/:id/scope-mappings': VIEW_CLIENTS,
  'GET /:realm/client-scopes/:id/scope-mappings/realm': VIEW_CLIENTS,
  'GET /:realm/client-scopes/:id/scope-mappings/realm/composite': VIEW_CLIENTS,
  'GET /:realm/client-scopes/:id/scope-mappings/realm/available': VIEW_CLIENTS,
  'POST /:realm/client-scopes/:id/scope-mappings/realm': MANAGE_CLIENTS,
  'DELETE /:realm/client-scopes/:id/scope-mappings/realm': MANAGE_CLIENTS,
  'GET /:realm/client-scopes/:id/scope-mappings/clients/:client': VIEW_CLIENTS,
  'GET /:realm/client-scopes/:id/scope-mappings/clients/:client/composite': VIEW_CLIENTS,
  'GET /:realm/client-scopes/:id/scope-mappings/clients/:client/available': VIEW_CLIENTS,
  'POST /:realm/client-scopes/:id/scope-mappings/clients/:client': MANAGE_CLIENTS,
  'DELETE /:realm/client-scopes/:id/scope-mappings/clients/:client': MANAGE_CLIENTS,
  // ClientScopeEvaluateResource: requireView(client)
  'GET /:realm/clients/:id/evaluate-scopes/protocol-mappers': VIEW_CLIENTS,
  'GET /:realm/clients/:id/evaluate-scopes/generate-example-access-token': VIEW_CLIENTS,
  'GET /:realm/clients/:id/evaluate-scopes/generate-example-id-token': VIEW_CLIENTS,
  'GET /:realm/clients/:id/evaluate-scopes/generate-example-userinfo': VIEW_CLIENTS,
  'GET /:realm/clients/:id/evaluate-scopes/scope-mappings/:container/granted': VIEW_CLIENTS,
  'GET /:realm/clients/:id/evaluate-scopes/scope-mappings/:container/not-granted': VIEW_CLIENTS,
  // AttackDetectionResource: bruteForceUserStatus requireView; clearBruteForceForUser / clearAllBruteForce requireManage
  'GET /:realm/attack-detection/brute-force/users/:id': VIEW_USERS,
  'DELETE /:realm/attack-detection/brute-force/users/:id': MANAGE_USERS,
  'DELETE /:realm/attack-detection/brute-force/users': MANAGE_USERS,
  // RealmAdminResource events: getRealmEventsConfig / getEvents / getEvents(admin) requireViewEvents; updateRealmEventsConfig requireManageEvents
  'GET /:realm/events/config': VIEW_EVENTS,
  'PUT /:realm/events/config': MANAGE_EVENTS,
  'GET /:realm/events': VIEW_EVENTS,
  'GET /:realm/admin-events': VIEW_EVENTS,
  // IdentityProvidersResource.getIdentityProviders: requireViewIdentityProviders
  'GET /:realm/identity-provider/instances': VIEW_IDP,
  // AuthenticationManagementResource.getFlows: requireViewAuthenticationFlows (RealmPermissions:
  // canViewRealm() || QUERY_CLIENTS); getExecutions: requireViewRealm
  'GET /:realm/authentication/flows': [...VIEW_REALM, 'query-clients'],
  // getClientAuthenticatorProviders: requireViewClientAuthenticatorProviders (canViewRealm() || QUERY_CLIENTS)
  'GET /:realm/authentication/client-authenticator-providers': [...VIEW_REALM, 'query-clients'],
  'GET /:realm/authentication/flows/:flowAlias/executions': VIEW_REALM,
  // admin-ui-ext UIRealmsResource.getRealms filters (canView || isAdmin): any admin of the realm
  'GET /:realm/ui-ext/realms/names': ANY,
  // AvailableRoleMappingResource / EffectiveRoleMappingResource: users requireView(user), groups requireView(group)
  'GET /:realm/ui-ext/available-roles/users/:id': VIEW_USERS,
  'GET /:realm/ui-ext/effective-roles/users/:id': VIEW_USERS,
  'GET /:realm/ui-ext/available-roles/groups/:id': VIEW_USERS,
  'GET /:realm/ui-ext/effective-roles/groups/:id': VIEW_USERS,
  // AvailableRoleMappingResource clients / clientScopes: clients().requireView (ClientPermissions
  // canView); roles: no check of its own (any admin reaches it); AllEffectiveRoleMappingResource
  // (effective-roles-all, the 26.7 console's call): users requireView(user), groups
  // requireView(group), clients / clientScopes requireView, roles roles().requireView(role)
  // (RolePermissions.canView: a realm role's view-realm)
  'GET /:realm/ui-ext/available-roles/clients/:id': VIEW_CLIENTS,
  'GET /:realm/ui-ext/available-roles/clientScopes/:id': VIEW_CLIENTS,
  'GET /:realm/ui-ext/available-roles/roles/:id': ANY,
  'GET /:realm/ui-ext/effective-roles-all/users/:id': VIEW_USERS,
  'GET /:realm/ui-ext/effective-roles-all/groups/:id': VIEW_USERS,
  'GET /:realm/ui-ext/effective-roles-all/clients/:id': VIEW_CLIENTS,
  'GET /:realm/ui-ext/effective-roles-all/clientScopes/:id': VIEW_CLIENTS,
  'GET /:realm/ui-ext/effective-roles-all/roles/:id': VIEW_REALM,
  // BruteForceUsersResource.searchUser: requireQuery
  'GET /:realm/ui-ext/brute-force-user': QUERY_USERS,
  // AuthenticationManagementResource required actions: getRequiredActions, getRequiredAction,
  // getUnregisteredRequiredActions requireViewRealm; update, remove, raise/lower priority,
  // registerRequiredAction requireManageRealm
  // (getRequiredActions: requireViewRequiredActions, RealmPermissions: canViewRealm() || QUERY_USERS)
  'GET /:realm/authentication/required-actions': [...VIEW_REALM, 'query-users'],
  'GET /:realm/authentication/required-actions/:alias': VIEW_REALM,
  'PUT /:realm/authentication/required-actions/:alias': MANAGE_REALM,
  'DELETE /:realm/authentication/required-actions/:alias': MANAGE_REALM,
  'POST /:realm/authentication/required-actions/:alias/raise-priority': MANAGE_REALM,
  'POST /:realm/authentication/required-actions/:alias/lower-priority': MANAGE_REALM,
  'GET /:realm/authentication/unregistered-required-actions': VIEW_REALM,
  'POST /:realm/authentication/register-required-action': MANAGE_REALM,
  // UserResource.credentials: auth.users().requireView(user); removeCredential: requireManage(user)
  'GET /:realm/users/:id/credentials': VIEW_USERS,
  'DELETE /:realm/users/:id/credentials/:credentialId': MANAGE_USERS,
  // UserResource.setCredentialUserLabel: requireResetPassword(user) (manage-users);
  // getUnmanagedAttributes: requireView(user)
  'PUT /:realm/users/:id/credentials/:credentialId/userLabel': MANAGE_USERS,
  'GET /:realm/users/:id/unmanagedAttributes': VIEW_USERS,
  // UserResource.impersonate: requireImpersonate(user) (UserPermissions.canImpersonate:
  // IMPERSONATION); this server then refuses it as a Keycloak without the feature (501)
  'POST /:realm/users/:id/impersonation': ['impersonation'],
  // UserResource.executeActionsEmail / sendVerifyEmail: requireManage(user)
  'PUT /:realm/users/:id/execute-actions-email': MANAGE_USERS,
  'PUT /:realm/users/:id/send-verify-email': MANAGE_USERS,
  // RealmAdminResource.testSMTPConnection: auth.realm().requireManageRealm()
  'POST /:realm/testSMTPConnection': MANAGE_REALM,
  // UserResource.getSessions / getOfflineSessions / getConsents: requireView(user); logout / revokeConsent: requireManage(user)
  'GET /:realm/users/:id/sessions': VIEW_USERS,
  'GET /:realm/users/:id/offline-sessions/:clientUuid': VIEW_USERS,
  'POST /:realm/users/:id/logout': MANAGE_USERS,
  'GET /:realm/users/:id/consents': VIEW_USERS,
  'DELETE /:realm/users/:id/consents/:client': MANAGE_USERS,
  // RealmAdminResource.deleteSession / logoutAll: auth.users().requireManage(); getClientSessionStats: requireViewRealm
  'DELETE /:realm/sessions/:session': MANAGE_USERS,
  'GET /:realm/client-session-stats': VIEW_REALM,
  // ClientResource.getUserSessions / getOfflineUserSessions / getApplicationSessionCount / getOfflineSessionCount: auth.clients().requireView(client)
  'GET /:realm/clients/:id/user-sessions': VIEW_CLIENTS,
  'GET /:realm/clients/:id/offline-sessions': VIEW_CLIENTS,
  'GET /:realm/clients/:id/session-count': VIEW_CLIENTS,
  'GET /:realm/clients/:id/offline-session-count': VIEW_CLIENTS,
};
/**
 * Routes checked on their own: not one realm (`GET /`, `POST /`), ending every session of X
 * (`POST /:realm/logout-all`, the callers' too), or destroying X (`DELETE /:realm`).
 */
const OWN_TESTS = ['GET /', 'POST /', 'POST /:realm/logout-all', 'DELETE /:realm'];
/** RealmAdminResource.logoutAll: auth.users().requireManage() */
const LOGOUT_ALL = MANAGE_USERS;

/** RealmManager.addQueryCompositeRoles: a holder of view-users holds query-users and query-groups too. */
const IMPLIES: Record<string, string[]> = {
  'view-users': ['query-users', 'query-groups'],
  'view-clients': ['query-clients'],
};
/** Keycloak lets `caller` through a check passed by `allowed` (realm-admin: every role). */
const passes = (caller: string, allowed: string[]) =>
  caller === 'realm-admin' || [caller, ...(IMPLIES[caller] ?? [])].some((r) => allowed.includes(r));

const PASSWORD = 'role-matrix-password-1';
const NOTHING = '00000000-0000-4000-8000-00000000dead';
const CALLERS = ['no admin role', ...ROLES, 'realm-admin'];

const realmFixture = {
  realm: 'rm',
  // The matrix takes minutes: tokens outlive it.
  accessTokenLifespan: 3600,
  roles: { realm: [{ name: 'rm-role' }], client: { 'rm-app': [{ name: 'rm-crole' }] } },
  groups: [{ name: 'rm-group' }],
  clients: [
    {
      clientId: 'rm-app',
      secret: 'rm-app-secret',
      publicClient: false,
      serviceAccountsEnabled: true,
      redirectUris: ['https://rm.example/*'],
      protocolMappers: [
        {
          name: 'rm-claim',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-hardcoded-claim-mapper',
          config: { 'claim.name': 'c', 'claim.value': 'v' },
        },
      ],
    },
  ],
  users: [
    { username: 'rm-user', realmRoles: ['rm-role'], groups: ['/rm-group'] },
    ...CALLERS.map((caller, i) => ({
      username: `caller-${i}`,
      credentials: [{ type: 'password', value: PASSWORD }],
      clientRoles: caller === 'no admin role' ? {} : { 'realm-management': [caller] },
    })),
  ],
};

/** The ids a read fills in (writes get NOTHING). */
interface Ids {
  user: string;
  client: string;
  group: string;
  role: string;
  clientScope: string;
  component: string;
  clientMapper: string;
  scopeMapper: string;
}

/** The route with its parameters filled: each named after the collection before it. */
function fill(route: string, method: string, ids: Ids): string {
  const value = (collection: string, param: string): string => {
    if (param === 'protocol') return 'openid-connect';
    if (param === 'providerId') return 'keycloak-oidc-keycloak-json';
    if (param === 'flowAlias') return 'browser';
    if (param === 'container') return 'rm';
    if (method !== 'GET') return NOTHING;
    if (param === 'clientUuid') return ids.client;
    const byCollection: Record<string, string> = {
      users: ids.user,
      clients: ids.client,
      groups: ids.group,
      components: ids.component,
      'roles-by-id': ids.role,
      'client-scopes': ids.clientScope,
      clientScopes: ids.clientScope,
      roles: route.includes('/ui-ext/')
        ? ids.role
        : route.includes('/clients/:client/roles')
          ? 'rm-crole'
          : 'rm-role',
      models: route.startsWith('/:realm/clients') ? ids.clientMapper : ids.scopeMapper,
    };
    return byCollection[collection] ?? NOTHING;
  };
  return route
    .replace(':realm', 'rm')
    .replace(/\/([\w-]+)\/:(\w+)/g, (_, c: string, p: string) => `/${c}/${value(c, p)}`);
}

function servedRoutes(): string[] {
  const router = adminRouter({
    db: undefined as never,
    registry: undefined as never,
    kek: Buffer.alloc(32),
    baseUrl: '',
    log: undefined as never,
    events: undefined as never,
  });
  return router.stack.flatMap((layer) =>
    layer.methods
      .filter((m) => m !== 'HEAD')
      .map((m) => `${m} ${String(layer.path).replace(/^\/admin\/realms/, '') || '/'}`),
  );
}

it('EXPECTED covers every admin route the router serves', () => {
  expect(new Set([...Object.keys(EXPECTED), ...OWN_TESTS])).toEqual(new Set(servedRoutes()));
});

describe('fine-grained realm-management roles against every admin route', () => {
  let server: TestServer;
  let root: string;
  let ids: Ids;
  const tokens: Record<string, string> = {};
  const call = (token: string, method: string, p: string, body?: unknown) =>
    adminCall(server.baseUrl, token, method, p, body);
  /** A fresh master admin token (master's access tokens live 60 s). */
  const rootToken = () => passwordToken(server.baseUrl, 'master', 'admin', 'admin-test-password');

  beforeAll(async () => {
    server = await startServer({
      realmFiles: [path.join(REPO, 'realms', 'master.json')],
      realms: [realmFixture],
    });
    root = await rootToken();
    const get = async <T>(p: string) => (await call(root, 'GET', p)).body as T;
    const [user] = await get<{ id: string }[]>('/rm/users?username=rm-user&exact=true');
    const [client] = await get<{ id: string }[]>('/rm/clients?clientId=rm-app');
    const [group] = await get<{ id: string }[]>('/rm/groups');
    const role = await get<{ id: string }>('/rm/roles/rm-role');
    const scopes =
      await get<{ id: string; protocolMappers?: { id: string }[] }[]>('/rm/client-scopes');
    const scope = scopes.find((s) => s.protocolMappers?.length) ?? scopes[0];
    const [component] = await get<{ id: string }[]>('/rm/components');
    const [mapper] = await get<{ id: string }[]>(
      `/rm/clients/${client.id}/protocol-mappers/models`,
    );
    ids = {
      user: user.id,
      client: client.id,
      group: group.id,
      role: role.id,
      clientScope: scope.id,
      component: component.id,
      clientMapper: mapper.id,
      scopeMapper: scope.protocolMappers?.[0]?.id ?? NOTHING,
    };
    for (const [i, caller] of CALLERS.entries())
      tokens[caller] = await passwordToken(server.baseUrl, 'rm', `caller-${i}`, PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it('each role is allowed exactly where Keycloak allows it (403 elsewhere)', async () => {
    const wrong: string[] = [];
    for (const caller of CALLERS) {
      for (const [key, allowedRoles] of Object.entries(EXPECTED)) {
        const [method, route] = key.split(' ');
        // No representation: `realm` renames (400), `name` is no string (400).
        const body = method === 'GET' ? undefined : { realm: 'not-rm', name: 7 };
        const answer = await call(tokens[caller], method, fill(route, method, ids), body);
        const expected = passes(caller, allowedRoles) ? 'allowed' : 403;
        const got =
          answer.status === 403
            ? 403
            : answer.status === 401 || answer.status >= 500
              ? answer.status
              : 'allowed';
        if (got !== expected)
          wrong.push(`${caller}: ${key} -> ${answer.status} (want ${expected})`);
      }
    }
    expect(wrong).toEqual([]);
  }, 600_000);

  it('GET /admin/realms lists realm rm to any of its admins (in full with view-realm), to no one else', async () => {
    for (const caller of CALLERS) {
      const answer = await call(tokens[caller], 'GET', '/');
      expect(answer.status).toBe(200);
      const listed = answer.body as { realm: string; clients?: unknown; smtpServer?: unknown }[];
      expect({ caller, realms: listed.map((r) => r.realm) }).toEqual({
        caller,
        realms: caller === 'no admin role' ? [] : ['rm'],
      });
      // RealmsAdminResource: the full representation needs view-realm (it has e.g. accessTokenLifespan).
      const full = listed[0] && 'accessTokenLifespan' in listed[0];
      if (listed.length)
        expect({ caller, full }).toEqual({
          caller,
          full: caller === 'realm-admin' || VIEW_REALM.includes(caller),
        });
      expect((await call(tokens[caller], 'POST', '/', { realm: 'by-fine' })).status).toBe(403);
    }
  });

  it('view-users alone lists and counts the users; query-users alone sees none (no fine-grained group permissions)', async () => {
    const listed = await call(tokens['view-users'], 'GET', '/rm/users?max=100');
    expect(listed.status).toBe(200);
    expect((listed.body as { username: string }[]).map((u) => u.username)).toContain('rm-user');
    const count = await call(tokens['view-users'], 'GET', '/rm/users/count');
    expect(count.body).toBe((listed.body as unknown[]).length);
    const access = (listed.body as { access: Record<string, boolean> }[])[0].access;
    expect(access).toMatchObject({ view: true, manage: false, mapRoles: false });
    expect((await call(tokens['query-users'], 'GET', '/rm/users')).body).toEqual([]);
    expect((await call(tokens['query-users'], 'GET', '/rm/users/count')).body).toBe(0);
  });

  it('a manage-users admin grants only the admin powers it has (RolePermissions.checkAdminRoles)', async () => {
    root = await rootToken();
    const token = tokens['manage-users'];
    const rm = (await call(root, 'GET', '/rm/clients?clientId=realm-management')).body as {
      id: string;
    }[];
    const rmId = rm[0].id;
    const roleOf = async (name: string) =>
      (await call(root, 'GET', `/rm/clients/${rmId}/roles/${name}`)).body as {
        id: string;
        name: string;
      };
    const grant = async (name: string) =>
      (
        await call(token, 'POST', `/rm/users/${ids.user}/role-mappings/clients/${rmId}`, [
          await roleOf(name),
        ])
      ).status;
    expect(await grant('view-users')).toBe(204);
    expect(await grant('query-clients')).toBe(204);
    expect(await grant('manage-realm')).toBe(403);
    expect(await grant('view-clients')).toBe(403);
    expect(await grant('realm-admin')).toBe(403);
    // A user made with an admin role it may not grant is refused too.
    expect(
      (
        await call(token, 'POST', '/rm/users', {
          username: 'made-by-manage-users',
          clientRoles: { 'realm-management': ['realm-admin'] },
        })
      ).status,
    ).toBe(403);
    // A manage-realm admin cannot hide realm-admin inside a composite realm role.
    const composite = await call(tokens['manage-realm'], 'POST', '/rm/roles/rm-role/composites', [
      await roleOf('realm-admin'),
    ]);
    expect(composite.status).toBe(403);
  });

  it('view-users includes query-users and query-groups, view-clients query-clients (RealmManager.addQueryCompositeRoles)', async () => {
    root = await rootToken();
    const rm = (await call(root, 'GET', '/rm/clients?clientId=realm-management')).body as {
      id: string;
    }[];
    const composites = async (name: string) =>
      (
        (await call(root, 'GET', `/rm/clients/${rm[0].id}/roles/${name}/composites`)).body as {
          name: string;
        }[]
      )
        .map((r) => r.name)
        .sort();
    expect(await composites('view-users')).toEqual(['query-groups', 'query-users']);
    expect(await composites('view-clients')).toEqual(['query-clients']);
    expect(await composites('realm-admin')).toEqual([...ROLES].sort());
  });

  it('a view-clients admin reads clients with the secret masked (StripSecretsUtils.stripClient); manage-clients reads it', async () => {
    const masked = async (caller: string) => {
      const [listed] = (await call(tokens[caller], 'GET', '/rm/clients?clientId=rm-app')).body as {
        secret?: string;
      }[];
      const one = (await call(tokens[caller], 'GET', `/rm/clients/${ids.client}`)).body as {
        secret?: string;
      };
      return [listed.secret, one.secret];
    };
    expect(await masked('view-clients')).toEqual(['**********', '**********']);
    expect(await masked('manage-clients')).toEqual(['rm-app-secret', 'rm-app-secret']);
  });

  it('POST /admin/realms/rm/logout-all: allowed to manage-users and realm-admin only (403 elsewhere)', async () => {
    const wrong: string[] = [];
    for (const caller of CALLERS) {
      const answer = await call(tokens[caller], 'POST', '/rm/logout-all');
      const expected = passes(caller, LOGOUT_ALL) ? 200 : 403;
      if (answer.status !== expected) wrong.push(`${caller}: ${answer.status} (want ${expected})`);
      // An allowed call ended every session of rm, the callers' too: each signs in again.
      if (answer.status === 200)
        for (const [i, c] of CALLERS.entries())
          tokens[c] = await passwordToken(server.baseUrl, 'rm', `caller-${i}`, PASSWORD);
    }
    expect(wrong).toEqual([]);
  });

  it('DELETE /admin/realms/rm: refused to every role but manage-realm and realm-admin', async () => {
    for (const caller of CALLERS.filter((c) => c !== 'manage-realm' && c !== 'realm-admin'))
      expect({ caller, status: (await call(tokens[caller], 'DELETE', '/rm')).status }).toEqual({
        caller,
        status: 403,
      });
    expect((await call(tokens['manage-realm'], 'DELETE', '/rm')).status).toBe(204);
  });
});

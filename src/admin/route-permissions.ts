/**
 * The permission each admin route requires, the one table the router's checks read (auth.ts
 * requireRealmAdmin looks the matched route up here). Each value is the check the Keycloak 26
 * resource method makes first (services/.../resources/admin/*Resource.java), as permissions.ts
 * defines it:
 * - RealmAdminResource: getRealm requireViewRealmNameList (a minimal representation without
 *   view-realm), updateRealm / deleteRealm / partialImport / partialExport requireManageRealm,
 *   events requireViewEvents / requireManageEvents, default client scopes requireViewClientScopes
 *   / requireManageClientScopes; KeyResource and ComponentResource requireViewRealm / requireManageRealm.
 * - ClientsResource / ClientResource: list requireList, create requireManage, get / installation /
 *   service-account-user / default-client-scopes requireView, update requireConfigure, delete
 *   and client-secret (GET and POST) requireManage; scope mappings and protocol mappers of a
 *   client requireView / requireManage; ClientScopeEvaluateResource requireView.
 * - ClientScopesResource / ClientScopeResource: list requireListClientScopes, view requireView
 *   (view-clients), the rest manage-clients.
 * - RoleContainerResource: list requireList (any admin role), get requireView(container), change
 *   requireManage(container): for the realm view-realm / manage-realm, for a client view-clients
 *   / manage-clients. RoleByIdResource checks the container of the role it finds: `roles.list`
 *   here, then roles-by-id.ts checks the container.
 * - UsersResource: list / count requireQuery (only users the caller may view are listed), create
 *   requireManage; UserResource get / groups / role mappings requireView, change requireManage
 *   (mapRoles, manageGroupMembership); AttackDetectionResource requireView / requireManage.
 * - GroupsResource list / count requireList, create requireManage; GroupResource view / manage,
 *   members requireViewMembers (users view).
 * - IdentityProvidersResource requireViewIdentityProviders; AuthenticationManagementResource
 *   requireViewRealm (required actions: view-realm to read, manage-realm to change); admin-ui-ext
 *   resources as each states.
 * - Sessions, consents, credentials and admin emails of a user: UserResource requireView /
 *   requireManage(user); RealmAdminResource logoutAll / deleteSession users().requireManage(),
 *   getClientSessionStats requireViewRealm, testSMTPConnection requireManageRealm; a client's
 *   sessions and counts ClientResource requireView(client).
 * A route missing from the table requires the whole `realm-admin` (every role).
 */
import type { Permission } from './permissions.ts';

/** `realm-admin`: the route needs every realm-management role (the default for a route not listed). */
export type RoutePermission = Permission | 'realm-admin';

export const ROUTE_PERMISSIONS: Readonly<Record<string, RoutePermission>> = {
  'GET /:realm': 'realm.list',
  'PUT /:realm': 'realm.manage',
  'GET /:realm/keys': 'realm.view',
  'POST /:realm/partial-export': 'realm.manage',
  'POST /:realm/partialImport': 'realm.manage',
  'GET /:realm/components': 'realm.view',
  'GET /:realm/components/:id': 'realm.view',
  'POST /:realm/components': 'realm.manage',
  'PUT /:realm/components/:id': 'realm.manage',
  'DELETE /:realm/components/:id': 'realm.manage',
  'GET /:realm/clients': 'clients.list',
  'POST /:realm/clients': 'clients.manage',
  'GET /:realm/clients/:id': 'clients.view',
  'PUT /:realm/clients/:id': 'clients.manage',
  'DELETE /:realm/clients/:id': 'clients.manage',
  'GET /:realm/clients/:id/client-secret': 'clients.manage',
  'POST /:realm/clients/:id/client-secret': 'clients.manage',
  'GET /:realm/clients/:id/installation/providers/:providerId': 'clients.view',
  'GET /:realm/roles': 'roles.list',
  'POST /:realm/roles': 'realm.manage',
  'GET /:realm/roles/:name': 'realm.view',
  'PUT /:realm/roles/:name': 'realm.manage',
  'DELETE /:realm/roles/:name': 'realm.manage',
  'GET /:realm/clients/:client/roles': 'roles.list',
  'POST /:realm/clients/:client/roles': 'clients.manage',
  'GET /:realm/clients/:client/roles/:name': 'clients.view',
  'PUT /:realm/clients/:client/roles/:name': 'clients.manage',
  'DELETE /:realm/clients/:client/roles/:name': 'clients.manage',
  'GET /:realm/users': 'users.query',
  'GET /:realm/users/count': 'users.query',
  'POST /:realm/users': 'users.manage',
  'GET /:realm/users/:id': 'users.view',
  'PUT /:realm/users/:id': 'users.manage',
  'DELETE /:realm/users/:id': 'users.manage',
  'PUT /:realm/users/:id/reset-password': 'users.manage',
  'GET /:realm/users/:id/role-mappings': 'users.view',
  'GET /:realm/users/:id/role-mappings/realm': 'users.view',
  'POST /:realm/users/:id/role-mappings/realm': 'users.manage',
  'DELETE /:realm/users/:id/role-mappings/realm': 'users.manage',
  'GET /:realm/users/:id/role-mappings/clients/:client': 'users.view',
  'POST /:realm/users/:id/role-mappings/clients/:client': 'users.manage',
  'DELETE /:realm/users/:id/role-mappings/clients/:client': 'users.manage',
  'GET /:realm/clients/:id/service-account-user': 'clients.view',
  'GET /:realm/roles/:name/composites': 'realm.view',
  'GET /:realm/roles/:name/composites/realm': 'realm.view',
  'GET /:realm/roles/:name/composites/clients/:clientUuid': 'realm.view',
  'POST /:realm/roles/:name/composites': 'realm.manage',
  'DELETE /:realm/roles/:name/composites': 'realm.manage',
  'GET /:realm/clients/:client/roles/:name/composites': 'clients.view',
  'GET /:realm/clients/:client/roles/:name/composites/realm': 'clients.view',
  'GET /:realm/clients/:client/roles/:name/composites/clients/:clientUuid': 'clients.view',
  'POST /:realm/clients/:client/roles/:name/composites': 'clients.manage',
  'DELETE /:realm/clients/:client/roles/:name/composites': 'clients.manage',
  'GET /:realm/roles-by-id/:id': 'roles.list',
  'PUT /:realm/roles-by-id/:id': 'roles.list',
  'GET /:realm/roles-by-id/:id/composites': 'roles.list',
  'GET /:realm/roles-by-id/:id/composites/realm': 'roles.list',
  'GET /:realm/roles-by-id/:id/composites/clients/:clientUuid': 'roles.list',
  'POST /:realm/roles-by-id/:id/composites': 'roles.list',
  'DELETE /:realm/roles-by-id/:id/composites': 'roles.list',
  'GET /:realm/client-scopes': 'clientScopes.list',
  'POST /:realm/client-scopes': 'clients.manage',
  'GET /:realm/client-scopes/:id': 'clients.view',
  'PUT /:realm/client-scopes/:id': 'clients.manage',
  'GET /:realm/default-default-client-scopes': 'clients.view',
  'PUT /:realm/default-default-client-scopes/:clientScopeId': 'clients.manage',
  'DELETE /:realm/default-default-client-scopes/:clientScopeId': 'clients.manage',
  'GET /:realm/default-optional-client-scopes': 'clients.view',
  'PUT /:realm/default-optional-client-scopes/:clientScopeId': 'clients.manage',
  'DELETE /:realm/default-optional-client-scopes/:clientScopeId': 'clients.manage',
  'GET /:realm/clients/:id/default-client-scopes': 'clients.view',
  'PUT /:realm/clients/:id/default-client-scopes/:clientScopeId': 'clients.manage',
  'DELETE /:realm/clients/:id/default-client-scopes/:clientScopeId': 'clients.manage',
  'GET /:realm/clients/:id/optional-client-scopes': 'clients.view',
  'PUT /:realm/clients/:id/optional-client-scopes/:clientScopeId': 'clients.manage',
  'DELETE /:realm/clients/:id/optional-client-scopes/:clientScopeId': 'clients.manage',
  'GET /:realm/clients/:id/protocol-mappers/models': 'clients.view',
  'GET /:realm/clients/:id/protocol-mappers/protocol/:protocol': 'clients.view',
  'POST /:realm/clients/:id/protocol-mappers/models': 'clients.manage',
  'POST /:realm/clients/:id/protocol-mappers/add-models': 'clients.manage',
  'GET /:realm/clients/:id/protocol-mappers/models/:mapperId': 'clients.view',
  'PUT /:realm/clients/:id/protocol-mappers/models/:mapperId': 'clients.manage',
  'DELETE /:realm/clients/:id/protocol-mappers/models/:mapperId': 'clients.manage',
  'GET /:realm/client-scopes/:id/protocol-mappers/models': 'clients.view',
  'GET /:realm/client-scopes/:id/protocol-mappers/protocol/:protocol': 'clients.view',
  'POST /:realm/client-scopes/:id/protocol-mappers/models': 'clients.manage',
  'POST /:realm/client-scopes/:id/protocol-mappers/add-models': 'clients.manage',
  'GET /:realm/client-scopes/:id/protocol-mappers/models/:mapperId': 'clients.view',
  'PUT /:realm/client-scopes/:id/protocol-mappers/models/:mapperId': 'clients.manage',
  'DELETE /:realm/client-scopes/:id/protocol-mappers/models/:mapperId': 'clients.manage',
  'GET /:realm/clients/:id/scope-mappings': 'clients.view',
  'GET /:realm/clients/:id/scope-mappings/realm': 'clients.view',
  'GET /:realm/clients/:id/scope-mappings/realm/composite': 'clients.view',
  'GET /:realm/clients/:id/scope-mappings/realm/available': 'clients.view',
  'POST /:realm/clients/:id/scope-mappings/realm': 'clients.manage',
  'DELETE /:realm/clients/:id/scope-mappings/realm': 'clients.manage',
  'GET /:realm/clients/:id/scope-mappings/clients/:client': 'clients.view',
  'GET /:realm/clients/:id/scope-mappings/clients/:client/composite': 'clients.view',
  'GET /:realm/clients/:id/scope-mappings/clients/:client/available': 'clients.view',
  'POST /:realm/clients/:id/scope-mappings/clients/:client': 'clients.manage',
  'DELETE /:realm/clients/:id/scope-mappings/clients/:client': 'clients.manage',
  'GET /:realm/client-scopes/:id/scope-mappings': 'clients.view',
  'GET /:realm/client-scopes/:id/scope-mappings/realm': 'clients.view',
  'GET /:realm/client-scopes/:id/scope-mappings/realm/composite': 'clients.view',
  'GET /:realm/client-scopes/:id/scope-mappings/realm/available': 'clients.view',
  'POST /:realm/client-scopes/:id/scope-mappings/realm': 'clients.manage',
  'DELETE /:realm/client-scopes/:id/scope-mappings/realm': 'clients.manage',
  'GET /:realm/client-scopes/:id/scope-mappings/clients/:client': 'clients.view',
  'GET /:realm/client-scopes/:id/scope-mappings/clients/:client/composite': 'clients.view',
  'GET /:realm/client-scopes/:id/scope-mappings/clients/:client/available': 'clients.view',
  'POST /:realm/client-scopes/:id/scope-mappings/clients/:client': 'clients.manage',
  'DELETE /:realm/client-scopes/:id/scope-mappings/clients/:client': 'clients.manage',
  'GET /:realm/clients/:id/evaluate-scopes/protocol-mappers': 'clients.view',
  'GET /:realm/clients/:id/evaluate-scopes/generate-example-access-token': 'clients.view',
  'GET /:realm/clients/:id/evaluate-scopes/generate-example-id-token': 'clients.view',
  'GET /:realm/clients/:id/evaluate-scopes/generate-example-userinfo': 'clients.view',
  'GET /:realm/clients/:id/evaluate-scopes/scope-mappings/:container/granted': 'clients.view',
  'GET /:realm/clients/:id/evaluate-scopes/scope-mappings/:container/not-granted': 'clients.view',
  'DELETE /:realm/client-scopes/:id': 'clients.manage',
  'GET /:realm/users/:id/groups': 'users.view',
  'GET /:realm/users/:id/groups/count': 'users.view',
  'PUT /:realm/users/:id/groups/:groupId': 'users.manage',
  'DELETE /:realm/users/:id/groups/:groupId': 'users.manage',
  'GET /:realm/users/:id/role-mappings/realm/composite': 'users.view',
  'GET /:realm/users/:id/role-mappings/realm/available': 'users.view',
  'GET /:realm/users/:id/role-mappings/clients/:client/composite': 'users.view',
  'GET /:realm/users/:id/role-mappings/clients/:client/available': 'users.view',
  'GET /:realm/groups': 'groups.list',
  'GET /:realm/groups/count': 'groups.list',
  'POST /:realm/groups': 'groups.manage',
  'POST /:realm/groups/:id/children': 'groups.manage',
  'GET /:realm/groups/:id': 'groups.view',
  'GET /:realm/groups/:id/children': 'groups.view',
  'PUT /:realm/groups/:id': 'groups.manage',
  'GET /:realm/groups/:id/members': 'users.view',
  'GET /:realm/groups/:id/role-mappings': 'groups.view',
  'GET /:realm/groups/:id/role-mappings/realm': 'groups.view',
  'GET /:realm/groups/:id/role-mappings/realm/composite': 'groups.view',
  'GET /:realm/groups/:id/role-mappings/realm/available': 'groups.view',
  'POST /:realm/groups/:id/role-mappings/realm': 'groups.manage',
  'DELETE /:realm/groups/:id/role-mappings/realm': 'groups.manage',
  'GET /:realm/groups/:id/role-mappings/clients/:client': 'groups.view',
  'GET /:realm/groups/:id/role-mappings/clients/:client/composite': 'groups.view',
  'GET /:realm/groups/:id/role-mappings/clients/:client/available': 'groups.view',
  'POST /:realm/groups/:id/role-mappings/clients/:client': 'groups.manage',
  'DELETE /:realm/groups/:id/role-mappings/clients/:client': 'groups.manage',
  'DELETE /:realm/groups/:id': 'groups.manage',
  'DELETE /:realm/roles-by-id/:id': 'roles.list',
  'GET /:realm/attack-detection/brute-force/users/:id': 'users.view',
  'DELETE /:realm/attack-detection/brute-force/users/:id': 'users.manage',
  'DELETE /:realm/attack-detection/brute-force/users': 'users.manage',
  'GET /:realm/events/config': 'events.view',
  'PUT /:realm/events/config': 'events.manage',
  'GET /:realm/events': 'events.view',
  'GET /:realm/admin-events': 'events.view',
  'DELETE /:realm': 'realm.manage',
  // New: identity providers (none here: empty lists), authentication flows, admin-ui-ext.
  'GET /:realm/identity-provider/instances': 'idp.view',
  // AuthenticationManagementResource.getFlows: requireViewAuthenticationFlows.
  'GET /:realm/authentication/flows': 'flows.view',
  // getClientAuthenticatorProviders: requireViewClientAuthenticatorProviders (canViewRealm() ||
  // QUERY_CLIENTS, as requireViewAuthenticationFlows).
  'GET /:realm/authentication/client-authenticator-providers': 'flows.view',
  'GET /:realm/authentication/flows/:flowAlias/executions': 'realm.view',
  'GET /:realm/ui-ext/realms/names': 'roles.list',
  'GET /:realm/ui-ext/available-roles/users/:id': 'users.view',
  'GET /:realm/ui-ext/available-roles/groups/:id': 'groups.view',
  'GET /:realm/ui-ext/effective-roles/users/:id': 'users.view',
  'GET /:realm/ui-ext/effective-roles/groups/:id': 'groups.view',
  // admin-ui-ext AvailableRoleMappingResource / AllEffectiveRoleMappingResource: a client's or
  // client scope's requireView (view-clients); a role's: any admin role here, then ui-ext-roles.ts
  // shows only the roles the caller may view (RolePermissions.canView).
  'GET /:realm/ui-ext/available-roles/clients/:id': 'clients.view',
  'GET /:realm/ui-ext/available-roles/clientScopes/:id': 'clients.view',
  'GET /:realm/ui-ext/available-roles/roles/:id': 'roles.list',
  'GET /:realm/ui-ext/effective-roles-all/users/:id': 'users.view',
  'GET /:realm/ui-ext/effective-roles-all/groups/:id': 'groups.view',
  'GET /:realm/ui-ext/effective-roles-all/clients/:id': 'clients.view',
  'GET /:realm/ui-ext/effective-roles-all/clientScopes/:id': 'clients.view',
  'GET /:realm/ui-ext/effective-roles-all/roles/:id': 'roles.list',
  'GET /:realm/ui-ext/brute-force-user': 'users.query',
  // AuthenticationManagementResource: getRequiredActions requireViewRequiredActions (view-realm
  // or query-users); getRequiredAction / getUnregisteredRequiredActions requireViewRealm;
  // updateRequiredAction, removeRequiredAction, raiseRequiredActionPriority,
  // lowerRequiredActionPriority, registerRequiredAction requireManageRealm.
  'GET /:realm/authentication/required-actions': 'requiredActions.view',
  'GET /:realm/authentication/required-actions/:alias': 'realm.view',
  'PUT /:realm/authentication/required-actions/:alias': 'realm.manage',
  'DELETE /:realm/authentication/required-actions/:alias': 'realm.manage',
  'POST /:realm/authentication/required-actions/:alias/raise-priority': 'realm.manage',
  'POST /:realm/authentication/required-actions/:alias/lower-priority': 'realm.manage',
  'GET /:realm/authentication/unregistered-required-actions': 'realm.view',
  'POST /:realm/authentication/register-required-action': 'realm.manage',
  // UserResource.credentials requireView(user); removeCredential requireManage(user).
  'GET /:realm/users/:id/credentials': 'users.view',
  // UserResource.getUnmanagedAttributes requireView(user).
  'GET /:realm/users/:id/unmanagedAttributes': 'users.view',
  // UserResource.impersonate requireImpersonate(user) (refused: user-impersonation.ts).
  'POST /:realm/users/:id/impersonation': 'users.impersonate',
  'DELETE /:realm/users/:id/credentials/:credentialId': 'users.manage',
  // UserResource.setCredentialUserLabel requireResetPassword(user): manage-users.
  'PUT /:realm/users/:id/credentials/:credentialId/userLabel': 'users.manage',
  // UserResource.executeActionsEmail / sendVerifyEmail requireManage(user);
  // RealmAdminResource.testSMTPConnection requireManageRealm.
  'PUT /:realm/users/:id/execute-actions-email': 'users.manage',
  'PUT /:realm/users/:id/send-verify-email': 'users.manage',
  'POST /:realm/testSMTPConnection': 'realm.manage',
  // UserResource.getSessions / getOfflineSessions / getConsents requireView(user); logout and
  // revokeConsent requireManage(user).
  'GET /:realm/users/:id/sessions': 'users.view',
  'GET /:realm/users/:id/offline-sessions/:clientUuid': 'users.view',
  'POST /:realm/users/:id/logout': 'users.manage',
  'GET /:realm/users/:id/consents': 'users.view',
  'DELETE /:realm/users/:id/consents/:client': 'users.manage',
  // RealmAdminResource.deleteSession / logoutAll users().requireManage(); getClientSessionStats
  // requireViewRealm.
  'DELETE /:realm/sessions/:session': 'users.manage',
  'POST /:realm/logout-all': 'users.manage',
  'GET /:realm/client-session-stats': 'realm.view',
  // ClientResource.getUserSessions / getOfflineUserSessions / getApplicationSessionCount /
  // getOfflineSessionCount requireView(client).
  'GET /:realm/clients/:id/user-sessions': 'clients.view',
  'GET /:realm/clients/:id/offline-sessions': 'clients.view',
  'GET /:realm/clients/:id/session-count': 'clients.view',
  'GET /:realm/clients/:id/offline-session-count': 'clients.view',
};

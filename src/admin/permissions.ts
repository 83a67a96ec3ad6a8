/**
 * Keycloak's admin permission evaluators without fine-grained authorization policies (the
 * "default" branch of each check): services/.../admin/permissions/RealmPermissions,
 * UserPermissions, GroupPermissions, ClientPermissions and RolePermissions, each reduced to
 * `root.hasOneAdminRole(...)` over the `realm-management` roles (AdminRoles) the caller holds
 * for the realm being administered. `has` is that set; a master `admin` holds every role.
 */

import { REALM_MANAGEMENT_ROLES } from '../realm/defaults.ts';

export { REALM_MANAGEMENT_ROLES };

/** Every permission a route of the router can require (docs/admin-api.md gives each route's). */
export type Permission =
  | 'realm.list'
  | 'realm.view'
  | 'realm.manage'
  | 'requiredActions.view'
  | 'flows.view'
  | 'events.view'
  | 'events.manage'
  | 'idp.view'
  | 'idp.manage'
  | 'authz.view'
  | 'authz.manage'
  | 'users.query'
  | 'users.view'
  | 'users.manage'
  | 'users.impersonate'
  | 'groups.list'
  | 'groups.view'
  | 'groups.manage'
  | 'clients.list'
  | 'clients.view'
  | 'clients.manage'
  | 'clientScopes.list'
  | 'roles.list';

/**
 * Which `realm-management` roles grant each permission; any one is enough (hasOneAdminRole).
 * Cited per line from Keycloak 26's evaluators.
 */
const GRANTED_BY: Record<Permission, readonly string[]> = {
  // RealmPermissions.canListRealms: canViewRealm() || QUERY_REALMS
  'realm.list': ['view-realm', 'manage-realm', 'query-realms'],
  // RealmPermissions.canViewRealmDefault / canManageRealmDefault
  'realm.view': ['view-realm', 'manage-realm'],
  'realm.manage': ['manage-realm'],
  // RealmPermissions.requireViewRequiredActions: canViewRealm() || QUERY_USERS
  'requiredActions.view': ['view-realm', 'manage-realm', 'query-users'],
  // RealmPermissions.requireViewAuthenticationFlows: canViewRealm() || QUERY_CLIENTS
  'flows.view': ['view-realm', 'manage-realm', 'query-clients'],
  // RealmPermissions.canViewEventsDefault / canManageEventsDefault
  'events.view': ['view-events', 'manage-events'],
  'events.manage': ['manage-events'],
  // RealmPermissions.canViewIdentityProvidersDefault / canManageIdentityProvidersDefault
  'idp.view': ['view-identity-providers', 'manage-identity-providers'],
  'idp.manage': ['manage-identity-providers'],
  // RealmPermissions.canViewAuthorizationDefault
  'authz.view': ['view-authorization', 'manage-authorization'],
  // RealmPermissions.canManageAuthorizationDefault: MANAGE_AUTHORIZATION, MANAGE_CLIENTS
  'authz.manage': ['manage-authorization', 'manage-clients'],
  // UserPermissions.canQuery: canView() || QUERY_USERS; canViewDefault; canManageDefault
  'users.query': ['view-users', 'manage-users', 'query-users'],
  'users.view': ['view-users', 'manage-users'],
  'users.manage': ['manage-users'],
  // UserPermissions.canImpersonate: IMPERSONATION_ROLE
  'users.impersonate': ['impersonation'],
  // GroupPermissions.canList: VIEW_USERS, MANAGE_USERS, QUERY_GROUPS; canView / canManage are the users' defaults
  'groups.list': ['view-users', 'manage-users', 'query-groups'],
  'groups.view': ['view-users', 'manage-users'],
  'groups.manage': ['manage-users'],
  // ClientPermissions.canList: canView() || QUERY_CLIENTS, QUERY_USERS; canViewClientDefault; canManageClientsDefault
  'clients.list': ['view-clients', 'manage-clients', 'query-clients', 'query-users'],
  'clients.view': ['view-clients', 'manage-clients'],
  'clients.manage': ['manage-clients'],
  // ClientPermissions.canListClientScopes: canView() || QUERY_CLIENTS
  'clientScopes.list': ['view-clients', 'manage-clients', 'query-clients'],
  // RolePermissions.canList: root.hasAnyAdminRole()
  'roles.list': REALM_MANAGEMENT_ROLES,
};

/** The caller holds one of the roles granting `permission` (a set of `realm-management` role names). */
export const can = (roles: ReadonlySet<string>, permission: Permission): boolean =>
  GRANTED_BY[permission].some((r) => roles.has(r));

/** The caller holds any admin role of the realm (MgmtPermissions.hasAnyAdminRole / RealmsPermissionEvaluator.isAdmin). */
export const isAdminOf = (roles: ReadonlySet<string>): boolean =>
  REALM_MANAGEMENT_ROLES.some((r) => roles.has(r)) || roles.has('realm-admin');

/** The per-user `access` map of a UserRepresentation (UserPermissions.getAccess), for the caller's roles. */
export function userAccess(roles: ReadonlySet<string>) {
  const manage = can(roles, 'users.manage');
  return {
    view: can(roles, 'users.view'),
    manage,
    mapRoles: manage,
    manageGroupMembership: manage,
    impersonate: false,
  };
}

/**
 * Whether the caller may grant `role` (map it to a user or group, or add it to a composite):
 * Keycloak's RolePermissions.checkAdminRoles. A role that is not an admin role (AdminRoles.ALL_ROLES)
 * is always allowed. An admin role of this realm's `realm-management` client is allowed when the
 * caller holds it, or holds the power it stands for (view-users needs users.view, manage-realm
 * needs realm.manage, ..., query-* always); `realm-admin` and any other admin role only when held.
 * An admin role of the master realm (its `admin`/`create-realm` realm roles, or a role of a
 * master `{realm}-realm` client) is refused unless held.
 * @param realmManagement the role's container is this realm's `realm-management` client
 * @param masterAdmin the role's container is the master realm or a master `{realm}-realm` client
 */
export function canGrantRole(
  roles: ReadonlySet<string>,
  role: { name: string; held: boolean; realmManagement: boolean; masterAdmin: boolean },
): boolean {
  const adminRoleNames: readonly string[] = [
    ...REALM_MANAGEMENT_ROLES,
    'realm-admin',
    'admin',
    'create-realm',
  ];
  if (!adminRoleNames.includes(role.name) || role.held) return true;
  if (role.masterAdmin) return false;
  if (!role.realmManagement) return true;
  const needs: Record<string, Permission | true> = {
    'manage-clients': 'clients.manage',
    'create-client': 'clients.manage',
    'view-clients': 'clients.view',
    'query-realms': true,
    'query-clients': true,
    'query-users': true,
    'query-groups': true,
    'manage-authorization': 'authz.manage',
    'view-authorization': 'authz.view',
    'manage-events': 'events.manage',
    'view-events': 'events.view',
    'manage-users': 'users.manage',
    'view-users': 'users.view',
    'manage-identity-providers': 'idp.manage',
    'view-identity-providers': 'idp.view',
    'manage-realm': 'realm.manage',
    'view-realm': 'realm.view',
    impersonation: 'users.impersonate',
  };
  const need = needs[role.name];
  if (need === undefined) return false;
  return need === true || can(roles, need);
}

/**
 * Realms are tenants (issue 15): a realm-admin of realm X (a user holding `realm-management` /
 * `realm-admin` of X, and a service account holding it) calls EVERY admin route the router serves,
 * aimed at realm Y and at master, with Y's and master's real ids: each call is refused (403 or
 * 404) and nothing of Y or master changes (realm representation, users and their role mappings,
 * clients, roles, components, keys, events config, compared through the super admin before and
 * after). Keycloak's rule (RealmsAdminResource / AdminAuth): a token of realm X administers only
 * realm X; only the master realm's `admin` role reaches other realms or creates realms.
 *
 * ROUTES is the one table: a route the router serves and the table lacks fails the completeness
 * test, so a new route is one new line. Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { adminCall, clientToken, passwordToken } from '../helpers/admin.ts';
import { adminRouter } from '../../src/admin/router.ts';

/** The ids a route's parameters take in one realm. */
interface Target {
  realm: string;
  user: string;
  /** internal id of a client, and one of its roles */
  client: string;
  clientRole: { id: string; name: string };
  role: { id: string; name: string };
  component: string;
  /** a top-level group, a client scope, a mapper of that scope and one of the client */
  group: string;
  clientScope: string;
  scopeMapper: string;
  clientMapper: string;
}
type Body = (t: Target) => unknown;
interface Route {
  method: string;
  route: string;
  body?: Body;
}

// One line per admin route (method, path as the router declares it, a valid body where it takes one).
const ROUTES: Route[] = [
  { method: 'GET', route: '/:realm' },
  {
    method: 'PUT',
    route: '/:realm',
    body: () => ({ displayName: 'taken over', registrationAllowed: true }),
  },
  { method: 'GET', route: '/:realm/keys' },
  { method: 'POST', route: '/:realm/partial-export' },
  {
    method: 'POST',
    route: '/:realm/partialImport',
    body: () => ({
      ifResourceExists: 'OVERWRITE',
      users: [
        {
          username: 'evil-user',
          enabled: true,
          credentials: [{ type: 'password', value: 'evil' }],
          realmRoles: ['admin'],
        },
      ],
    }),
  },
  { method: 'GET', route: '/:realm/components' },
  { method: 'GET', route: '/:realm/components/:id' },
  {
    method: 'POST',
    route: '/:realm/components',
    body: () => ({
      name: 'evil',
      providerId: 'rsa-generated',
      providerType: 'org.keycloak.keys.KeyProvider',
      config: { priority: ['1'] },
    }),
  },
  {
    method: 'PUT',
    route: '/:realm/components/:id',
    body: () => ({ config: { priority: ['999'], active: ['false'] } }),
  },
  { method: 'DELETE', route: '/:realm/components/:id' },
  { method: 'GET', route: '/:realm/clients' },
  {
    method: 'POST',
    route: '/:realm/clients',
    body: () => ({ clientId: 'evil-client', publicClient: true, directAccessGrantsEnabled: true }),
  },
  { method: 'GET', route: '/:realm/clients/:id' },
  {
    method: 'PUT',
    route: '/:realm/clients/:id',
    body: () => ({ description: 'taken over', redirectUris: ['https://evil.example/*'] }),
  },
  { method: 'DELETE', route: '/:realm/clients/:id' },
  { method: 'GET', route: '/:realm/clients/:id/client-secret' },
  { method: 'POST', route: '/:realm/clients/:id/client-secret' },
  { method: 'GET', route: '/:realm/clients/:id/installation/providers/:providerId' },
  { method: 'GET', route: '/:realm/roles' },
  { method: 'POST', route: '/:realm/roles', body: () => ({ name: 'evil-role' }) },
  { method: 'GET', route: '/:realm/roles/:name' },
  { method: 'PUT', route: '/:realm/roles/:name', body: () => ({ description: 'taken over' }) },
  { method: 'DELETE', route: '/:realm/roles/:name' },
  { method: 'GET', route: '/:realm/clients/:client/roles' },
  {
    method: 'POST',
    route: '/:realm/clients/:client/roles',
    body: () => ({ name: 'evil-client-role' }),
  },
  { method: 'GET', route: '/:realm/clients/:client/roles/:name' },
  {
    method: 'PUT',
    route: '/:realm/clients/:client/roles/:name',
    body: () => ({ description: 'taken over' }),
  },
  { method: 'DELETE', route: '/:realm/clients/:client/roles/:name' },
  { method: 'GET', route: '/:realm/users' },
  { method: 'GET', route: '/:realm/users/count' },
  {
    method: 'POST',
    route: '/:realm/users',
    body: () => ({
      username: 'evil-user',
      credentials: [{ type: 'password', value: 'evil' }],
      realmRoles: ['admin'],
    }),
  },
  { method: 'GET', route: '/:realm/users/:id' },
  {
    method: 'PUT',
    route: '/:realm/users/:id',
    body: () => ({ firstName: 'taken', email: 'evil@example.org', enabled: false }),
  },
  { method: 'DELETE', route: '/:realm/users/:id' },
  {
    method: 'PUT',
    route: '/:realm/users/:id/reset-password',
    body: () => ({ type: 'password', value: 'taken-over', temporary: false }),
  },
  // h20b: the admin emails (admin/user-emails.ts).
  {
    method: 'PUT',
    route: '/:realm/users/:id/execute-actions-email',
    body: () => ['UPDATE_PASSWORD'],
  },
  { method: 'PUT', route: '/:realm/users/:id/send-verify-email' },
  {
    method: 'POST',
    route: '/:realm/testSMTPConnection',
    body: () => ({ host: '127.0.0.1', port: '25', from: 'evil@example.org' }),
  },
  { method: 'GET', route: '/:realm/users/:id/role-mappings' },
  { method: 'GET', route: '/:realm/users/:id/role-mappings/realm' },
  { method: 'POST', route: '/:realm/users/:id/role-mappings/realm', body: (t) => [t.role] },
  { method: 'DELETE', route: '/:realm/users/:id/role-mappings/realm', body: (t) => [t.role] },
  { method: 'GET', route: '/:realm/users/:id/role-mappings/clients/:client' },
  {
    method: 'POST',
    route: '/:realm/users/:id/role-mappings/clients/:client',
    body: (t) => [t.clientRole],
  },
  {
    method: 'DELETE',
    route: '/:realm/users/:id/role-mappings/clients/:client',
    body: (t) => [t.clientRole],
  },
  { method: 'GET', route: '/:realm/clients/:id/service-account-user' },
  { method: 'GET', route: '/:realm/roles/:name/composites' },
  { method: 'GET', route: '/:realm/roles/:name/composites/realm' },
  { method: 'GET', route: '/:realm/roles/:name/composites/clients/:clientUuid' },
  { method: 'POST', route: '/:realm/roles/:name/composites', body: (t) => [t.clientRole] },
  { method: 'DELETE', route: '/:realm/roles/:name/composites', body: (t) => [t.clientRole] },
  { method: 'GET', route: '/:realm/clients/:client/roles/:name/composites' },
  { method: 'GET', route: '/:realm/clients/:client/roles/:name/composites/realm' },
  { method: 'GET', route: '/:realm/clients/:client/roles/:name/composites/clients/:clientUuid' },
  {
    method: 'POST',
    route: '/:realm/clients/:client/roles/:name/composites',
    body: (t) => [t.role],
  },
  {
    method: 'DELETE',
    route: '/:realm/clients/:client/roles/:name/composites',
    body: (t) => [t.role],
  },
  { method: 'GET', route: '/:realm/roles-by-id/:id' },
  {
    method: 'PUT',
    route: '/:realm/roles-by-id/:id',
    body: (t) => ({ name: t.role.name, description: 'taken over' }),
  },
  { method: 'GET', route: '/:realm/roles-by-id/:id/composites' },
  { method: 'GET', route: '/:realm/roles-by-id/:id/composites/realm' },
  { method: 'GET', route: '/:realm/roles-by-id/:id/composites/clients/:clientUuid' },
  { method: 'POST', route: '/:realm/roles-by-id/:id/composites', body: (t) => [t.clientRole] },
  { method: 'DELETE', route: '/:realm/roles-by-id/:id/composites', body: (t) => [t.clientRole] },
  { method: 'GET', route: '/:realm/client-scopes' },
  {
    method: 'POST',
    route: '/:realm/client-scopes',
    body: () => ({ name: 'evil-scope', protocol: 'openid-connect' }),
  },
  { method: 'GET', route: '/:realm/client-scopes/:id' },
  {
    method: 'PUT',
    route: '/:realm/client-scopes/:id',
    body: () => ({ name: 'evil-renamed', protocol: 'openid-connect' }),
  },
  { method: 'GET', route: '/:realm/default-default-client-scopes' },
  { method: 'PUT', route: '/:realm/default-default-client-scopes/:clientScopeId' },
  { method: 'DELETE', route: '/:realm/default-default-client-scopes/:clientScopeId' },
  { method: 'GET', route: '/:realm/default-optional-client-scopes' },
  { method: 'PUT', route: '/:realm/default-optional-client-scopes/:clientScopeId' },
  { method: 'DELETE', route: '/:realm/default-optional-client-scopes/:clientScopeId' },
  { method: 'GET', route: '/:realm/clients/:id/default-client-scopes' },
  { method: 'PUT', route: '/:realm/clients/:id/default-client-scopes/:clientScopeId' },
  { method: 'DELETE', route: '/:realm/clients/:id/default-client-scopes/:clientScopeId' },
  { method: 'GET', route: '/:realm/clients/:id/optional-client-scopes' },
  { method: 'PUT', route: '/:realm/clients/:id/optional-client-scopes/:clientScopeId' },
  { method: 'DELETE', route: '/:realm/clients/:id/optional-client-scopes/:clientScopeId' },
  { method: 'GET', route: '/:realm/clients/:id/protocol-mappers/models' },
  { method: 'GET', route: '/:realm/clients/:id/protocol-mappers/protocol/:protocol' },
  {
    method: 'POST',
    route: '/:realm/clients/:id/protocol-mappers/models',
    body: () => ({
      name: 'evil-mapper',
      protocol: 'openid-connect',
      flows: 'browser',
      protocolMapper: 'oidc-hardcoded-claim-mapper',
      config: { 'claim.name': 'evil', 'claim.value': 'x', 'access.token.claim': 'true' },
    }),
  },
  {
    method: 'POST',
    route: '/:realm/clients/:id/protocol-mappers/add-models',
    body: () => [
      {
        ...{
          name: 'evil-mapper',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-hardcoded-claim-mapper',
          config: { 'claim.name': 'evil', 'claim.value': 'x', 'access.token.claim': 'true' },
        },
        name: 'evil-mapper-2',
      },
    ],
  },
  { method: 'GET', route: '/:realm/clients/:id/protocol-mappers/models/:mapperId' },
  {
    method: 'PUT',
    route: '/:realm/clients/:id/protocol-mappers/models/:mapperId',
    body: () => ({
      name: 'evil-mapper',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-hardcoded-claim-mapper',
      config: { 'claim.name': 'evil', 'claim.value': 'x', 'access.token.claim': 'true' },
    }),
  },
  { method: 'DELETE', route: '/:realm/clients/:id/protocol-mappers/models/:mapperId' },
  { method: 'GET', route: '/:realm/client-scopes/:id/protocol-mappers/models' },
  { method: 'GET', route: '/:realm/client-scopes/:id/protocol-mappers/protocol/:protocol' },
  {
    method: 'POST',
    route: '/:realm/client-scopes/:id/protocol-mappers/models',
    body: () => ({
      name: 'evil-mapper',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-hardcoded-claim-mapper',
      config: { 'claim.name': 'evil', 'claim.value': 'x', 'access.token.claim': 'true' },
    }),
  },
  {
    method: 'POST',
    route: '/:realm/client-scopes/:id/protocol-mappers/add-models',
    body: () => [
      {
        ...{
          name: 'evil-mapper',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-hardcoded-claim-mapper',
          config: { 'claim.name': 'evil', 'claim.value': 'x', 'access.token.claim': 'true' },
        },
        name: 'evil-mapper-2',
      },
    ],
  },
  { method: 'GET', route: '/:realm/client-scopes/:id/protocol-mappers/models/:mapperId' },
  {
    method: 'PUT',
    route: '/:realm/client-scopes/:id/protocol-mappers/models/:mapperId',
    body: () => ({
      name: 'evil-mapper',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-hardcoded-claim-mapper',
      config: { 'claim.name': 'evil', 'claim.value': 'x', 'access.token.claim': 'true' },
    }),
  },
  { method: 'DELETE', route: '/:realm/client-scopes/:id/protocol-mappers/models/:mapperId' },
  { method: 'GET', route: '/:realm/clients/:id/scope-mappings' },
  { method: 'GET', route: '/:realm/clients/:id/scope-mappings/realm' },
  { method: 'GET', route: '/:realm/clients/:id/scope-mappings/realm/composite' },
  { method: 'GET', route: '/:realm/clients/:id/scope-mappings/realm/available' },
  { method: 'POST', route: '/:realm/clients/:id/scope-mappings/realm', body: (t) => [t.role] },
  { method: 'DELETE', route: '/:realm/clients/:id/scope-mappings/realm', body: (t) => [t.role] },
  { method: 'GET', route: '/:realm/clients/:id/scope-mappings/clients/:client' },
  { method: 'GET', route: '/:realm/clients/:id/scope-mappings/clients/:client/composite' },
  { method: 'GET', route: '/:realm/clients/:id/scope-mappings/clients/:client/available' },
  {
    method: 'POST',
    route: '/:realm/clients/:id/scope-mappings/clients/:client',
    body: (t) => [t.clientRole],
  },
  {
    method: 'DELETE',
    route: '/:realm/clients/:id/scope-mappings/clients/:client',
    body: (t) => [t.clientRole],
  },
  { method: 'GET', route: '/:realm/client-scopes/:id/scope-mappings' },
  { method: 'GET', route: '/:realm/client-scopes/:id/scope-mappings/realm' },
  { method: 'GET', route: '/:realm/client-scopes/:id/scope-mappings/realm/composite' },
  { method: 'GET', route: '/:realm/client-scopes/:id/scope-mappings/realm/available' },
  {
    method: 'POST',
    route: '/:realm/client-scopes/:id/scope-mappings/realm',
    body: (t) => [t.role],
  },
  {
    method: 'DELETE',
    route: '/:realm/client-scopes/:id/scope-mappings/realm',
    body: (t) => [t.role],
  },
  { method: 'GET', route: '/:realm/client-scopes/:id/scope-mappings/clients/:client' },
  { method: 'GET', route: '/:realm/client-scopes/:id/scope-mappings/clients/:client/composite' },
  { method: 'GET', route: '/:realm/client-scopes/:id/scope-mappings/clients/:client/available' },
  {
    method: 'POST',
    route: '/:realm/client-scopes/:id/scope-mappings/clients/:client',
    body: (t) => [t.clientRole],
  },
  {
    method: 'DELETE',
    route: '/:realm/client-scopes/:id/scope-mappings/clients/:client',
    body: (t) => [t.clientRole],
  },
  { method: 'GET', route: '/:realm/clients/:id/evaluate-scopes/protocol-mappers' },
  { method: 'GET', route: '/:realm/clients/:id/evaluate-scopes/generate-example-access-token' },
  { method: 'GET', route: '/:realm/clients/:id/evaluate-scopes/generate-example-id-token' },
  { method: 'GET', route: '/:realm/clients/:id/evaluate-scopes/generate-example-userinfo' },
  { method: 'GET', route: '/:realm/clients/:id/evaluate-scopes/scope-mappings/:container/granted' },
  {
    method: 'GET',
    route: '/:realm/clients/:id/evaluate-scopes/scope-mappings/:container/not-granted',
  },
  { method: 'DELETE', route: '/:realm/client-scopes/:id' },
  { method: 'GET', route: '/:realm/users/:id/groups' },
  { method: 'GET', route: '/:realm/users/:id/groups/count' },
  { method: 'PUT', route: '/:realm/users/:id/groups/:groupId' },
  { method: 'DELETE', route: '/:realm/users/:id/groups/:groupId' },
  { method: 'GET', route: '/:realm/users/:id/role-mappings/realm/composite' },
  { method: 'GET', route: '/:realm/users/:id/role-mappings/realm/available' },
  { method: 'GET', route: '/:realm/users/:id/role-mappings/clients/:client/composite' },
  { method: 'GET', route: '/:realm/users/:id/role-mappings/clients/:client/available' },
  { method: 'GET', route: '/:realm/groups' },
  { method: 'GET', route: '/:realm/groups/count' },
  { method: 'POST', route: '/:realm/groups', body: () => ({ name: 'evil-group' }) },
  { method: 'POST', route: '/:realm/groups/:id/children', body: () => ({ name: 'evil-child' }) },
  { method: 'GET', route: '/:realm/groups/:id' },
  { method: 'GET', route: '/:realm/groups/:id/children' },
  {
    method: 'PUT',
    route: '/:realm/groups/:id',
    body: () => ({ name: 'evil-renamed', attributes: { evil: ['yes'] } }),
  },
  { method: 'GET', route: '/:realm/groups/:id/members' },
  { method: 'GET', route: '/:realm/groups/:id/role-mappings' },
  { method: 'GET', route: '/:realm/groups/:id/role-mappings/realm' },
  { method: 'GET', route: '/:realm/groups/:id/role-mappings/realm/composite' },
  { method: 'GET', route: '/:realm/groups/:id/role-mappings/realm/available' },
  { method: 'POST', route: '/:realm/groups/:id/role-mappings/realm', body: (t) => [t.role] },
  { method: 'DELETE', route: '/:realm/groups/:id/role-mappings/realm', body: (t) => [t.role] },
  { method: 'GET', route: '/:realm/groups/:id/role-mappings/clients/:client' },
  { method: 'GET', route: '/:realm/groups/:id/role-mappings/clients/:client/composite' },
  { method: 'GET', route: '/:realm/groups/:id/role-mappings/clients/:client/available' },
  {
    method: 'POST',
    route: '/:realm/groups/:id/role-mappings/clients/:client',
    body: (t) => [t.clientRole],
  },
  {
    method: 'DELETE',
    route: '/:realm/groups/:id/role-mappings/clients/:client',
    body: (t) => [t.clientRole],
  },
  { method: 'DELETE', route: '/:realm/groups/:id' },
  { method: 'DELETE', route: '/:realm/roles-by-id/:id' },
  { method: 'GET', route: '/:realm/attack-detection/brute-force/users/:id' },
  { method: 'DELETE', route: '/:realm/attack-detection/brute-force/users/:id' },
  { method: 'DELETE', route: '/:realm/attack-detection/brute-force/users' },
  { method: 'GET', route: '/:realm/events/config' },
  {
    method: 'PUT',
    route: '/:realm/events/config',
    body: () => ({ eventsEnabled: false, adminEventsEnabled: false }),
  },
  { method: 'GET', route: '/:realm/events' },
  { method: 'GET', route: '/:realm/admin-events' },
  { method: 'GET', route: '/:realm/identity-provider/instances' },
  { method: 'GET', route: '/:realm/authentication/flows' },
  { method: 'GET', route: '/:realm/authentication/flows/:flowAlias/executions' },
  { method: 'GET', route: '/:realm/ui-ext/realms/names' },
  { method: 'GET', route: '/:realm/ui-ext/available-roles/users/:id' },
  { method: 'GET', route: '/:realm/ui-ext/effective-roles/users/:id' },
  { method: 'GET', route: '/:realm/ui-ext/available-roles/groups/:id' },
  { method: 'GET', route: '/:realm/ui-ext/effective-roles/groups/:id' },
  { method: 'GET', route: '/:realm/ui-ext/brute-force-user' },
  // h20a: required actions (admin/required-actions.ts) and user credentials (admin/user-credentials.ts).
  { method: 'GET', route: '/:realm/authentication/required-actions' },
  { method: 'GET', route: '/:realm/authentication/required-actions/:alias' },
  {
    method: 'PUT',
    route: '/:realm/authentication/required-actions/:alias',
    body: () => ({ enabled: false }),
  },
  { method: 'DELETE', route: '/:realm/authentication/required-actions/:alias' },
  { method: 'POST', route: '/:realm/authentication/required-actions/:alias/raise-priority' },
  { method: 'POST', route: '/:realm/authentication/required-actions/:alias/lower-priority' },
  { method: 'GET', route: '/:realm/authentication/unregistered-required-actions' },
  {
    method: 'POST',
    route: '/:realm/authentication/register-required-action',
    body: () => ({ providerId: 'no-such-action' }),
  },
  { method: 'GET', route: '/:realm/users/:id/credentials' },
  { method: 'DELETE', route: '/:realm/users/:id/credentials/:credentialId' },
  // h20c: sessions and consents (admin/sessions.ts).
  { method: 'GET', route: '/:realm/users/:id/sessions' },
  { method: 'GET', route: '/:realm/users/:id/offline-sessions/:clientUuid' },
  { method: 'GET', route: '/:realm/users/:id/consents' },
  { method: 'DELETE', route: '/:realm/users/:id/consents/:client' },
  { method: 'DELETE', route: '/:realm/sessions/:session' },
  { method: 'GET', route: '/:realm/client-session-stats' },
  { method: 'GET', route: '/:realm/clients/:id/user-sessions' },
  { method: 'GET', route: '/:realm/clients/:id/offline-sessions' },
  { method: 'GET', route: '/:realm/clients/:id/session-count' },
  { method: 'GET', route: '/:realm/clients/:id/offline-session-count' },
  // h21b: the Admin Console's role pickers, user pages and client authenticators.
  { method: 'GET', route: '/:realm/ui-ext/available-roles/clients/:id' },
  { method: 'GET', route: '/:realm/ui-ext/available-roles/clientScopes/:id' },
  { method: 'GET', route: '/:realm/ui-ext/available-roles/roles/:id' },
  { method: 'GET', route: '/:realm/ui-ext/effective-roles-all/users/:id' },
  { method: 'GET', route: '/:realm/ui-ext/effective-roles-all/groups/:id' },
  { method: 'GET', route: '/:realm/ui-ext/effective-roles-all/clients/:id' },
  { method: 'GET', route: '/:realm/ui-ext/effective-roles-all/clientScopes/:id' },
  { method: 'GET', route: '/:realm/ui-ext/effective-roles-all/roles/:id' },
  { method: 'GET', route: '/:realm/users/:id/unmanagedAttributes' },
  { method: 'PUT', route: '/:realm/users/:id/credentials/:credentialId/userLabel' },
  { method: 'POST', route: '/:realm/users/:id/impersonation' },
  { method: 'GET', route: '/:realm/authentication/client-authenticator-providers' },
  // Near the end: they end sessions of X in the sanity run.
  { method: 'POST', route: '/:realm/users/:id/logout' },
  { method: 'POST', route: '/:realm/logout-all' },
  // Last: the sanity run on X deletes X.
  { method: 'DELETE', route: '/:realm' },
];
/** Routes not aimed at one realm, tested on their own below. */
const SERVER_ROUTES = ['GET /', 'POST /'];

/** The route with its parameters filled from `t` (each parameter named after the collection before it). */
function fill(route: string, t: Target): string {
  const value = (collection: string): string => {
    if (collection.endsWith('client-scopes')) return t.clientScope;
    const ids: Record<string, string> = {
      users: t.user,
      clients: t.client,
      components: t.component,
      groups: t.group,
      'roles-by-id': t.role.id,
      protocol: 'openid-connect',
      'scope-mappings': t.realm,
      roles: route.includes('/clients/:client/roles') ? t.clientRole.name : t.role.name,
      models: route.startsWith('/:realm/clients') ? t.clientMapper : t.scopeMapper,
    };
    return ids[collection];
  };
  return route
    .replace(':realm', t.realm)
    .replace(
      /\/([\w-]+)\/:\w+/g,
      (_, collection: string) => `/${collection}/${encodeURIComponent(value(collection))}`,
    );
}

const PASSWORD = 'matrix-password-1';
const realmFixture = (name: string) => ({
  realm: name,
  roles: {
    realm: [{ name: `${name}-role` }],
    client: { [`${name}-app`]: [{ name: `${name}-crole` }] },
  },
  groups: [
    { name: `${name}-group`, realmRoles: [`${name}-role`], subGroups: [{ name: `${name}-sub` }] },
  ],
  clients: [
    {
      clientId: `${name}-app`,
      secret: `${name}-app-secret`,
      publicClient: false,
      standardFlowEnabled: true,
      redirectUris: [`https://${name}.example/*`],
      protocolMappers: [
        {
          name: `${name}-claim`,
          protocol: 'openid-connect',
          protocolMapper: 'oidc-hardcoded-claim-mapper',
          config: { 'claim.name': 'realm-claim', 'claim.value': name },
        },
      ],
    },
    {
      clientId: `${name}-robot`,
      secret: `${name}-robot-secret`,
      publicClient: false,
      standardFlowEnabled: false,
      serviceAccountsEnabled: true,
    },
  ],
  users: [
    {
      username: `${name}-admin`,
      credentials: [{ type: 'password', value: PASSWORD }],
      clientRoles: { 'realm-management': ['realm-admin'] },
    },
    {
      username: `${name}-user`,
      credentials: [{ type: 'password', value: PASSWORD }],
      realmRoles: [`${name}-role`],
      clientRoles: { [`${name}-app`]: [`${name}-crole`] },
      groups: [`/${name}-group/${name}-sub`],
    },
    {
      username: `service-account-${name}-robot`,
      serviceAccountClientId: `${name}-robot`,
      clientRoles: { 'realm-management': ['realm-admin'] },
    },
  ],
});

const stores = await testStores();

it('the table lists every admin route the router serves', () => {
  const router = adminRouter({
    db: undefined as never,
    registry: undefined as never,
    kek: Buffer.alloc(32),
    baseUrl: '',
    log: undefined as never,
    events: undefined as never,
  });
  const served = router.stack.flatMap((layer) =>
    layer.methods
      .filter((m) => m !== 'HEAD')
      .map((m) => `${m} ${String(layer.path).replace(/^\/admin\/realms/, '') || '/'}`),
  );
  expect(served.length).toBeGreaterThan(40);
  expect(new Set([...ROUTES.map((r) => `${r.method} ${r.route}`), ...SERVER_ROUTES])).toEqual(
    new Set(served),
  );
});

describe.each(stores)('realm-admin matrix on $name', (store) => {
  let server: TestServer;
  let root: string;
  const targets: Record<string, Target> = {};
  const callers: Record<string, string> = {};
  const call = (token: string, method: string, p: string, body?: unknown) =>
    adminCall(server.baseUrl, token, method, p, body);

  async function target(
    realm: string,
    username: string,
    clientId: string,
    clientRole: string,
    role: string,
  ): Promise<Target> {
    const get = async <T>(p: string) => (await call(root, 'GET', p)).body as T;
    const [user] = await get<{ id: string }[]>(`/${realm}/users?username=${username}&exact=true`);
    const [client] = await get<{ id: string }[]>(`/${realm}/clients?clientId=${clientId}`);
    const crole = await get<{ id: string; name: string }>(
      `/${realm}/clients/${client.id}/roles/${clientRole}`,
    );
    const rrole = await get<{ id: string; name: string }>(`/${realm}/roles/${role}`);
    const [component] = await get<{ id: string }[]>(`/${realm}/components`);
    const [group] = await get<{ id: string }[]>(`/${realm}/groups`);
    const [clientMapper] = await get<{ id: string }[]>(
      `/${realm}/clients/${client.id}/protocol-mappers/models`,
    );
    const [scope] = await get<{ id: string; protocolMappers?: { id: string }[] }[]>(
      `/${realm}/client-scopes`,
    );
    // master keeps Keycloak's implicit scopes (none is created there): its scope and mapper ids are
    // made up, refused before any lookup.
    const none = '00000000-0000-4000-8000-00000000000f';
    return {
      realm,
      user: user.id,
      client: client.id,
      clientRole: { id: crole.id, name: crole.name },
      role: { id: rrole.id, name: rrole.name },
      component: component.id,
      group: group.id,
      clientScope: scope?.id ?? none,
      scopeMapper: scope?.protocolMappers?.[0]?.id ?? none,
      clientMapper: clientMapper?.id ?? none,
    };
  }

  /** A client scope with one mapper in `realm`, made through the admin API (a realm file's `clientScopes` would replace Keycloak's built-ins). */
  async function addScope(realm: string): Promise<void> {
    const mapper = {
      name: `${realm}-scope-claim`,
      protocol: 'openid-connect',
      protocolMapper: 'oidc-hardcoded-claim-mapper',
      config: { 'claim.name': 'scope-claim', 'claim.value': realm },
    };
    expect(
      (
        await call(root, 'POST', `/${realm}/client-scopes`, {
          name: `${realm}-scope`,
          protocol: 'openid-connect',
          protocolMappers: [mapper],
        })
      ).status,
    ).toBe(201);
  }

  /** A token of X's realm-admin user (a new session). */
  const xAdminToken = () => passwordToken(server.baseUrl, 'mx', 'mx-admin', PASSWORD);

  /** Everything of `realm` an admin can read, through the super admin. */
  async function snapshot(realm: string): Promise<Record<string, unknown>> {
    const get = async (p: string) => {
      const answer = await call(root, 'GET', p);
      expect({ p, status: answer.status }).toEqual({ p, status: 200 });
      return answer.body;
    };
    const users = (await get(`/${realm}/users?max=1000`)) as { id: string }[];
    const clients = (await get(`/${realm}/clients`)) as { id: string }[];
    const groups = (await get(`/${realm}/groups?search=&briefRepresentation=false`)) as {
      id: string;
      subGroups: { id: string }[];
    }[];
    const groupIds = groups.flatMap((g) => [g.id, ...g.subGroups.map((c) => c.id)]);
    const scopes = (await get(`/${realm}/client-scopes`)) as { id: string }[];
    const roles = (await get(`/${realm}/roles`)) as { id: string }[];
    const ofGroup = async (id: string) => ({
      group: await get(`/${realm}/groups/${id}`),
      members: await get(`/${realm}/groups/${id}/members`),
      mappings: await get(`/${realm}/groups/${id}/role-mappings`),
    });
    const ofClient = async (id: string) => ({
      mappers: await get(`/${realm}/clients/${id}/protocol-mappers/models`),
      defaults: await get(`/${realm}/clients/${id}/default-client-scopes`),
      optional: await get(`/${realm}/clients/${id}/optional-client-scopes`),
    });
    return {
      groups,
      groupDetails: await Promise.all(groupIds.map(ofGroup)),
      userGroups: await Promise.all(users.map((u) => get(`/${realm}/users/${u.id}/groups`))),
      scopes,
      scopeMappers: await Promise.all(
        scopes.map((c) => get(`/${realm}/client-scopes/${c.id}/protocol-mappers/models`)),
      ),
      defaultScopes: await get(`/${realm}/default-default-client-scopes`),
      optionalScopes: await get(`/${realm}/default-optional-client-scopes`),
      clientDetails: await Promise.all(clients.map((c) => ofClient(c.id))),
      scopeMappings: await Promise.all([
        ...clients.map((c) => get(`/${realm}/clients/${c.id}/scope-mappings`)),
        ...scopes.map((c) => get(`/${realm}/client-scopes/${c.id}/scope-mappings`)),
      ]),
      composites: await Promise.all(
        roles.map((r) => get(`/${realm}/roles-by-id/${r.id}/composites`)),
      ),
      realm: await get(`/${realm}`),
      users,
      clients,
      roles: await get(`/${realm}/roles`),
      components: await get(`/${realm}/components`),
      keys: await get(`/${realm}/keys`),
      events: await get(`/${realm}/events/config`),
      userCount: await get(`/${realm}/users/count`),
      mappings: await Promise.all(users.map((u) => get(`/${realm}/users/${u.id}/role-mappings`))),
      clientRoles: await Promise.all(clients.map((c) => get(`/${realm}/clients/${c.id}/roles`))),
      secrets: await Promise.all(
        clients
          .filter(
            (c) =>
              !(c as { publicClient?: boolean }).publicClient &&
              !(c as { bearerOnly?: boolean }).bearerOnly,
          )
          .map((c) => get(`/${realm}/clients/${c.id}/client-secret`)),
      ),
    };
  }

  beforeAll(async () => {
    server = await startStoreServer(store, {
      realms: [realmFixture('mx'), realmFixture('my')],
    });
    root = await passwordToken(server.baseUrl, 'master', 'admin', 'admin-test-password');
    await addScope('my');
    await addScope('mx');
    expect((await call(root, 'POST', '/master/groups', { name: 'master-group' })).status).toBe(201);
    targets.Y = await target('my', 'my-user', 'my-app', 'my-crole', 'my-role');
    targets.master = await target('master', 'admin', 'realm-management', 'realm-admin', 'admin');
    targets.X = await target('mx', 'mx-user', 'mx-app', 'mx-crole', 'mx-role');
    callers['realm-admin user of X'] = await xAdminToken();
    callers['realm-admin service account of X'] = await clientToken(
      server.baseUrl,
      'mx',
      'mx-robot',
      'mx-robot-secret',
    );
  }, 120_000);
  afterAll(() => server?.close());

  for (const caller of ['realm-admin user of X', 'realm-admin service account of X']) {
    it(`${caller}: every route aimed at realm Y or master is refused, and nothing of Y or master changes`, async () => {
      const before = { Y: await snapshot('my'), master: await snapshot('master') };
      const answers: string[] = [];
      for (const name of ['Y', 'master']) {
        for (const { method, route, body } of ROUTES) {
          const answer = await call(
            callers[caller],
            method,
            fill(route, targets[name]),
            body?.(targets[name]),
          );
          answers.push(
            `${method} ${route} -> ${name}: ${[403, 404].includes(answer.status) ? 'refused' : answer.status}`,
          );
        }
      }
      expect(answers.filter((a) => !a.endsWith('refused'))).toEqual([]);
      expect({ Y: await snapshot('my'), master: await snapshot('master') }).toEqual(before);
      // The passwords of Y's and master's users are the ones they had.
      await passwordToken(server.baseUrl, 'my', 'my-user', PASSWORD);
      await passwordToken(server.baseUrl, 'master', 'admin', 'admin-test-password');
    });
  }

  it("X's admin lists only realm X, cannot create a realm, cannot delete or rename into master", async () => {
    const token = callers['realm-admin user of X'];
    const listed = await call(token, 'GET', '/');
    expect(listed.status).toBe(200);
    expect((listed.body as { realm: string }[]).map((r) => r.realm)).toEqual(['mx']);
    expect((await call(token, 'POST', '/', { realm: 'made-by-x' })).status).toBe(403);
    expect((await call(root, 'GET', '/made-by-x')).status).toBe(404);
    expect((await call(token, 'DELETE', '/master')).status).toBe(403);
    expect((await call(token, 'PUT', '/mx', { realm: 'my' })).status).toBe(400);
    expect((await call(token, 'PUT', '/mx', { realm: 'master' })).status).toBe(400);
  });

  it("X's admin cannot grant itself roles of master's realm-management, nor make X yield admin of another realm", async () => {
    // master's access tokens live 60 s: a fresh one for the snapshots.
    root = await passwordToken(server.baseUrl, 'master', 'admin', 'admin-test-password');
    const token = callers['realm-admin user of X'];
    const before = { Y: await snapshot('my'), master: await snapshot('master') };
    const [self] = (await call(token, 'GET', '/mx/users?username=mx-admin&exact=true')).body as {
      id: string;
    }[];
    const master = targets.master;
    // master's realm-management client and its realm-admin role, mapped to X's own user.
    expect(
      (
        await call(token, 'POST', `/mx/users/${self.id}/role-mappings/clients/${master.client}`, [
          master.clientRole,
        ])
      ).status,
    ).toBe(404);
    expect(
      (
        await call(
          token,
          'POST',
          `/master/users/${master.user}/role-mappings/clients/${master.client}`,
          [master.clientRole],
        )
      ).status,
    ).toBe(403);
    expect(
      (await call(token, 'POST', `/mx/users/${self.id}/role-mappings/realm`, [master.role])).status,
    ).toBe(404);
    // An `admin` realm role, a "master-realm" client and realm-admin users made inside X: admin of X only.
    expect((await call(token, 'POST', '/mx/roles', { name: 'admin' })).status).toBe(201);
    const admin = (await call(token, 'GET', '/mx/roles/admin')).body as {
      id: string;
      name: string;
    };
    expect(
      (await call(token, 'POST', `/mx/users/${self.id}/role-mappings/realm`, [admin])).status,
    ).toBe(204);
    expect(
      (
        await call(token, 'POST', '/mx/clients', {
          clientId: 'master-realm',
          secret: 'mr-secret',
          serviceAccountsEnabled: true,
          standardFlowEnabled: false,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(token, 'POST', '/mx/users', {
          username: 'made-admin',
          credentials: [{ type: 'password', value: PASSWORD }],
          realmRoles: ['admin'],
          clientRoles: { 'realm-management': ['realm-admin'] },
        })
      ).status,
    ).toBe(201);
    const fresh = {
      self: await passwordToken(server.baseUrl, 'mx', 'mx-admin', PASSWORD),
      made: await passwordToken(server.baseUrl, 'mx', 'made-admin', PASSWORD),
      robot: await clientToken(server.baseUrl, 'mx', 'master-realm', 'mr-secret'),
    };
    for (const [who, t] of Object.entries(fresh)) {
      for (const [method, p, body] of [
        ['GET', '/my'],
        ['GET', '/master'],
        ['POST', '/', { realm: `by-${who}` }],
        ['GET', '/my/users'],
        ['DELETE', '/my'],
      ] as [string, string, unknown?][]) {
        const status = (await call(t, method, p, body)).status;
        expect({
          who,
          method,
          p,
          status: [403, 404].includes(status) ? 'refused' : status,
        }).toEqual({ who, method, p, status: 'refused' });
      }
    }
    expect({ Y: await snapshot('my'), master: await snapshot('master') }).toEqual(before);
  });

  it('every route in the table exists and is allowed on X itself (not 401/403/5xx)', async () => {
    let token = callers['realm-admin user of X'];
    const answers: string[] = [];
    for (const { method, route, body } of ROUTES) {
      const answer = await call(token, method, fill(route, targets.X), body?.(targets.X));
      // Impersonation is refused with Keycloak's 501 "Feature not enabled" (user-impersonation.ts).
      const refusedFeature = route === '/:realm/users/:id/impersonation' && answer.status === 501;
      if ([401, 403].includes(answer.status) || (answer.status >= 500 && !refusedFeature))
        answers.push(`${method} ${route}: ${answer.status} ${answer.text}`);
      // logout-all ended the caller's own session too (as in Keycloak): sign in again.
      if (route === '/:realm/logout-all') token = await xAdminToken();
    }
    expect(answers).toEqual([]);
  });
});

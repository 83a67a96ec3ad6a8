/**
 * The admin REST API under `/admin/realms` (Keycloak "Admin REST API"; the subset
 * @keycloak/keycloak-admin-client uses for realms, clients, users, groups, roles, client scopes,
 * protocol mappers, keys and components; docs/admin-api.md lists every route).
 * Bearer authentication by admin token (admin/auth.ts); each route requires the permission
 * admin/route-permissions.ts gives it (checked by realmScope → requireRealmAdmin); errors in
 * Keycloak's shapes (admin/errors.ts).
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { AdminError, adminErrorResponse, notFound } from './errors.ts';
import { adminAuthentication } from './auth.ts';
import { assertAdminBody, storable, type AdminDeps } from './context.ts';
import { realmRoutes } from './realms.ts';
import { clientRoutes } from './clients.ts';
import { installationRoutes } from './installation.ts';
import { userRoutes } from './users.ts';
import { roleRoutes } from './roles.ts';
import { keyRoutes } from './keys.ts';
import { attackDetectionRoutes } from './attack-detection.ts';
import { eventRoutes, recordAdminEvents } from './events.ts';
import { groupRoutes } from './groups.ts';
import { userGroupRoutes } from './user-groups.ts';
import { roleMappingRoutes } from './role-mappings.ts';
import { clientScopeRoutes } from './client-scopes.ts';
import { clientScopeLinkRoutes } from './client-scope-links.ts';
import { protocolMapperRoutes } from './protocol-mappers.ts';
import { roleByIdRoutes } from './roles-by-id.ts';
import { namedRoleCompositeRoutes } from './role-composites.ts';
import { scopeMappingsRoutes } from './scope-mappings.ts';
import { evaluateScopesRoutes } from './evaluate-scopes.ts';
import { partialExportRoutes } from './partial-export.ts';
import { partialImportRoutes } from './partial-import.ts';
import { userEmailRoutes } from './user-emails.ts';
// Issue 20: user sessions, offline sessions and consents.
import { sessionRoutes } from './sessions.ts';
// Issue 20 (required actions, OTP credentials).
import { requiredActionRoutes } from './required-actions.ts';
import { userCredentialRoutes } from './user-credentials.ts';
import { identityProviderRoutes } from './identity-providers.ts';
import { authenticationFlowRoutes } from './authentication-flows.ts';
import { uiExtRoutes } from './ui-ext.ts';
import { userUnmanagedAttributeRoutes } from './user-unmanaged-attributes.ts';
import { userImpersonationRoutes } from './user-impersonation.ts';
import { clientAuthenticatorRoutes } from './client-authenticators.ts';

export async function adminErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    const answer = adminErrorResponse(err);
    if (!answer) throw err;
    ctx.status = answer.status;
    ctx.body = answer.body;
  }
}

/**
 * Path segments and query values the store cannot hold (U+0000, lone surrogates) are refused
 * before any handler runs: a path as 404 (no resource has such a name), a query value as 400 in
 * query-params.ts's shape.
 * @throws AdminError 404 / 400
 */
async function storableInput(ctx: Context, next: Next): Promise<void> {
  for (const segment of ctx.path.split('/')) {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      /* @koa/router keeps such a segment as it is */
    }
    if (!storable(decoded)) throw notFound('HTTP 404 Not Found');
  }
  for (const [name, value] of Object.entries(ctx.query)) {
    if (!storable(name) || ([] as string[]).concat(value ?? []).some((v) => !storable(v)))
      throw new AdminError(400, { error: `Invalid value for '${name}'` });
  }
  await next();
}

/** The parsed body (after bodyParser) within depth and storable. @throws AdminError 400 */
async function checkedBody(ctx: Context, next: Next): Promise<void> {
  const body = (ctx.request as unknown as { body?: unknown }).body;
  if (body !== undefined) assertAdminBody(body);
  await next();
}

export function adminRouter(deps: AdminDeps): Router {
  const router = new Router({ prefix: '/admin/realms' });
  router.use(adminErrors);
  router.use(storableInput);
  router.use(adminAuthentication(deps.registry, deps.db));
  router.use(recordAdminEvents(deps));
  // DELETE too: Keycloak's role-mapping deletes take a JSON array of roles (RoleMapperResource).
  router.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: '2mb',
      encoding: 'utf-8',
      parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    }),
  );
  router.use(checkedBody);
  realmRoutes(router, deps);
  keyRoutes(router, deps);
  clientRoutes(router, deps);
  installationRoutes(router, deps);
  roleRoutes(router, deps);
  namedRoleCompositeRoutes(router, deps);
  roleByIdRoutes(router, deps);
  clientScopeRoutes(router, deps);
  clientScopeLinkRoutes(router, deps);
  protocolMapperRoutes(router, deps);
  scopeMappingsRoutes(router, deps);
  evaluateScopesRoutes(router, deps);
  userRoutes(router, deps);
  userGroupRoutes(router, deps);
  groupRoutes(router, deps);
  roleMappingRoutes(router, deps);
  attackDetectionRoutes(router, deps);
  eventRoutes(router, deps);
  partialExportRoutes(router, deps);
  partialImportRoutes(router, deps);
  // h20b: execute-actions-email, send-verify-email, testSMTPConnection (issue 20 item 4).
  userEmailRoutes(router, deps);
  // Issue 20: user sessions, offline sessions and consents.
  sessionRoutes(router, deps);
  // Issue 20: required actions (authentication/required-actions), a user's credentials.
  requiredActionRoutes(router, deps);
  userCredentialRoutes(router, deps);
  identityProviderRoutes(router, deps);
  authenticationFlowRoutes(router, deps);
  uiExtRoutes(router, deps);
  userUnmanagedAttributeRoutes(router, deps);
  userImpersonationRoutes(router, deps);
  clientAuthenticatorRoutes(router, deps);
  return router;
}

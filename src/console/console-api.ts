/**
 * Admin REST routes the Admin Console's pages call that the rest of the admin API does not serve
 * (its Users page loads both before listing anyone):
 * - `GET /admin/realms/{realm}/users/profile`: the realm's user-profile config, UPConfig
 *   (Keycloak UserProfileResource.getConfiguration; Keycloak 26's default when the realm has none);
 * - `GET /admin/realms/{realm}/users/profile/metadata`: the attributes as the admin context sees
 *   them (UserProfileResource.getMetadata → UserProfileMetadata: `required` when the attribute is
 *   required for the `admin` role or for everyone, `readOnly` when admins may not edit it);
 * - `GET /admin/realms/{realm}/ui-ext/info` (admin-ui-ext UIRealmInfo): `userProfileProvidersEnabled`
 *   false, no user storage provider here;
 * - `GET /admin/realms/{realm}/localization/{locale}` (RealmLocalizationResource): the realm's
 *   own texts for the locale, `{}` when it has none;
 * - `GET /admin/realms/{realm}/ui-ext/authentication-management/flows` (admin-ui-ext
 *   AuthenticationManagementResource): the realm's flows with `usedBy` (DEFAULT for the flows the
 *   realm binds), and `.../required-actions`: the realm's required actions;
 * - `PUT /admin/realms/{realm}/ui-ext` (admin-ui-ext UIRealmResource.updateRealm, what Realm
 *   settings' Save sends): handed on as `PUT /admin/realms/{realm}`, the realm update, which
 *   checks the caller and the body as for keycloak-admin-client;
 * - `GET /admin/realms/{realm}/ui-ext/sessions` and `ui-ext/sessions/client` (admin-ui-ext
 *   SessionsResource): the realm's or a client's sessions (admin/sessions.ts uiExtSessions).
 * Each needs a caller who administers the realm (403 otherwise, 404 for an unknown realm).
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { realmScope, type AdminDeps } from '../admin/context.ts';
import { uiExtSessions } from '../admin/sessions.ts';
import { realmUpConfig, type UpAttribute } from '../realm/user-profile.ts';

function adminMetadata(a: UpAttribute) {
  const roles = a.required?.roles ?? [];
  return {
    name: a.name,
    displayName: a.displayName ?? a.name,
    required: a.required !== undefined && (roles.length === 0 || roles.includes('admin')),
    readOnly: !a.permissions.edit.includes('admin'),
    annotations: a.annotations ?? {},
    validators: a.validations,
    multivalued: a.multivalued,
    ...(a.group ? { group: a.group } : {}),
  };
}

type FlowRealm = Record<string, unknown> & {
  authenticationFlows?: { id?: string; alias?: string; topLevel?: boolean }[];
};
const BINDINGS = [
  'browserFlow',
  'registrationFlow',
  'directGrantFlow',
  'resetCredentialsFlow',
  'clientAuthenticationFlow',
  'dockerAuthenticationFlow',
  'firstBrokerLoginFlow',
];

/** The realm's top-level flows as the Authentication page lists them (AuthenticationManagementResource). */
function flowsWithUsage(realm: FlowRealm) {
  return (realm.authenticationFlows ?? [])
    .filter((f) => f.topLevel !== false)
    .map((flow) => {
      const bound = BINDINGS.some((b) => realm[b] === flow.alias);
      return { ...flow, usedBy: bound ? { type: 'DEFAULT', values: [] } : undefined };
    });
}

/** Registers the routes on `router` (paths from the root), each behind `guards`. */
export function consoleApiRoutes(router: Router, deps: AdminDeps, guards: Middleware[]): void {
  router.get('/admin/realms/:realm/users/profile', ...guards, async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = realmUpConfig(realm.doc);
  });
  router.get('/admin/realms/:realm/users/profile/metadata', ...guards, async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const config = realmUpConfig(realm.doc);
    ctx.body = { attributes: config.attributes.map(adminMetadata), groups: config.groups };
  });
  router.put('/admin/realms/:realm/ui-ext', async (ctx, next) => {
    ctx.path = `/admin/realms/${encodeURIComponent(ctx.params.realm)}`;
    await next();
  });
  router.get('/admin/realms/:realm/ui-ext/info', ...guards, async (ctx) => {
    await realmScope(deps, ctx);
    ctx.body = { userProfileProvidersEnabled: false };
  });
  router.get('/admin/realms/:realm/localization/:locale', ...guards, async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const texts = (realm.doc as { localizationTexts?: Record<string, Record<string, string>> })
      .localizationTexts;
    ctx.body = (texts && Object.hasOwn(texts, ctx.params.locale) && texts[ctx.params.locale]) || {};
  });
  router.get(
    '/admin/realms/:realm/ui-ext/authentication-management/flows',
    ...guards,
    async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      ctx.body = flowsWithUsage(realm.doc as FlowRealm);
    },
  );
  router.get(
    '/admin/realms/:realm/ui-ext/authentication-management/required-actions',
    ...guards,
    async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      ctx.body = (realm.doc as { requiredActions?: unknown[] }).requiredActions ?? [];
    },
  );
  router.get(
    ['/admin/realms/:realm/ui-ext/sessions', '/admin/realms/:realm/ui-ext/sessions/client'],
    ...guards,
    async (ctx) => {
      ctx.body = await uiExtSessions(deps, ctx);
    },
  );
}

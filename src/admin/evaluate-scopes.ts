/**
 * `/clients/{id}/evaluate-scopes/...`, Keycloak 26's ClientScopeEvaluateResource and
 * ClientScopeEvaluateScopeMappingsResource (what the admin console's "Client scopes > Evaluate"
 * tab shows): GET `protocol-mappers?scope=`, `generate-example-access-token?scope=&userId=`,
 * `generate-example-id-token`, `generate-example-userinfo`, and
 * `scope-mappings/{roleContainerId}/granted|not-granted?scope=` (roleContainerId: the realm's
 * name or a client's id). Nothing is stored: Keycloak's example user session is removed at once,
 * so none is made here (evaluate-scopes-claims.ts). Errors as Keycloak's NotFoundException
 * texts: "Could not find client", "No userId provided", "No user found", "Role Container not
 * found". Keycloak checks auth.clients().requireView(client); this server's admins are realm
 * admins (admin/auth.ts), so realmScope's check stands for it. The `audience` parameter of
 * Keycloak 26.1+ is not supported (ignored).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { RealmModel } from '../model/model.ts';
import type { RealmDocument } from '../model/representation.ts';
import { findUserById } from '../store/users.ts';
import { indexRealm } from '../mappers/realm-index.ts';
import { notFound } from './errors.ts';
import { realmScope, type AdminDeps } from './context.ts';
import { roleRep } from './roles.ts';
import {
  evaluatedMappers,
  exampleToken,
  scopeEvaluatedRoles,
  type ExampleKind,
} from './evaluate-scopes-claims.ts';

const BASE = '/:realm/clients/:id/evaluate-scopes';

/** The `scope` query value (a repeated parameter: its first value); undefined when absent. */
const scopeQuery = (ctx: Context): string | undefined => {
  const value = ctx.query.scope;
  return Array.isArray(value) ? value[0] : value;
};

/** The realm, its model and the client of `:id`. @throws AdminError 403/404 */
async function evaluated(deps: AdminDeps, ctx: Context) {
  const { realm } = await realmScope(deps, ctx);
  const client = realm.doc.clients.find((c) => c.id === ctx.params.id);
  if (!client) throw notFound('Could not find client');
  return { realm, client, model: new RealmModel(realm.doc, realm.version) };
}

function exampleRoute(router: Router, deps: AdminDeps, path: string, kind: ExampleKind): void {
  router.get(`${BASE}/${path}`, async (ctx) => {
    const { realm, client, model } = await evaluated(deps, ctx);
    const userId = Array.isArray(ctx.query.userId) ? ctx.query.userId[0] : ctx.query.userId;
    if (userId === undefined) throw notFound('No userId provided');
    const user = await findUserById(deps.db, realm.id, userId);
    if (!user) throw notFound('No user found');
    ctx.body = exampleToken(
      model,
      deps.log,
      `${deps.baseUrl}/realms/${realm.name}`,
      client,
      user,
      scopeQuery(ctx),
      kind,
    );
  });
}

/** The realm (by name) or client (by id) whose roles are evaluated. @throws AdminError 404 */
function roleContainer(doc: RealmDocument, id: string) {
  if (id === doc.realm)
    return { roles: doc.roles.realm, containerId: doc.id ?? doc.realm, clientId: undefined };
  const client = doc.clients.find((c) => c.id === id);
  if (!client) throw notFound('Role Container not found');
  return {
    roles: doc.roles.client[client.clientId] ?? [],
    containerId: client.id ?? client.clientId,
    clientId: client.clientId,
  };
}

export function evaluateScopesRoutes(router: Router, deps: AdminDeps): void {
  router.get(`${BASE}/protocol-mappers`, async (ctx) => {
    const { realm, client, model } = await evaluated(deps, ctx);
    ctx.body = evaluatedMappers(realm.doc, indexRealm(model.rep), client, scopeQuery(ctx));
  });
  exampleRoute(router, deps, 'generate-example-access-token', 'access');
  exampleRoute(router, deps, 'generate-example-id-token', 'id');
  exampleRoute(router, deps, 'generate-example-userinfo', 'userinfo');
  for (const [suffix, granted] of [
    ['granted', true],
    ['not-granted', false],
  ] as const) {
    router.get(`${BASE}/scope-mappings/:container/${suffix}`, async (ctx) => {
      const { realm, client, model } = await evaluated(deps, ctx);
      const c = roleContainer(realm.doc, ctx.params.container);
      const roles = scopeEvaluatedRoles(
        indexRealm(model.rep),
        client,
        scopeQuery(ctx),
        c.roles,
        c.clientId,
        granted,
      );
      ctx.body = roles.map((r) => roleRep(r, c.containerId, c.clientId !== undefined));
    });
  }
}

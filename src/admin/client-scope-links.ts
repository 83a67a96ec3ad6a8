/**
 * A client's client scopes (`/clients/{id}/default-client-scopes`, `/optional-client-scopes`),
 * Keycloak's ClientResource getDefaultClientScopes / addDefaultClientScope /
 * removeDefaultClientScope and the optional equivalents: GET the scopes as {id, name}; PUT and
 * DELETE `{clientScopeId}` (404 "Client scope not found"; a DELETE takes the scope off
 * both lists, as ClientModel.removeClientScope does). A client that lists no scopes of its
 * own uses the realm's lists (realm-client-scopes.ts clientScopeNames); the first change stores
 * both of its lists, so the other list stays what it was.
 */
import type Router from '@koa/router';
import { updateRealmDoc } from '../store/realms.ts';
import { notFound } from './errors.ts';
import { commit, noContent, realmScope, type AdminDeps } from './context.ts';
import { clientScopeEntries, clientScopeNames, realmScopes } from './realm-client-scopes.ts';
import { scopeById } from './client-scopes.ts';
import type { RealmDocument } from '../model/representation.ts';

const clientOf = (doc: RealmDocument, id: string) => {
  const client = doc.clients.find((c) => c.id === id);
  if (!client) throw notFound('Could not find client');
  return client;
};

export function clientScopeLinkRoutes(router: Router, deps: AdminDeps): void {
  for (const [segment, isDefault] of [
    ['default-client-scopes', true],
    ['optional-client-scopes', false],
  ] as const) {
    router.get(`/:realm/clients/:id/${segment}`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const scopes = realmScopes(realm.doc);
      const client = clientOf(realm.doc, ctx.params.id);
      const lists = clientScopeNames(scopes, client);
      ctx.body = clientScopeEntries(scopes, client, isDefault ? lists.defaults : lists.optional);
    });
    const change = (add: boolean) => async (ctx: Parameters<Parameters<Router['put']>[1]>[0]) => {
      const { realm } = await realmScope(deps, ctx);
      await commit(deps, realm.name, (tx) =>
        updateRealmDoc(tx, realm.name, (doc) => {
          const client = clientOf(doc, ctx.params.id);
          const scopes = realmScopes(doc);
          const { name } = scopeById(scopes, ctx.params.clientScopeId, 'Client scope not found');
          const lists = clientScopeNames(scopes, client);
          const without = (list: string[]) => list.filter((n) => n !== name);
          // A scope is a default or an optional scope of the client, not both; ClientModel.removeClientScope
          // removes it whichever it is.
          const defaults = without(lists.defaults),
            optional = without(lists.optional);
          if (add) (isDefault ? defaults : optional).push(name);
          return {
            ...doc,
            clients: doc.clients.map((c) =>
              c.id === client.id
                ? { ...c, defaultClientScopes: defaults, optionalClientScopes: optional }
                : c,
            ),
          };
        }),
      );
      noContent(ctx);
    };
    router.put(`/:realm/clients/:id/${segment}/:clientScopeId`, change(true));
    router.delete(`/:realm/clients/:id/${segment}/:clientScopeId`, change(false));
  }
}

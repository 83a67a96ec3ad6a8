/**
 * Role scope mappings of clients and client scopes (`/clients/{id}/scope-mappings...`,
 * `/client-scopes/{id}/scope-mappings...`), Keycloak's ScopeMappedResource and
 * ScopeMappedClientResource: all mappings, realm and client mappings (GET, POST and DELETE a
 * RoleRepresentation[]), `composite` (the mapped roles with their composites) and `available`
 * (the container's roles not in that set). Stored as a realm export has them: realm
 * `scopeMappings` (`[{client | clientScope, roles: [realm role names]}]`) and
 * `clientScopeMappings` (`{roleClientId: [{client | clientScope, roles}]}`), which the mapper
 * pipeline reads for the role scope of a token.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { RealmDocument } from '../model/representation.ts';
import { RealmModel } from '../model/model.ts';
import { updateRealmDoc } from '../store/realms.ts';
import { notFound } from './errors.ts';
import { commit, noContent, realmScope, type AdminDeps } from './context.ts';
import { roleRep } from './roles.ts';
import { rolesNamed } from './role-mappings.ts';
import { realmScopes } from './realm-client-scopes.ts';
import { scopeById } from './client-scopes.ts';
import { scopeMappingsOf, withScopeMappings, type ScopeHolder } from './scope-mapping-doc.ts';

const clientByUuid = (doc: RealmDocument, id: string) => {
  const client = doc.clients.find((c) => c.id === id);
  if (!client) throw notFound('Could not find client');
  return client;
};

/** RoleRepresentations of the named roles of the realm (clientId undefined) or of a client. */
function reps(doc: RealmDocument, list: string[], clientId?: string) {
  const roles = clientId ? (doc.roles.client[clientId] ?? []) : doc.roles.realm;
  const containerId = clientId
    ? (doc.clients.find((c) => c.clientId === clientId)?.id ?? clientId)
    : doc.id;
  return roles
    .filter((r) => list.includes(r.name))
    .map((r) => roleRep(r, containerId, Boolean(clientId)));
}

/** What the handlers of one holder's (a client's or a client scope's) scope mappings share. */
interface ScopedRoutes {
  deps: AdminDeps;
  holderOf: (doc: RealmDocument, ctx: Context) => ScopeHolder;
  /** The route's role client (undefined: realm roles), its direct and its effective mappings. */
  state: (
    doc: RealmDocument,
    ctx: Context,
  ) => { c: string | undefined; direct: string[]; effective: string[] };
}

/** GET …/scope-mappings/realm and …/clients/{client}: the direct mappings (ScopeMappedResource.getRealmScopeMappings). */
const listScoped =
  ({ deps, state }: ScopedRoutes): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const { c, direct } = state(realm.doc, ctx);
    ctx.body = reps(realm.doc, direct, c);
  };

/** GET …/composite: the mapped roles with their composites (getCompositeRealmScopeMappings). */
const listScopedComposite =
  ({ deps, state }: ScopedRoutes): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const { c, effective } = state(realm.doc, ctx);
    ctx.body = reps(realm.doc, effective, c);
  };

/** GET …/available: the container's roles not in that set (getAvailableRealmScopeMappings). */
const listScopedAvailable =
  ({ deps, state }: ScopedRoutes): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const { c, effective } = state(realm.doc, ctx);
    const all = (c ? (realm.doc.roles.client[c] ?? []) : realm.doc.roles.realm).map((r) => r.name);
    ctx.body = reps(
      realm.doc,
      all.filter((n) => !effective.includes(n)),
      c,
    );
  };

/** GET {holder}/scope-mappings: ScopeMappedResource.getScopeMappings, realm and client mappings. */
const getScopeMappings =
  (deps: AdminDeps, holderOf: ScopedRoutes['holderOf']): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const m = scopeMappingsOf(realm.doc, holderOf(realm.doc, ctx));
    const clientMappings = Object.fromEntries(
      Object.entries(m.clientRoles).map(([c, n]) => [
        c,
        {
          id: realm.doc.clients.find((x) => x.clientId === c)?.id,
          client: c,
          mappings: reps(realm.doc, n, c),
        },
      ]),
    );
    ctx.body = {
      realmMappings: reps(realm.doc, m.realmRoles),
      ...(Object.keys(clientMappings).length ? { clientMappings } : {}),
    };
  };

/** POST / DELETE …/scope-mappings/realm and …/clients/{client}: ScopeMappedResource.addRealmScopeMappings,
 * deleteRealmScopeMappings (ScopeMappedClientResource for a client's roles). */
const changeScoped =
  ({ deps, holderOf, state }: ScopedRoutes, add: boolean): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = (ctx.request as unknown as { body?: unknown }).body;
    await commit(deps, realm.name, (tx) =>
      updateRealmDoc(tx, realm.name, (doc) => {
        const { c, direct } = state(doc, ctx);
        const listed = rolesNamed(c ? (doc.roles.client[c] ?? []) : doc.roles.realm, body);
        const next = add
          ? [...new Set([...direct, ...listed])]
          : direct.filter((n) => !listed.includes(n));
        return withScopeMappings(doc, holderOf(doc, ctx), c, next);
      }),
    );
    noContent(ctx);
  };

function scopeMappingRoutes(
  router: Router,
  deps: AdminDeps,
  base: string,
  holderOf: (doc: RealmDocument, ctx: Context) => ScopeHolder,
): void {
  router.get(`${base}/scope-mappings`, getScopeMappings(deps, holderOf));
  for (const [suffix, isClient] of [
    ['/realm', false],
    ['/clients/:client', true],
  ] as const) {
    const path = `${base}/scope-mappings${suffix}`;
    const roleClient = (doc: RealmDocument, ctx: Context) =>
      isClient ? clientByUuid(doc, ctx.params.client).clientId : undefined;
    const state = (doc: RealmDocument, ctx: Context) => {
      const c = roleClient(doc, ctx);
      const m = scopeMappingsOf(doc, holderOf(doc, ctx));
      const model = new RealmModel({ ...doc, defaultRole: { name: '\u0000' } });
      const effective = model.effectiveRoles({ ...m, groups: [] });
      return {
        c,
        direct: c ? (m.clientRoles[c] ?? []) : m.realmRoles,
        effective: c ? (effective.clients[c] ?? []) : effective.realm,
      };
    };
    const scope: ScopedRoutes = { deps, holderOf, state };
    router.get(path, listScoped(scope));
    router.get(`${path}/composite`, listScopedComposite(scope));
    router.get(`${path}/available`, listScopedAvailable(scope));
    router.post(path, changeScoped(scope, true));
    router.delete(path, changeScoped(scope, false));
  }
}

export function scopeMappingsRoutes(router: Router, deps: AdminDeps): void {
  scopeMappingRoutes(router, deps, '/:realm/clients/:id', (doc, ctx) => ({
    key: 'client',
    name: clientByUuid(doc, ctx.params.id).clientId,
  }));
  scopeMappingRoutes(router, deps, '/:realm/client-scopes/:id', (doc, ctx) => ({
    key: 'clientScope',
    name: scopeById(realmScopes(doc), ctx.params.id).name,
  }));
}

/**
 * The Admin Console's role pickers (Keycloak 26's rest/admin-ui-ext module, under
 * `/admin/realms/{realm}/ui-ext`), for the five kinds of role holder the console's role mapping
 * tab serves: `users`, `groups` (role mappings), `clients` (a client's scope mappings, its
 * dedicated scope's Scope tab), `clientScopes` (a client scope's Scope tab) and `roles`
 * (a composite role's associated roles):
 * - `available-roles/{kind}/{id}` (AvailableRoleMappingResource): the client roles the holder
 *   does not hold directly, each one the caller may grant (RolePermissions.canMapRole), as
 *   ClientRole `{id, role, client (clientId), clientId (client's id), description}`, filtered by
 *   `search` (client or role name contains) and paged by `first` (0) / `max` (10); for `roles`
 *   every client role the caller may grant;
 * - `effective-roles-all/{kind}/{id}` (AllEffectiveRoleMappingResource, what the 26.7 console
 *   calls when "Hide inherited roles" is off): every role the holder has effectively, realm and
 *   client roles, composites expanded, each one the caller may view (realm roles view-realm,
 *   client roles view-clients: RolePermissions.canView), as EffectiveRole `{id, name,
 *   description?, clientRole, client? (clientId), clientId? (client's id)}`, realm roles first,
 *   then by client and name;
 * - `effective-roles/{users|groups}/{id}` (EffectiveRoleMappingResource, the older console's
 *   call): the effective client roles as ClientRole.
 * A role's effective roles need the view of its container (403 otherwise). Holder lookups answer Keycloak's 404s ("User not found", "Could not find group", "Could not
 * find client", "Could not find client scope", "Could not find role").
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { RealmDocument } from '../model/representation.ts';
import { RealmModel, type EffectiveRoles } from '../model/model.ts';
import type { StoredRealm } from '../store/realms.ts';
import { findUserById } from '../store/users.ts';
import { notFound } from './errors.ts';
import { realmScope, type AdminDeps } from './context.ts';
import { hasPermission, requireGrant, requirePermission } from './auth.ts';
import { groupOf } from './groups.ts';
import { COUNT, one, TEXT } from './query-params.ts';
import { scopeMappingsOf } from './scope-mapping-doc.ts';
import { realmScopes } from './realm-client-scopes.ts';
import { scopeById } from './client-scopes.ts';

export const ROLE_HOLDER_KINDS = ['users', 'groups', 'clients', 'clientScopes', 'roles'] as const;
type Kind = (typeof ROLE_HOLDER_KINDS)[number];

interface Holding {
  direct: EffectiveRoles;
  effective: EffectiveRoles;
}

/** Composites of `direct` expanded, without the realm's default role (held only when mapped). */
function expand(
  doc: RealmDocument,
  version: number,
  direct: EffectiveRoles,
  groups: string[] = [],
) {
  const model = new RealmModel({ ...doc, defaultRole: { name: '\u0000' } }, version);
  return model.effectiveRoles({ realmRoles: direct.realm, clientRoles: direct.clients, groups });
}

/** The role with id `id` as a mapping of itself. @throws AdminError 404 */
function roleById(doc: RealmDocument, id: string): EffectiveRoles {
  const realmRole = doc.roles.realm.find((r) => r.id === id);
  if (realmRole) return { realm: [realmRole.name], clients: {} };
  for (const [clientId, roles] of Object.entries(doc.roles.client)) {
    const role = roles.find((r) => r.id === id);
    if (role) return { realm: [], clients: { [clientId]: [role.name] } };
  }
  throw notFound('Could not find role');
}

/** The direct and effective roles of the holder `kind`/`id`. @throws AdminError 404 */
async function holding(
  deps: AdminDeps,
  realm: StoredRealm,
  kind: Kind,
  id: string,
): Promise<Holding> {
  const doc = realm.doc;
  if (kind === 'users') {
    const user = await findUserById(deps.db, realm.id, id);
    if (!user) throw notFound('User not found');
    const effective = new RealmModel(doc, realm.version).effectiveRoles(user);
    return { direct: { realm: user.realmRoles ?? [], clients: user.clientRoles ?? {} }, effective };
  }
  if (kind === 'groups') {
    const placed = groupOf(doc, id);
    const direct = {
      realm: placed.group.realmRoles ?? [],
      clients: placed.group.clientRoles ?? {},
    };
    const parentPath = placed.parent ? placed.path.slice(0, -placed.group.name.length - 1) : '';
    return {
      direct,
      effective: expand(doc, realm.version, direct, parentPath ? [parentPath] : []),
    };
  }
  let direct: EffectiveRoles;
  if (kind === 'clients') {
    const client = doc.clients.find((c) => c.id === id);
    if (!client) throw notFound('Could not find client');
    const m = scopeMappingsOf(doc, { key: 'client', name: client.clientId });
    direct = { realm: m.realmRoles, clients: m.clientRoles };
  } else if (kind === 'clientScopes') {
    const scope = scopeById(realmScopes(doc), id);
    const m = scopeMappingsOf(doc, { key: 'clientScope', name: scope.name });
    direct = { realm: m.realmRoles, clients: m.clientRoles };
  } else {
    direct = roleById(doc, id);
  }
  return { direct, effective: expand(doc, realm.version, direct) };
}

const mayGrant = (ctx: Context, realm: string, name: string, clientId?: string) => {
  try {
    requireGrant(ctx, realm, [{ name, clientId }]);
    return true;
  } catch {
    return false;
  }
};

/** Every client role of the realm as ClientRole, `keep` ones the caller may grant. */
export function clientRoles(
  ctx: Context,
  doc: RealmDocument,
  keep: (c: string, r: string) => boolean,
) {
  return doc.clients.flatMap((client) =>
    (doc.roles.client[client.clientId] ?? [])
      .filter((role) => keep(client.clientId, role.name))
      .filter((role) => mayGrant(ctx, doc.realm, role.name, client.clientId))
      .map((role) => ({
        id: role.id,
        role: role.name,
        client: client.clientId,
        clientId: client.id,
        ...(role.description !== undefined ? { description: role.description } : {}),
      })),
  );
}

/** `effective` as EffectiveRole[], the roles the caller may view, in Keycloak's order. */
function effectiveRoleReps(ctx: Context, doc: RealmDocument, effective: EffectiveRoles) {
  const described = (d: string | undefined) => (d !== undefined ? { description: d } : {});
  const realmRoles = hasPermission(ctx, doc.realm, 'realm.view')
    ? doc.roles.realm
        .filter((r) => effective.realm.includes(r.name))
        .map((r) => ({ id: r.id, name: r.name, ...described(r.description), clientRole: false }))
    : [];
  const client = hasPermission(ctx, doc.realm, 'clients.view')
    ? doc.clients.flatMap((c) =>
        (doc.roles.client[c.clientId] ?? [])
          .filter((r) => (effective.clients[c.clientId] ?? []).includes(r.name))
          .map((r) => ({
            id: r.id,
            name: r.name,
            ...described(r.description),
            clientRole: true,
            client: c.clientId,
            clientId: c.id,
          })),
      )
    : [];
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  return [
    ...realmRoles.sort(byName),
    ...client.sort((a, b) => a.client.localeCompare(b.client) || byName(a, b)),
  ];
}

export function uiExtRoleRoutes(router: Router, deps: AdminDeps): void {
  for (const kind of ROLE_HOLDER_KINDS) {
    router.get(`/:realm/ui-ext/available-roles/${kind}/:id`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const { direct } = await holding(deps, realm, kind, ctx.params.id);
      const search = one(ctx.query, 'search', TEXT) ?? '';
      const first = one(ctx.query, 'first', COUNT) ?? 0;
      const max = one(ctx.query, 'max', COUNT) ?? 10;
      const held = (c: string, r: string) =>
        kind !== 'roles' && (direct.clients[c] ?? []).includes(r);
      ctx.body = clientRoles(ctx, realm.doc, (c, r) => !held(c, r))
        .filter((cr) => cr.client.includes(search) || cr.role.includes(search))
        .slice(first, first + max);
    });
    router.get(`/:realm/ui-ext/effective-roles-all/${kind}/:id`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const { direct, effective } = await holding(deps, realm, kind, ctx.params.id);
      // AllEffectiveRoleMappingResource for a role: roles().requireView(role), the view of its
      // container (RolePermissions.canView: view-realm, or view-clients for a client role).
      if (kind === 'roles')
        requirePermission(ctx, realm.name, direct.realm.length ? 'realm.view' : 'clients.view');
      ctx.body = effectiveRoleReps(ctx, realm.doc, effective);
    });
  }
  for (const kind of ['users', 'groups'] as const) {
    router.get(`/:realm/ui-ext/effective-roles/${kind}/:id`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const { effective } = await holding(deps, realm, kind, ctx.params.id);
      ctx.body = clientRoles(ctx, realm.doc, (c, r) => (effective.clients[c] ?? []).includes(r));
    });
  }
}

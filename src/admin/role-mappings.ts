/**
 * Role mappings of users and groups (`/users/{id}/role-mappings...`, `/groups/{id}/role-mappings...`),
 * Keycloak's RoleMapperResource and ClientRoleMappingsResource: all mappings, realm and client
 * mappings (GET, POST and DELETE a RoleRepresentation[]), `composite` (the effective roles:
 * composites expanded, and for a user also the roles of its groups and their parent groups and
 * the realm's default role) and `available` (the container's roles the holder does not have
 * effectively). A user's effective roles are RealmModel.effectiveRoles, the roles its tokens and
 * admin checks use; a group's are its own mappings and its parent groups', composites expanded.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { RealmDocument, RoleRepresentation } from '../model/representation.ts';
import { RealmModel, type EffectiveRoles } from '../model/model.ts';
import { updateRealmDoc, type StoredRealm } from '../store/realms.ts';
import { findUserById, updateUser } from '../store/users.ts';
import type { SqlClient } from '../store/sql.ts';
import { badRequest, notFound } from './errors.ts';
import { commit, noContent, realmScope, type AdminDeps } from './context.ts';
import { roleRep } from './roles.ts';
import { requireGrant } from './auth.ts';
import { groupOf } from './groups.ts';

/** What holds role mappings: Keycloak's RoleMapperModel (a user or a group). */
interface Mappings {
  realmRoles: string[];
  clientRoles: Record<string, string[]>;
}

interface Holder {
  /** The holder's mappings and effective roles. @throws AdminError 404 */
  read(
    deps: AdminDeps,
    realm: StoredRealm,
    id: string,
  ): Promise<{ mappings: Mappings; effective: EffectiveRoles }>;
  /** Changes the holder's mappings inside `tx`. @throws AdminError 404 */
  change(
    tx: SqlClient,
    realm: StoredRealm,
    id: string,
    next: (m: Mappings) => Mappings,
  ): Promise<void>;
}

const USER: Holder = {
  async read(deps, realm, id) {
    const user = await findUserById(deps.db, realm.id, id);
    if (!user) throw notFound('User not found');
    return {
      mappings: user,
      effective: new RealmModel(realm.doc, realm.version).effectiveRoles(user),
    };
  },
  async change(tx, realm, id, next) {
    const user = await findUserById(tx, realm.id, id);
    if (!user) throw notFound('User not found');
    await updateUser(tx, realm.id, { ...user, ...next(user) });
  },
};

const GROUP: Holder = {
  async read(_deps, realm, id) {
    const placed = groupOf(realm.doc, id);
    const mappings = {
      realmRoles: placed.group.realmRoles ?? [],
      clientRoles: placed.group.clientRoles ?? {},
    };
    // RealmModel adds the realm's default role to every user; a group does not hold it, so the
    // model is built with a default role name no role has (NUL cannot be in a stored name).
    const model = new RealmModel({ ...realm.doc, defaultRole: { name: '\u0000' } }, realm.version);
    const parentPath = placed.parent
      ? placed.path.slice(0, -placed.group.name.length - 1)
      : undefined;
    return {
      mappings,
      effective: model.effectiveRoles({ ...mappings, groups: parentPath ? [parentPath] : [] }),
    };
  },
  async change(tx, realm, id, next) {
    await updateRealmDoc(tx, realm.name, (doc) => {
      const { group } = groupOf(doc, id);
      const changed = next({
        realmRoles: group.realmRoles ?? [],
        clientRoles: group.clientRoles ?? {},
      });
      group.realmRoles = changed.realmRoles;
      group.clientRoles = changed.clientRoles;
      return doc;
    });
  },
};

/** The request had no body at all (not even `[]`). */
const noBody = (ctx: { request: unknown }) =>
  !(ctx.request as { rawBody?: string }).rawBody?.trim();

/**
 * The names of the roles a role-mapping body lists (RoleRepresentation[]), as Keycloak's
 * RoleMapperResource / ClientRoleMappingsResource add and delete them: each role is looked up by
 * `name` (by `id` when it has no name) among `known`, and an `id` given must be that role's.
 * @throws AdminError 400 when the body is not an array of objects, 404 `Role not found`
 */
export function rolesNamed(known: RoleRepresentation[], body: unknown): string[] {
  if (!Array.isArray(body)) throw badRequest('request body must be a JSON array of roles');
  return body.map((r: unknown) => {
    if (!r || typeof r !== 'object') throw badRequest('request body must be a JSON array of roles');
    const { id, name } = r as { id?: unknown; name?: unknown };
    const role =
      typeof name === 'string'
        ? known.find((k) => k.name === name)
        : typeof id === 'string'
          ? known.find((k) => k.id === id)
          : undefined;
    if (!role || (id !== undefined && id !== null && id !== role.id))
      throw notFound('Role not found');
    return role.name;
  });
}

const clientOf = (doc: RealmDocument, uuid: string) => {
  const client = doc.clients.find((c) => c.id === uuid);
  if (!client) throw notFound('Could not find client');
  return client;
};

/** RoleRepresentations of the named roles of the realm (clientId undefined) or of a client. */
function reps(doc: RealmDocument, names: Iterable<string>, clientId?: string) {
  const roles = clientId ? (doc.roles.client[clientId] ?? []) : doc.roles.realm;
  const containerId = clientId
    ? (doc.clients.find((c) => c.clientId === clientId)?.id ?? clientId)
    : doc.id;
  const wanted = new Set(names);
  return roles
    .filter((r) => wanted.has(r.name))
    .map((r) => roleRep(r, containerId, Boolean(clientId)));
}

/** What the handlers of one holder's (a user's or a group's) mappings of one container share. */
interface MappingScope {
  deps: AdminDeps;
  holder: Holder;
  /** The client (its clientId) whose roles the route maps, undefined for the realm's roles. */
  container: (doc: RealmDocument, ctx: Context) => string | undefined;
}

/** GET …/role-mappings/realm and …/clients/{client}: the holder's direct mappings (RoleMapperResource.getRealmRoleMappings). */
const listMapped =
  ({ deps, holder, container }: MappingScope): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const clientId = container(realm.doc, ctx);
    const { mappings } = await holder.read(deps, realm, ctx.params.id);
    ctx.body = reps(
      realm.doc,
      clientId ? (mappings.clientRoles[clientId] ?? []) : mappings.realmRoles,
      clientId,
    );
  };

/** GET …/composite: the effective roles, composites expanded (getCompositeRealmRoleMappings). */
const listComposite =
  ({ deps, holder, container }: MappingScope): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const clientId = container(realm.doc, ctx);
    const { effective } = await holder.read(deps, realm, ctx.params.id);
    ctx.body = reps(
      realm.doc,
      clientId ? (effective.clients[clientId] ?? []) : effective.realm,
      clientId,
    );
  };

/** GET …/available: the container's roles not yet effective (getAvailableRealmRoleMappings). */
const listAvailable =
  ({ deps, holder, container }: MappingScope): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const clientId = container(realm.doc, ctx);
    const { effective } = await holder.read(deps, realm, ctx.params.id);
    const held = new Set(clientId ? (effective.clients[clientId] ?? []) : effective.realm);
    const all = (clientId ? (realm.doc.roles.client[clientId] ?? []) : realm.doc.roles.realm).map(
      (r) => r.name,
    );
    ctx.body = reps(
      realm.doc,
      all.filter((n) => !held.has(n)),
      clientId,
    );
  };

/** GET {holder}/role-mappings: RoleMapperResource.getRoleMappings, realm and client mappings. */
const getAllMappings =
  (deps: AdminDeps, holder: Holder): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const { mappings } = await holder.read(deps, realm, ctx.params.id);
    const clientMappings = Object.fromEntries(
      Object.entries(mappings.clientRoles)
        .filter(([, names]) => names.length)
        .map(([clientId, names]) => {
          const client = realm.doc.clients.find((c) => c.clientId === clientId);
          return [
            clientId,
            { id: client?.id, client: clientId, mappings: reps(realm.doc, names, clientId) },
          ];
        }),
    );
    ctx.body = {
      realmMappings: reps(realm.doc, mappings.realmRoles),
      ...(Object.keys(clientMappings).length ? { clientMappings } : {}),
    };
  };

/** POST / DELETE …/role-mappings/realm and …/clients/{client}: RoleMapperResource.addRealmRoleMappings,
 * deleteRealmRoleMappings (ClientRoleMappingsResource for a client's roles). */
const changeMappings =
  ({ deps, holder, container }: MappingScope, add: boolean): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const clientId = container(realm.doc, ctx);
    const known = clientId ? (realm.doc.roles.client[clientId] ?? []) : realm.doc.roles.realm;
    // A DELETE without a body removes every mapping of the container (Keycloak: roles == null).
    const names =
      !add && noBody(ctx)
        ? undefined
        : rolesNamed(known, (ctx.request as unknown as { body?: unknown }).body);
    // RoleMapperResource: auth.roles().requireMapRole(role) for each role added or removed.
    requireGrant(
      ctx,
      realm.name,
      (names ?? known.map((r) => r.name)).map((name) => ({ name, clientId })),
    );
    await commit(deps, realm.name, (tx) =>
      holder.change(tx, realm, ctx.params.id, (m) => {
        const current = clientId ? (m.clientRoles[clientId] ?? []) : m.realmRoles;
        const next = add
          ? [...new Set([...current, ...names!])]
          : names
            ? current.filter((n) => !names.includes(n))
            : [];
        return clientId
          ? { ...m, clientRoles: { ...m.clientRoles, [clientId]: next } }
          : { ...m, realmRoles: next };
      }),
    );
    noContent(ctx);
  };

function mappingRoutes(router: Router, deps: AdminDeps, base: string, holder: Holder): void {
  router.get(`${base}/role-mappings`, getAllMappings(deps, holder));
  for (const [suffix, isClient] of [
    ['/realm', false],
    ['/clients/:client', true],
  ] as const) {
    const path = `${base}/role-mappings${suffix}`;
    const container = (doc: RealmDocument, ctx: Context) =>
      isClient ? clientOf(doc, ctx.params.client).clientId : undefined;
    const scope: MappingScope = { deps, holder, container };
    router.get(path, listMapped(scope));
    router.get(`${path}/composite`, listComposite(scope));
    router.get(`${path}/available`, listAvailable(scope));
    router.post(path, changeMappings(scope, true));
    router.delete(path, changeMappings(scope, false));
  }
}

/** Registers the role-mapping routes of users and of groups. */
export function roleMappingRoutes(router: Router, deps: AdminDeps): void {
  mappingRoutes(router, deps, '/:realm/users/:id', USER);
  mappingRoutes(router, deps, '/:realm/groups/:id', GROUP);
}

/**
 * Realm and client roles (`/admin/realms/{realm}/roles`, `/clients/{id}/roles`), Keycloak's
 * RoleRepresentation: id, name, description, composite, clientRole, containerId.
 */
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import {
  roleSchema,
  type GroupRepresentation,
  type RealmDocument,
  type RoleRepresentation,
} from '../model/representation.ts';
import { dropRoleMappings } from '../store/role-mappings.ts';
import type { SqlClient } from '../store/sql.ts';
import { withoutScopeClient, withoutScopedRole } from './scope-mapping-doc.ts';
import { updateRealmDoc } from '../store/realms.ts';
import { formatPath } from '../realm/import.ts';
import { badRequest, conflict, notFound } from './errors.ts';
import { commit, created, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';

export function roleRep(role: RoleRepresentation, containerId: string, clientRole: boolean) {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    composite: Boolean(
      role.composite ||
      role.composites?.realm?.length ||
      Object.keys(role.composites?.client ?? {}).length,
    ),
    clientRole,
    containerId,
    attributes: role.attributes ?? {},
  };
}

function parseRole(body: unknown): RoleRepresentation {
  const parsed = roleSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(
      `${formatPath(issue.path) || 'role'}: ${issue.message}`,
      formatPath(issue.path),
    );
  }
  return parsed.data;
}

/** A role with where it lives: a realm role (clientId undefined) or a role of client `clientId`. */
export interface LocatedRole {
  role: RoleRepresentation;
  clientId?: string;
  containerId: string;
}

/** Every role of the realm, realm roles first. */
export function allRoles(doc: RealmDocument): LocatedRole[] {
  return [
    ...doc.roles.realm.map((role) => ({ role, containerId: doc.id })),
    ...Object.entries(doc.roles.client).flatMap(([clientId, roles]) => {
      const containerId = doc.clients.find((c) => c.clientId === clientId)?.id ?? clientId;
      return roles.map((role) => ({ role, clientId, containerId }));
    }),
  ];
}

/** The role with id `id`. @throws AdminError 404 (`message`, RoleByIdResource's by default) */
export function roleById(
  doc: RealmDocument,
  id: string,
  message = 'Could not find role with id',
): LocatedRole {
  const found = allRoles(doc).find((r) => r.role.id === id);
  if (!found) throw notFound(message);
  return found;
}

/** The role named `name` of the realm, or of the client with internal id `clientUuid`. @throws AdminError 404 */
export function roleByName(doc: RealmDocument, name: string, clientUuid?: string): LocatedRole {
  const c = container(doc, clientUuid);
  const role = c.roles.find((r) => r.name === name);
  if (!role) throw notFound('Could not find role');
  return { role, clientId: c.clientId, containerId: c.containerId };
}

/** `doc` with `located`'s role replaced by `role` (same name). */
export function withRole(
  doc: RealmDocument,
  located: LocatedRole,
  role: RoleRepresentation,
): RealmDocument {
  const roles = located.clientId ? (doc.roles.client[located.clientId] ?? []) : doc.roles.realm;
  return withRoles(
    doc,
    located.clientId,
    roles.map((r) => (r.name === located.role.name ? role : r)),
  );
}

/**
 * `doc` without `located`'s role, and without it in every role's composites, every group's
 * mappings and every scope mapping (Keycloak removes them with the role). Users' mappings: store/role-mappings.ts.
 */
export function withoutRole(doc: RealmDocument, located: LocatedRole): RealmDocument {
  const {
    clientId,
    role: { name },
  } = located;
  const roles = clientId ? (doc.roles.client[clientId] ?? []) : doc.roles.realm;
  const next = withRoles(
    doc,
    clientId,
    roles.filter((r) => r.name !== name),
  );
  const strip = <T extends { realm?: string[]; client?: Record<string, string[]> }>(
    holder: T,
  ): T =>
    clientId
      ? {
          ...holder,
          ...(holder.client?.[clientId]
            ? {
                client: {
                  ...holder.client,
                  [clientId]: holder.client[clientId].filter((n) => n !== name),
                },
              }
            : {}),
        }
      : { ...holder, ...(holder.realm ? { realm: holder.realm.filter((n) => n !== name) } : {}) };
  const ofRole = (r: RoleRepresentation) =>
    r.composites ? { ...r, composites: strip(r.composites) } : r;
  const ofGroups = (groups: GroupRepresentation[]): GroupRepresentation[] =>
    groups.map((g) => {
      const m = strip({ realm: g.realmRoles, client: g.clientRoles });
      return {
        ...g,
        realmRoles: m.realm ?? [],
        clientRoles: m.client ?? {},
        subGroups: ofGroups(g.subGroups ?? []),
      };
    });
  return withoutScopedRole(
    {
      ...next,
      roles: {
        ...next.roles,
        realm: next.roles.realm.map(ofRole),
        client: Object.fromEntries(
          Object.entries(next.roles.client).map(([c, list]) => [c, list.map(ofRole)]),
        ),
      },
      groups: ofGroups(next.groups),
    },
    name,
    clientId,
  );
}

/** `doc` without any role of client `clientId` in role composites, group mappings and scope mappings, nor the client's own scope mappings (the client is being deleted). */
export function withoutClientRoles(doc: RealmDocument, clientId: string): RealmDocument {
  const drop = (map?: Record<string, string[]>) =>
    map && clientId in map
      ? Object.fromEntries(Object.entries(map).filter(([c]) => c !== clientId))
      : map;
  const ofRole = (r: RoleRepresentation) =>
    r.composites?.client
      ? { ...r, composites: { ...r.composites, client: drop(r.composites.client) } }
      : r;
  const ofGroups = (groups: GroupRepresentation[]): GroupRepresentation[] =>
    groups.map((g) => ({
      ...g,
      clientRoles: drop(g.clientRoles) ?? {},
      subGroups: ofGroups(g.subGroups ?? []),
    }));
  return withoutScopeClient(
    {
      ...doc,
      roles: {
        ...doc.roles,
        realm: doc.roles.realm.map(ofRole),
        client: Object.fromEntries(
          Object.entries(doc.roles.client).map(([c, l]) => [c, l.map(ofRole)]),
        ),
      },
      groups: ofGroups(doc.groups),
    },
    clientId,
  );
}

/** Deletes `located`'s role from the realm document and every user's mappings, in `tx`. */
export async function deleteRole(
  tx: SqlClient,
  realm: { id: string; name: string },
  locate: (doc: RealmDocument) => LocatedRole,
): Promise<void> {
  let located: LocatedRole | undefined;
  await updateRealmDoc(tx, realm.name, (doc) => {
    located = locate(doc);
    return withoutRole(doc, located);
  });
  await dropRoleMappings(tx, realm.id, { clientId: located!.clientId, name: located!.role.name });
}

/**
 * A role updated from a PUT body (RoleResource.updateRole): description and attributes, and
 * `composites` when the body has them (Keycloak ignores them there; a GET answers no
 * `composites`, so a GET-modify-PUT keeps them). The name cannot change here (a rename would have
 * to follow into every mapping and composite).
 * @throws AdminError 400
 */
export function updatedRole(
  current: RoleRepresentation,
  body: Record<string, unknown>,
): RoleRepresentation {
  const updated = { ...parseRole({ ...current, ...body }), id: current.id };
  if (updated.name !== current.name) throw badRequest('renaming a role is not supported', 'name');
  return updated;
}

/** The role list a path addresses: realm roles, or the roles of the client with internal id `clientUuid`. */
function container(
  doc: RealmDocument,
  clientUuid?: string,
): { roles: RoleRepresentation[]; containerId: string; clientId?: string } {
  if (!clientUuid) return { roles: doc.roles.realm, containerId: doc.id };
  const client = doc.clients.find((c) => c.id === clientUuid);
  if (!client) throw notFound('Could not find client');
  return {
    roles: doc.roles.client[client.clientId] ?? [],
    containerId: client.id!,
    clientId: client.clientId,
  };
}

function withRoles(
  doc: RealmDocument,
  clientId: string | undefined,
  roles: RoleRepresentation[],
): RealmDocument {
  return clientId
    ? { ...doc, roles: { ...doc.roles, client: { ...doc.roles.client, [clientId]: roles } } }
    : { ...doc, roles: { ...doc.roles, realm: roles } };
}

export function roleRoutes(router: Router, deps: AdminDeps): void {
  for (const prefix of ['/:realm/roles', '/:realm/clients/:client/roles']) {
    router.get(prefix, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const c = container(realm.doc, ctx.params.client);
      ctx.body = c.roles.map((r) => roleRep(r, c.containerId, Boolean(c.clientId)));
    });

    router.post(prefix, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const role = { ...parseRole(jsonBody(ctx)), id: randomUUID() };
      await commit(deps, realm.name, (tx) =>
        updateRealmDoc(tx, realm.name, (doc) => {
          const c = container(doc, ctx.params.client);
          if (c.roles.some((r) => r.name === role.name))
            throw conflict(`Role with name ${role.name} already exists`);
          return withRoles(doc, c.clientId, [...c.roles, role]);
        }),
      );
      created(
        ctx,
        deps,
        `/${realm.name}${ctx.params.client ? `/clients/${ctx.params.client}` : ''}/roles/${encodeURIComponent(role.name)}`,
      );
    });

    router.get(`${prefix}/:name`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const c = container(realm.doc, ctx.params.client);
      const role = c.roles.find((r) => r.name === ctx.params.name);
      if (!role) throw notFound('Could not find role');
      ctx.body = roleRep(role, c.containerId, Boolean(c.clientId));
    });

    router.put(`${prefix}/:name`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const body = jsonBody(ctx);
      await commit(deps, realm.name, (tx) =>
        updateRealmDoc(tx, realm.name, (doc) => {
          const located = roleByName(doc, ctx.params.name, ctx.params.client);
          return withRole(doc, located, updatedRole(located.role, body));
        }),
      );
      noContent(ctx);
    });

    router.delete(`${prefix}/:name`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      await commit(deps, realm.name, (tx) =>
        deleteRole(tx, realm, (doc) => roleByName(doc, ctx.params.name, ctx.params.client)),
      );
      noContent(ctx);
    });
  }
}

/**
 * Composites of a role (`/roles/{name}/composites`, `/clients/{id}/roles/{name}/composites`,
 * `/roles-by-id/{id}/composites`), Keycloak's RoleContainerResource / RoleByIdResource with
 * RoleResource's helpers: GET the direct composites, POST / DELETE a RoleRepresentation[] (each
 * role found by `id`: 404 "Could not find composite role"), GET `composites/realm` and
 * `composites/clients/{clientUuid}` (the direct composites of that container). Composites are
 * stored as Keycloak exports them: RoleRepresentation.composites `{realm: [names], client:
 * {clientId: [names]}}`.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { RealmDocument, RoleRepresentation } from '../model/representation.ts';
import { updateRealmDoc } from '../store/realms.ts';
import { badRequest, notFound } from './errors.ts';
import { commit, noContent, realmScope, type AdminDeps } from './context.ts';
import { requireGrant } from './auth.ts';
import { allRoles, roleById, roleByName, roleRep, withRole, type LocatedRole } from './roles.ts';

type Locate = (doc: RealmDocument, ctx: Context) => LocatedRole;

/** The direct composites of `role` that exist, as located roles. */
function compositesOf(doc: RealmDocument, role: RoleRepresentation): LocatedRole[] {
  const realm = new Set(role.composites?.realm ?? []);
  const client = role.composites?.client ?? {};
  return allRoles(doc).filter((r) =>
    r.clientId ? (client[r.clientId] ?? []).includes(r.role.name) : realm.has(r.role.name),
  );
}

/** `role` with `located` roles added to (or removed from) its composites; `composite` follows. */
function withComposites(
  role: RoleRepresentation,
  located: LocatedRole[],
  add: boolean,
): RoleRepresentation {
  const realm = new Set(role.composites?.realm ?? []);
  const client = Object.fromEntries(
    Object.entries(role.composites?.client ?? {}).map(([k, v]) => [k, new Set(v)]),
  );
  for (const r of located) {
    const set = r.clientId ? (client[r.clientId] ??= new Set()) : realm;
    if (add) set.add(r.role.name);
    else set.delete(r.role.name);
  }
  const clientLists = Object.fromEntries(
    Object.entries(client)
      .filter(([, v]) => v.size)
      .map(([k, v]) => [k, [...v]]),
  );
  const composite = realm.size > 0 || Object.keys(clientLists).length > 0;
  return {
    ...role,
    composite,
    composites: composite
      ? {
          ...(realm.size ? { realm: [...realm] } : {}),
          ...(Object.keys(clientLists).length ? { client: clientLists } : {}),
        }
      : undefined,
  };
}

/** The roles a composites body names by id. @throws AdminError 400 not an array, 404 unknown id */
function bodyRoles(doc: RealmDocument, body: unknown): LocatedRole[] {
  if (!Array.isArray(body)) throw badRequest('request body must be a JSON array of roles');
  return body.map((r: unknown) => {
    const id = r && typeof r === 'object' ? (r as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') throw notFound('Could not find composite role');
    return roleById(doc, id, 'Could not find composite role');
  });
}

const rep = (r: LocatedRole) => roleRep(r.role, r.containerId, Boolean(r.clientId));

/** Registers the composites routes below `base` (a path naming one role, found by `locate`). */
export function compositeRoutes(
  router: Router,
  deps: AdminDeps,
  base: string,
  locate: Locate,
): void {
  router.get(`${base}/composites`, async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = compositesOf(realm.doc, locate(realm.doc, ctx).role).map(rep);
  });
  router.get(`${base}/composites/realm`, async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = compositesOf(realm.doc, locate(realm.doc, ctx).role)
      .filter((r) => !r.clientId)
      .map(rep);
  });
  router.get(`${base}/composites/clients/:clientUuid`, async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const client = realm.doc.clients.find((c) => c.id === ctx.params.clientUuid);
    if (!client) throw notFound('Could not find client');
    ctx.body = compositesOf(realm.doc, locate(realm.doc, ctx).role)
      .filter((r) => r.clientId === client.clientId)
      .map(rep);
  });
  const change = (add: boolean) => async (ctx: Context) => {
    const { realm } = await realmScope(deps, ctx);
    const body = (ctx.request as unknown as { body?: unknown }).body;
    await commit(deps, realm.name, (tx) =>
      updateRealmDoc(tx, realm.name, (doc) => {
        const located = locate(doc, ctx);
        const composites = bodyRoles(doc, body);
        // RoleResource.addComposites: auth.roles().requireMapComposite(role) for each composite.
        requireGrant(
          ctx,
          realm.name,
          composites.map((r) => ({ name: r.role.name, clientId: r.clientId })),
        );
        return withRole(doc, located, withComposites(located.role, composites, add));
      }),
    );
    noContent(ctx);
  };
  router.post(`${base}/composites`, change(true));
  router.delete(`${base}/composites`, change(false));
}

/** The composites routes of realm roles and client roles addressed by name (RoleContainerResource). */
export function namedRoleCompositeRoutes(router: Router, deps: AdminDeps): void {
  compositeRoutes(router, deps, '/:realm/roles/:name', (doc, ctx) =>
    roleByName(doc, ctx.params.name),
  );
  compositeRoutes(router, deps, '/:realm/clients/:client/roles/:name', (doc, ctx) =>
    roleByName(doc, ctx.params.name, ctx.params.client),
  );
}

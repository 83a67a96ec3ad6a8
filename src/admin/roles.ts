/**
 * Realm and client roles (`/admin/realms/{realm}/roles`, `/clients/{id}/roles`), Keycloak's
 * RoleRepresentation: id, name, description, composite, clientRole, containerId.
 */
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import { roleSchema, type RealmDocument, type RoleRepresentation } from '../realm/representation.ts';
import { updateRealmDoc } from '../store/realms.ts';
import { formatPath } from '../realm/import.ts';
import { badRequest, conflict, notFound } from './errors.ts';
import { commit, created, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';

export function roleRep(role: RoleRepresentation, containerId: string, clientRole: boolean) {
  return {
    id: role.id, name: role.name, description: role.description,
    composite: Boolean(role.composite || role.composites?.realm?.length || Object.keys(role.composites?.client ?? {}).length),
    clientRole, containerId, attributes: role.attributes ?? {},
  };
}

function parseRole(body: unknown): RoleRepresentation {
  const parsed = roleSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(`${formatPath(issue.path) || 'role'}: ${issue.message}`, formatPath(issue.path));
  }
  return parsed.data;
}

/** The role list a path addresses: realm roles, or the roles of the client with internal id `clientUuid`. */
function container(doc: RealmDocument, clientUuid?: string): { roles: RoleRepresentation[]; containerId: string; clientId?: string } {
  if (!clientUuid) return { roles: doc.roles.realm, containerId: doc.id };
  const client = doc.clients.find((c) => c.id === clientUuid);
  if (!client) throw notFound('Could not find client');
  return { roles: doc.roles.client[client.clientId] ?? [], containerId: client.id!, clientId: client.clientId };
}

function withRoles(doc: RealmDocument, clientId: string | undefined, roles: RoleRepresentation[]): RealmDocument {
  return clientId ? { ...doc, roles: { ...doc.roles, client: { ...doc.roles.client, [clientId]: roles } } } : { ...doc, roles: { ...doc.roles, realm: roles } };
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
      await commit(deps, realm.name, (tx) => updateRealmDoc(tx, realm.name, (doc) => {
        const c = container(doc, ctx.params.client);
        if (c.roles.some((r) => r.name === role.name)) throw conflict(`Role with name ${role.name} already exists`);
        return withRoles(doc, c.clientId, [...c.roles, role]);
      }));
      created(ctx, deps, `/${realm.name}${ctx.params.client ? `/clients/${ctx.params.client}` : ''}/roles/${encodeURIComponent(role.name)}`);
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
      await commit(deps, realm.name, (tx) => updateRealmDoc(tx, realm.name, (doc) => {
        const c = container(doc, ctx.params.client);
        const current = c.roles.find((r) => r.name === ctx.params.name);
        if (!current) throw notFound('Could not find role');
        const updated = { ...parseRole({ ...current, ...body }), id: current.id };
        if (updated.name !== current.name) throw badRequest('renaming a role is not supported', 'name');
        return withRoles(doc, c.clientId, c.roles.map((r) => (r.name === current.name ? updated : r)));
      }));
      noContent(ctx);
    });

    router.delete(`${prefix}/:name`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      await commit(deps, realm.name, (tx) => updateRealmDoc(tx, realm.name, (doc) => {
        const c = container(doc, ctx.params.client);
        if (!c.roles.some((r) => r.name === ctx.params.name)) throw notFound('Could not find role');
        return withRoles(doc, c.clientId, c.roles.filter((r) => r.name !== ctx.params.name));
      }));
      noContent(ctx);
    });
  }
}

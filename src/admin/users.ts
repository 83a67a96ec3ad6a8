/**
 * Users (`/admin/realms/{realm}/users`), Keycloak's UserResource subset used by
 * @keycloak/keycloak-admin-client: find, count, create, get, update, delete, reset-password and
 * realm/client role mappings. Passwords are hashed with argon2id; no response carries a hash.
 */
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import { userSchema, type RealmDocument, type RoleRepresentation } from '../realm/representation.ts';
import { deleteUser, findUserById, findUserByUsername, insertUser, replacePasswords, searchUsers, updateUser, type StoredUser } from '../store/users.ts';
import { hashPassword } from '../realm/password.ts';
import { formatPath } from '../realm/import.ts';
import { badRequest, conflict, notFound } from './errors.ts';
import { one, paging, TEXT, type Query } from './query-params.ts';
import { commit, created, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';
import { roleRep } from './roles.ts';

/** Keycloak's UserRepresentation as the admin API returns it (no credentials, no mappings). */
export function userRep(user: StoredUser) {
  const { credentials: _c, realmRoles: _r, clientRoles: _cr, groups: _g, ...rest } = user;
  return { ...rest, totp: user.totp === true, disableableCredentialTypes: [], notBefore: 0, access: { manageGroupMembership: true, view: true, mapRoles: true, impersonate: false, manage: true } };
}

function parseUser(body: unknown) {
  const parsed = userSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(`${formatPath(issue.path) || 'user'}: ${issue.message}`, formatPath(issue.path));
  }
  return parsed.data;
}

function checkRoles(doc: RealmDocument, realmRoles: string[], clientRoles: Record<string, string[]>): void {
  for (const name of realmRoles) if (!doc.roles.realm.some((r) => r.name === name)) throw notFound(`Role not found: ${name}`);
  for (const [clientId, names] of Object.entries(clientRoles)) {
    for (const name of names) if (!(doc.roles.client[clientId] ?? []).some((r) => r.name === name)) throw notFound(`Role not found: ${clientId}/${name}`);
  }
}

/** The request had no body at all (not even `[]`). */
const noBody = (ctx: { request: unknown }) => !(ctx.request as { rawBody?: string }).rawBody?.trim();

/**
 * The names of the roles a role-mapping body lists (RoleRepresentation[]), as Keycloak's
 * RoleMapperResource / ClientRoleMappingsResource add and delete them: each role is looked up by
 * `name` (by `id` when it has no name) among `known`, and an `id` given must be that role's.
 * @throws AdminError 400 when the body is not an array of objects, 404 `Role not found`
 */
function rolesNamed(known: RoleRepresentation[], body: unknown): string[] {
  if (!Array.isArray(body)) throw badRequest('request body must be a JSON array of roles');
  return body.map((r: unknown) => {
    if (!r || typeof r !== 'object') throw badRequest('request body must be a JSON array of roles');
    const { id, name } = r as { id?: unknown; name?: unknown };
    const role = typeof name === 'string' ? known.find((k) => k.name === name) : typeof id === 'string' ? known.find((k) => k.id === id) : undefined;
    if (!role || (id !== undefined && id !== null && id !== role.id)) throw notFound('Role not found');
    return role.name;
  });
}

export function userRoutes(router: Router, deps: AdminDeps): void {
  // Inside a transaction pass its client: PGlite has one connection, a query outside the
  // transaction would wait for it forever.
  const load = async (realmId: string, id: string, db = deps.db) => {
    const user = await findUserById(db, realmId, id);
    if (!user) throw notFound('User not found');
    return user;
  };
  const query = (q: Query) => ({ username: one(q, 'username', TEXT), email: one(q, 'email', TEXT), search: one(q, 'search', TEXT), exact: one(q, 'exact', TEXT) === 'true' });

  router.get('/:realm/users', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = (await searchUsers(deps.db, realm.id, { ...query(ctx.query), ...paging(ctx.query) })).map(userRep);
  });

  router.get('/:realm/users/count', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = (await searchUsers(deps.db, realm.id, { ...query(ctx.query), max: 1_000_000 })).length;
  });

  router.post('/:realm/users', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    // Keycloak's UsersResource.createUser links no service account (only a client does, through
    // serviceAccountsEnabled): a body's serviceAccountClientId would hide the user from searches.
    const { credentials, serviceAccountClientId: _link, ...rep } = parseUser(jsonBody(ctx));
    checkRoles(realm.doc, rep.realmRoles, rep.clientRoles);
    const passwords = await Promise.all(credentials.filter((c) => c.type === 'password' && c.value !== undefined).map((c) => hashPassword(c.value!)));
    const user: StoredUser = { ...rep, credentials: [], id: randomUUID(), createdTimestamp: Date.now() };
    await commit(deps, realm.name, async (tx) => {
      if (await findUserByUsername(tx, realm.id, user.username)) throw conflict('User exists with same username');
      await insertUser(tx, realm.id, user, passwords);
    });
    created(ctx, deps, `/${realm.name}/users/${user.id}`);
  });

  router.get('/:realm/users/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = userRep(await load(realm.id, ctx.params.id));
  });

  router.put('/:realm/users/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody(ctx);
    await commit(deps, realm.name, async (tx) => {
      const current = await load(realm.id, ctx.params.id, tx);
      const { credentials: _ignored, ...merged } = parseUser({ ...current, ...body, realmRoles: current.realmRoles, clientRoles: current.clientRoles, groups: current.groups, serviceAccountClientId: current.serviceAccountClientId });
      if (merged.username !== current.username && await findUserByUsername(tx, realm.id, merged.username)) throw conflict('User exists with same username');
      // `totp` (an OTP credential) is not the body's to change, as in Keycloak's UserResource.
      await updateUser(tx, realm.id, { ...merged, totp: current.totp, credentials: [], id: current.id, createdTimestamp: current.createdTimestamp });
    });
    noContent(ctx);
  });

  router.delete('/:realm/users/:id', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    if (!await deleteUser(deps.db, realm.id, ctx.params.id)) throw notFound('User not found');
    noContent(ctx);
  });

  router.put('/:realm/users/:id/reset-password', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody<{ type?: string; value?: unknown; temporary?: boolean }>(ctx);
    if (typeof body.value !== 'string' || !body.value) throw badRequest('the password must not be empty', 'value');
    const user = await load(realm.id, ctx.params.id);
    const stored = await hashPassword(body.value);
    await commit(deps, realm.name, async (tx) => {
      await replacePasswords(tx, user.id, stored);
      const actions = new Set(user.requiredActions ?? []);
      if (body.temporary) actions.add('UPDATE_PASSWORD'); else actions.delete('UPDATE_PASSWORD');
      await updateUser(tx, realm.id, { ...user, requiredActions: [...actions] });
    });
    noContent(ctx);
  });

  // Role mappings: realm roles, and roles of the client with internal id :client.
  const clientOf = (doc: RealmDocument, uuid: string) => {
    const client = doc.clients.find((c) => c.id === uuid);
    if (!client) throw notFound('Could not find client');
    return client;
  };
  const reps = (doc: RealmDocument, names: string[], clientId?: string) => {
    const roles = clientId ? doc.roles.client[clientId] ?? [] : doc.roles.realm;
    const containerId = clientId ? doc.clients.find((c) => c.clientId === clientId)?.id ?? clientId : doc.id;
    return names.map((n) => roles.find((r) => r.name === n)).filter((r): r is RoleRepresentation => Boolean(r)).map((r) => roleRep(r, containerId, Boolean(clientId)));
  };

  router.get('/:realm/users/:id/role-mappings', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const user = await load(realm.id, ctx.params.id);
    const clientMappings = Object.fromEntries(Object.entries(user.clientRoles).filter(([, names]) => names.length).map(([clientId, names]) => {
      const client = realm.doc.clients.find((c) => c.clientId === clientId);
      return [clientId, { id: client?.id, client: clientId, mappings: reps(realm.doc, names, clientId) }];
    }));
    ctx.body = { realmMappings: reps(realm.doc, user.realmRoles), ...(Object.keys(clientMappings).length ? { clientMappings } : {}) };
  });

  for (const [suffix, isClient] of [['/realm', false], ['/clients/:client', true]] as const) {
    const path = `/:realm/users/:id/role-mappings${suffix}`;
    router.get(path, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const user = await load(realm.id, ctx.params.id);
      const clientId = isClient ? clientOf(realm.doc, ctx.params.client).clientId : undefined;
      ctx.body = reps(realm.doc, clientId ? user.clientRoles[clientId] ?? [] : user.realmRoles, clientId);
    });
    const change = (add: boolean) => async (ctx: Parameters<Parameters<Router['post']>[1]>[0]) => {
      const { realm } = await realmScope(deps, ctx);
      const clientId = isClient ? clientOf(realm.doc, ctx.params.client).clientId : undefined;
      const known = clientId ? realm.doc.roles.client[clientId] ?? [] : realm.doc.roles.realm;
      // A DELETE without a body removes every mapping of the container (Keycloak: roles == null).
      const names = !add && noBody(ctx) ? undefined : rolesNamed(known, (ctx.request as unknown as { body?: unknown }).body);
      await commit(deps, realm.name, async (tx) => {
        const user = await load(realm.id, ctx.params.id, tx);
        const current = clientId ? user.clientRoles[clientId] ?? [] : user.realmRoles;
        const next = add ? [...new Set([...current, ...names!])] : names ? current.filter((n) => !names.includes(n)) : [];
        await updateUser(tx, realm.id, clientId ? { ...user, clientRoles: { ...user.clientRoles, [clientId]: next } } : { ...user, realmRoles: next });
      });
      noContent(ctx);
    };
    router.post(path, change(true));
    router.delete(path, change(false));
  }
}

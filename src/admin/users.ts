/**
 * Users (`/admin/realms/{realm}/users`), Keycloak's UserResource subset used by
 * @keycloak/keycloak-admin-client: find (with Keycloak's search parameters), count, create, get,
 * update, delete and reset-password (role mappings: role-mappings.ts; groups: user-groups.ts).
 * Passwords are hashed with argon2id; no response carries a hash.
 */
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import { userSchema, type RealmDocument } from '../model/representation.ts';
import {
  deleteUser,
  findUserById,
  findUserByUsername,
  insertUser,
  searchUsers,
  countUsers,
  updateUser,
  type StoredUser,
  type UserSearch,
} from '../store/users.ts';
import { preparePassword, storePassword } from '../realm/password-update.ts';
import type { StoredPassword } from '../model/password.ts';
import { withDefaultRole } from '../realm/defaults.ts';
import { withDefaultActions } from '../realm/required-actions.ts';
import { formatPath } from '../realm/import.ts';
import { AdminError, badRequest, conflict, notFound } from './errors.ts';
import { BOOL, one, paging, searchQueryFields, TEXT, type Query } from './query-params.ts';
import { commit, created, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';
import { findGroupByPath } from './group-tree.ts';
import { requireGrant, rolesFor, type AdminIdentity } from './auth.ts';
import { can, userAccess } from './permissions.ts';
import type { Context, Middleware } from 'koa';

/** The caller's access map for users of `realm`, and whether it may view them at all. */
function callerAccess(ctx: Context, realm: string) {
  const roles = rolesFor(ctx.state.admin as AdminIdentity, realm);
  return { access: userAccess(roles), canView: can(roles, 'users.view') };
}

type UserAccess = ReturnType<typeof userAccess>;

/** The access map of a caller holding every role (UserPermissions.getAccess). */
const ACCESS: UserAccess = {
  manageGroupMembership: true,
  view: true,
  mapRoles: true,
  impersonate: false,
  manage: true,
};

/**
 * Keycloak's brief UserRepresentation (ModelToRepresentation.toBriefRepresentation, for
 * `briefRepresentation=true`): id, username, names, email, enabled, emailVerified,
 * createdTimestamp, and access.
 */
export function briefUserRep(user: StoredUser, access: UserAccess = ACCESS) {
  const { id, username, firstName, lastName, email, enabled, emailVerified, createdTimestamp } =
    user;
  return {
    id,
    username,
    firstName,
    lastName,
    email,
    enabled,
    emailVerified,
    createdTimestamp,
    access,
  };
}

/** Keycloak's UserRepresentation as the admin API returns it (no credentials, no mappings). */
export function userRep(user: StoredUser, access: UserAccess = ACCESS) {
  const { credentials: _c, realmRoles: _r, clientRoles: _cr, groups: _g, ...rest } = user;
  return {
    ...rest,
    totp: user.totp === true,
    disableableCredentialTypes: [],
    notBefore: 0,
    access,
  };
}

function parseUser(body: unknown) {
  const parsed = userSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(
      `${formatPath(issue.path) || 'user'}: ${issue.message}`,
      formatPath(issue.path),
    );
  }
  return parsed.data;
}

/**
 * The filters of UsersResource.getUsers (Keycloak 26), in its three branches: `search` (with
 * `id:` a lookup by id; else JpaUserProvider's SEARCH, prefix / `*` / `"exact"`, with `enabled`
 * and nothing else, service accounts left out); else any of username, email, firstName,
 * lastName, emailVerified, enabled, exact, `q` (attribute `name:value` pairs, SearchQueryUtils)
 * together, service accounts included (INCLUDE_SERVICE_ACCOUNT true); else every user but
 * service accounts. For `count` (getUsersCount) the search branch ignores `enabled` and the
 * field branch has no `exact` and leaves service accounts out.
 * @throws AdminError 400 for a value that is not storable (checked by the router)
 */
export function userQuery(q: Query, count = false): UserSearch {
  const search = one(q, 'search', TEXT);
  const enabled = one(q, 'enabled', BOOL);
  if (search !== undefined) {
    if (search.startsWith('id:')) return { id: search.slice(3).trim() };
    return { search: search.trim(), ...(count ? {} : { enabled }) };
  }
  const query = one(q, 'q', TEXT);
  const fields: UserSearch = {
    username: one(q, 'username', TEXT),
    email: one(q, 'email', TEXT),
    firstName: one(q, 'firstName', TEXT),
    lastName: one(q, 'lastName', TEXT),
    exact: count ? false : one(q, 'exact', BOOL) === true,
    enabled,
    emailVerified: one(q, 'emailVerified', BOOL),
    attributes: query === undefined ? undefined : searchQueryFields(query),
  };
  const given = [
    'username',
    'email',
    'firstName',
    'lastName',
    'exact',
    'enabled',
    'emailVerified',
    'q',
  ];
  return {
    ...fields,
    includeServiceAccounts: !count && given.some((name) => q[name] !== undefined),
  };
}

/**
 * The groups a user body names, as paths, each an existing group (UsersResource.createUser).
 * @throws AdminError 404 `Group {path} not found`
 */
function checkGroups(doc: RealmDocument, groups: string[]): string[] {
  return groups.map((g) => {
    const placed = findGroupByPath(doc.groups, g);
    if (!placed) throw notFound(`Group ${g} not found`);
    return placed.path;
  });
}

function checkRoles(
  doc: RealmDocument,
  realmRoles: string[],
  clientRoles: Record<string, string[]>,
): void {
  for (const name of realmRoles)
    if (!doc.roles.realm.some((r) => r.name === name)) throw notFound(`Role not found: ${name}`);
  for (const [clientId, names] of Object.entries(clientRoles)) {
    for (const name of names)
      if (!(doc.roles.client[clientId] ?? []).some((r) => r.name === name))
        throw notFound(`Role not found: ${clientId}/${name}`);
  }
}

/**
 * The password credentials of a user body, each checked against the realm's password policy and
 * hashed as it says (UsersResource.createUser → RepresentationToModel.createCredentials).
 * @throws AdminError 400 `Password policy not met` (UsersResource: PasswordPolicyNotMetException)
 */
async function newUserPasswords(
  deps: AdminDeps,
  doc: RealmDocument,
  rep: { username: string; email?: string },
  credentials: { type?: string; value?: string }[],
): Promise<StoredPassword[]> {
  const passwords: StoredPassword[] = [];
  for (const c of credentials) {
    if (c.type !== 'password' || c.value === undefined) continue;
    const prepared = await preparePassword(deps.db, doc, rep, c.value);
    if (!prepared.ok) throw badRequest('Password policy not met');
    passwords.push(prepared.stored);
  }
  return passwords;
}

// Inside a transaction pass its client: PGlite has one connection, a query outside the
// transaction would wait for it forever.
async function load(deps: AdminDeps, realmId: string, id: string, db = deps.db) {
  const user = await findUserById(db, realmId, id);
  if (!user) throw notFound('User not found');
  return user;
}

/** GET /users: UsersResource.getUsers. */
const listUsers =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const brief = one(ctx.query, 'briefRepresentation', BOOL) === true;
    // No identity providers here: no user has a link to `idpAlias` (or `idpUserId`).
    if (
      one(ctx.query, 'idpAlias', TEXT) !== undefined ||
      one(ctx.query, 'idpUserId', TEXT) !== undefined
    ) {
      ctx.body = [];
      return;
    }
    const query = { ...userQuery(ctx.query), ...paging(ctx.query) };
    // UsersResource.toRepresentation lists only users the caller may view: with query-users
    // alone (no fine-grained group permissions here), none.
    const { access, canView } = callerAccess(ctx, realm.name);
    ctx.body = canView
      ? (await searchUsers(deps.db, realm.id, query)).map((u) =>
          brief ? briefUserRep(u, access) : userRep(u, access),
        )
      : [];
  };

/** GET /users/count: UsersResource.getUsersCount. */
const countUsersAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const filters = userQuery(ctx.query, true);
    // getUsersCount without view-users counts the users of the groups the caller may view: none here.
    ctx.body = callerAccess(ctx, realm.name).canView
      ? await countUsers(deps.db, realm.id, filters)
      : 0;
  };

/** POST /users: UsersResource.createUser. */
const createUser =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    // Keycloak's UsersResource.createUser links no service account (only a client does, through
    // serviceAccountsEnabled): a body's serviceAccountClientId would hide the user from searches.
    const { credentials, serviceAccountClientId: _link, ...rep } = parseUser(jsonBody(ctx));
    checkRoles(realm.doc, rep.realmRoles, rep.clientRoles);
    // Roles granted with the user need the power to grant them (RolePermissions.checkAdminRoles).
    requireGrant(ctx, realm.name, [
      ...rep.realmRoles.map((name) => ({ name })),
      ...Object.entries(rep.clientRoles).flatMap(([clientId, names]) =>
        names.map((name) => ({ name, clientId })),
      ),
    ]);
    rep.groups = checkGroups(realm.doc, rep.groups);
    const passwords = await newUserPasswords(deps, realm.doc, rep, credentials);
    // UsersResource.createUser → UserProvider.addUser(realm, username): addDefaultRoles = true,
    // so the new user holds default-roles-{realm} as an explicit mapping (realm/defaults.ts).
    // Keycloak's addUser(..., addDefaultRequiredActions = true) and createCredentials: the realm's
    // enabled default actions, and UPDATE_PASSWORD for a temporary password (realm/required-actions.ts).
    const temporary = credentials.some((c) => c.type === 'password' && c.temporary === true);
    const actions = withDefaultActions(realm.doc, rep.requiredActions);
    const user: StoredUser = {
      ...rep,
      requiredActions: temporary ? [...new Set([...actions, 'UPDATE_PASSWORD'])] : actions,
      totp: false,
      realmRoles: withDefaultRole(realm.doc, rep.realmRoles),
      credentials: [],
      id: randomUUID(),
      createdTimestamp: Date.now(),
    };
    await commit(deps, realm.name, async (tx) => {
      if (await findUserByUsername(tx, realm.id, user.username))
        throw conflict('User exists with same username');
      await insertUser(tx, realm.id, user, passwords);
    });
    created(ctx, deps, `/${realm.name}/users/${user.id}`);
  };

/** GET /users/{id}: UserResource.getUser. */
const getUser =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = userRep(
      await load(deps, realm.id, ctx.params.id),
      callerAccess(ctx, realm.name).access,
    );
  };

/** PUT /users/{id}: UserResource.updateUser. */
const updateUserAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody(ctx);
    await commit(deps, realm.name, async (tx) => {
      const current = await load(deps, realm.id, ctx.params.id, tx);
      const { credentials: _ignored, ...merged } = parseUser({
        ...current,
        ...body,
        realmRoles: current.realmRoles,
        clientRoles: current.clientRoles,
        groups: current.groups,
        serviceAccountClientId: current.serviceAccountClientId,
      });
      if (
        merged.username !== current.username &&
        (await findUserByUsername(tx, realm.id, merged.username))
      )
        throw conflict('User exists with same username');
      // `totp` (an OTP credential) is not the body's to change, as in Keycloak's UserResource.
      await updateUser(tx, realm.id, {
        ...merged,
        totp: current.totp,
        credentials: [],
        id: current.id,
        createdTimestamp: current.createdTimestamp,
      });
    });
    noContent(ctx);
  };

/** DELETE /users/{id}: UserResource.deleteUser. */
const deleteUserAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    if (!(await deleteUser(deps.db, realm.id, ctx.params.id))) throw notFound('User not found');
    noContent(ctx);
  };

/** PUT /users/{id}/reset-password: UserResource.resetPassword. */
const resetPassword =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody<{ type?: string; value?: unknown; temporary?: boolean }>(ctx);
    if (typeof body.value !== 'string' || !body.value)
      throw badRequest('the password must not be empty', 'value');
    const user = await load(deps, realm.id, ctx.params.id);
    const prepared = await preparePassword(deps.db, realm.doc, user, body.value);
    // UserResource.resetPassword: a policy failure is ModelException → ErrorResponseException
    // (400 {"error": key, "error_description": the admin message with its parameters}).
    if (!prepared.ok)
      throw new AdminError(400, {
        error: prepared.messages[0].key,
        error_description: prepared.messages[0].text,
      });
    await commit(deps, realm.name, async (tx) => {
      await storePassword(tx, user.id, prepared);
      const actions = new Set(user.requiredActions ?? []);
      if (body.temporary) actions.add('UPDATE_PASSWORD');
      else actions.delete('UPDATE_PASSWORD');
      await updateUser(tx, realm.id, { ...user, requiredActions: [...actions] });
    });
    noContent(ctx);
  };

export function userRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/users', listUsers(deps));
  router.get('/:realm/users/count', countUsersAction(deps));
  router.post('/:realm/users', createUser(deps));
  router.get('/:realm/users/:id', getUser(deps));
  router.put('/:realm/users/:id', updateUserAction(deps));
  router.delete('/:realm/users/:id', deleteUserAction(deps));
  router.put('/:realm/users/:id/reset-password', resetPassword(deps));
}

/**
 * Groups of a realm (`/admin/realms/{realm}/groups`), Keycloak 26's GroupsResource and
 * GroupResource: list (top level, or `search` with the hierarchy down to each match), count,
 * create at the top level or as a child (`/children`), move (a body with an existing `id`), get,
 * update (name, description, attributes; roles and subgroups in the body are ignored, as in
 * GroupResource.updateGroup), delete (with its subgroups), and members. Groups live in the realm
 * document (RealmRepresentation.groups, group-tree.ts); a rename, move or delete rewrites the
 * memberships of the users below it (store/groups.ts) in the same transaction.
 * Role mappings of a group: role-mappings.ts. A user's groups: user-groups.ts.
 */
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { GroupRepresentation, RealmDocument } from '../model/representation.ts';
import { updateRealmDoc } from '../store/realms.ts';
import { updateUser } from '../store/users.ts';
import { groupMembers, usersInGroupTree } from '../store/groups.ts';
import type { SqlClient } from '../store/sql.ts';
import { formatPath } from '../realm/import.ts';
import { badRequest, conflict, notFound } from './errors.ts';
import { BOOL, COUNT, one, paging, TEXT } from './query-params.ts';
import { commit, created, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';
import {
  allGroups,
  detach,
  findGroupById,
  inTree,
  isWithin,
  movedPath,
  subGroupCount,
  syncPaths,
  type PlacedGroup,
} from './group-tree.ts';
import { briefUserRep, userRep } from './users.ts';

export const GROUP_NOT_FOUND = 'Could not find group by id';

const groupBody = z.looseObject({
  id: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  attributes: z.record(z.string(), z.array(z.string())).nullable().optional(),
});
type GroupBody = z.infer<typeof groupBody>;

/** A GroupRepresentation body. @throws AdminError 400 */
function parseGroup(body: unknown): GroupBody & { name: string } {
  const parsed = groupBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(
      `${formatPath(issue.path) || 'group'}: ${issue.message}`,
      formatPath(issue.path),
    );
  }
  // GroupResource: "Group name is missing" for a blank name.
  if (!parsed.data.name?.trim()) throw badRequest('Group name is missing');
  // Memberships are stored as paths: a "/" in a name would make two groups one path (Keycloak escapes it as "~/").
  if (parsed.data.name.includes('/')) throw badRequest('Group name must not contain "/"', 'name');
  return { ...parsed.data, name: parsed.data.name };
}

/**
 * Keycloak's GroupRepresentation (GroupUtils.toRepresentation + populateSubGroupCount): brief
 * has id, name, path, parentId, description, subGroupCount, subGroups; full adds attributes,
 * realmRoles, clientRoles (names) and access.
 */
export function groupRep(placed: PlacedGroup, full: boolean) {
  const { group, path, parent } = placed;
  return {
    id: group.id,
    name: group.name,
    path,
    ...(parent ? { parentId: parent.id } : {}),
    ...(typeof group.description === 'string' ? { description: group.description } : {}),
    subGroupCount: subGroupCount(group),
    subGroups: [] as unknown[],
    ...(full
      ? {
          attributes: group.attributes ?? {},
          realmRoles: group.realmRoles ?? [],
          clientRoles: group.clientRoles ?? {},
          access: {
            view: true,
            viewMembers: true,
            manageMembers: true,
            manage: true,
            manageMembership: true,
          },
        }
      : {}),
  };
}

/** The group named by `:id` in `doc`. @throws AdminError 404 */
export function groupOf(doc: RealmDocument, id: string): PlacedGroup {
  const placed = findGroupById(doc.groups, id);
  if (!placed) throw notFound(GROUP_NOT_FOUND);
  return placed;
}

/** Rewrites (or, with `to` undefined, removes) the memberships at `from` and below, in `tx`. */
async function moveMemberships(
  tx: SqlClient,
  realmId: string,
  from: string,
  to?: string,
): Promise<void> {
  for (const user of await usersInGroupTree(tx, realmId, from)) {
    const groups =
      to === undefined
        ? user.groups.filter((m) => !inTree(m, from))
        : user.groups.map((m) => movedPath(m, from, to));
    await updateUser(tx, realmId, { ...user, groups: [...new Set(groups)] });
  }
}

/**
 * Puts `child` (new, or an existing group moved) under `parentId` (undefined: the top level).
 * @returns the path change of a moved group
 * @throws AdminError 404 unknown id, 409 name taken at the destination, 400 a move into its own subtree
 */
function place(
  doc: RealmDocument,
  child: GroupBody & { name: string },
  parentId: string | undefined,
): { id: string; moved?: { from: string; to: string } } {
  const parent = parentId ? groupOf(doc, parentId) : undefined;
  const siblings = parent ? (parent.group.subGroups ??= []) : doc.groups;
  const taken = (name: string, id?: string) => siblings.some((g) => g.name === name && g.id !== id);
  const exists = () =>
    conflict(
      parent
        ? `Sibling group named '${child.name}' already exists.`
        : `Top level group named '${child.name}' already exists.`,
    );
  if (!child.id) {
    if (taken(child.name)) throw exists();
    const group: GroupRepresentation = {
      id: randomUUID(),
      name: child.name,
      attributes: child.attributes ?? {},
      realmRoles: [],
      clientRoles: {},
      subGroups: [],
    };
    if (typeof child.description === 'string') group.description = child.description;
    siblings.push(group);
    return { id: group.id! };
  }
  const existing = findGroupById(doc.groups, child.id);
  if (!existing) throw notFound('Could not find child by id');
  if (parent && isWithin(existing.group, parent.group.id!))
    throw badRequest('A group cannot be moved into itself or one of its subgroups');
  if (existing.siblings === siblings) return { id: child.id };
  if (taken(existing.group.name, existing.group.id))
    throw conflict(
      parent
        ? `Sibling group named '${existing.group.name}' already exists.`
        : `Top level group named '${existing.group.name}' already exists.`,
    );
  detach(existing);
  siblings.push(existing.group);
  return {
    id: child.id,
    moved: { from: existing.path, to: `${parent?.path ?? ''}/${existing.group.name}` },
  };
}

function searchHierarchy(doc: RealmDocument, matches: PlacedGroup[], full: boolean) {
  const byId = new Map(allGroups(doc.groups).map((p) => [p.group.id, p]));
  const reps = new Map<string | undefined, ReturnType<typeof groupRep>>();
  const roots: ReturnType<typeof groupRep>[] = [];
  for (const match of matches) {
    const chain: PlacedGroup[] = [];
    for (
      let p: PlacedGroup | undefined = match;
      p;
      p = p.parent ? byId.get(p.parent.id) : undefined
    )
      chain.unshift(p);
    let parentRep: ReturnType<typeof groupRep> | undefined;
    for (const p of chain) {
      let rep = reps.get(p.group.id);
      if (!rep) {
        rep = groupRep(p, full);
        reps.set(p.group.id, rep);
        (parentRep ? parentRep.subGroups : roots).push(rep);
      }
      parentRep = rep;
    }
  }
  return roots;
}

/** Groups matching `search` (case-insensitive substring, or equal name when `exact`). */
const matching = (groups: PlacedGroup[], search: string, exact: boolean) => {
  const needle = search.trim().toLowerCase();
  return groups.filter((p) =>
    exact ? p.group.name === search.trim() : p.group.name.toLowerCase().includes(needle),
  );
};
const page = <T>(list: T[], first = 0, max?: number) =>
  list.slice(first, max === undefined ? undefined : first + max);

/** GET /:realm/groups */
const listGroups =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const search = one(ctx.query, 'search', TEXT);
    const full = one(ctx.query, 'briefRepresentation', BOOL) === false;
    const { first, max } = paging(ctx.query);
    const groups = allGroups(realm.doc.groups);
    if (search === undefined)
      ctx.body = page(
        groups.filter((p) => !p.parent),
        first,
        max,
      ).map((p) => groupRep(p, full));
    else
      ctx.body = searchHierarchy(
        realm.doc,
        page(matching(groups, search, one(ctx.query, 'exact', BOOL) === true), first, max),
        full,
      );
  };

/** GET /:realm/groups/count */
const countGroups =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const search = one(ctx.query, 'search', TEXT);
    const groups = allGroups(realm.doc.groups);
    const counted =
      search !== undefined
        ? matching(groups, search, false)
        : one(ctx.query, 'top', BOOL)
          ? groups.filter((p) => !p.parent)
          : groups;
    ctx.body = { count: counted.length };
  };

/** GET /:realm/groups/:id */
const getGroup =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = groupRep(groupOf(realm.doc, ctx.params.id), true);
  };

/** GET /:realm/groups/:id/children */
const listChildren =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const parent = groupOf(realm.doc, ctx.params.id);
    const search = one(ctx.query, 'search', TEXT);
    const full = one(ctx.query, 'briefRepresentation', BOOL) !== true;
    // GroupResource.getSubGroups: first defaults to 0, max to 10.
    const first = one(ctx.query, 'first', COUNT) ?? 0;
    const max = one(ctx.query, 'max', COUNT) ?? 10;
    let children = allGroups(realm.doc.groups).filter((p) => p.parent?.id === parent.group.id);
    if (search !== undefined)
      children = matching(children, search, one(ctx.query, 'exact', BOOL) === true);
    ctx.body = page(children, first, max).map((p) => groupRep(p, full));
  };

/** PUT /:realm/groups/:id */
const updateGroup =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = parseGroup(jsonBody(ctx));
    await commit(deps, realm.name, async (tx) => {
      let renamed: { from: string; to: string } | undefined;
      await updateRealmDoc(tx, realm.name, (doc) => {
        const placed = groupOf(doc, ctx.params.id);
        const { group } = placed;
        if (body.id && body.id !== group.id) throw badRequest('Invalid group id');
        if (body.name !== group.name) {
          if (placed.siblings.some((s) => s.id !== group.id && s.name === body.name))
            throw conflict(`Sibling group named '${body.name}' already exists.`);
          renamed = {
            from: placed.path,
            to: `${placed.path.slice(0, -group.name.length)}${body.name}`,
          };
          group.name = body.name;
        }
        if (body.attributes) group.attributes = body.attributes;
        // GroupResource.updateGroup sets the description the body has, absent included.
        if (typeof body.description === 'string') group.description = body.description;
        else delete group.description;
        syncPaths(doc.groups);
        return doc;
      });
      if (renamed) await moveMemberships(tx, realm.id, renamed.from, renamed.to);
    });
    noContent(ctx);
  };

/** DELETE /:realm/groups/:id */
const deleteGroup =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await commit(deps, realm.name, async (tx) => {
      let path = '';
      await updateRealmDoc(tx, realm.name, (doc) => {
        const placed = groupOf(doc, ctx.params.id);
        path = placed.path;
        detach(placed);
        return doc;
      });
      await moveMemberships(tx, realm.id, path);
    });
    noContent(ctx);
  };

/** GET /:realm/groups/:id/members */
const listMembers =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const { path } = groupOf(realm.doc, ctx.params.id);
    const { first, max } = paging(ctx.query);
    const brief = one(ctx.query, 'briefRepresentation', BOOL) === true;
    ctx.body = (await groupMembers(deps.db, realm.id, path, first, max ?? 100)).map((u) =>
      brief ? briefUserRep(u) : userRep(u),
    );
  };

/** POST /groups (GroupsResource.addTopLevelGroup) and /groups/{id}/children (GroupResource.addChild). */
const addGroup =
  (deps: AdminDeps, withParent: boolean): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = parseGroup(jsonBody(ctx));
    const placed = await commit(deps, realm.name, async (tx) => {
      let result: ReturnType<typeof place> | undefined;
      let rep: ReturnType<typeof groupRep> | undefined;
      await updateRealmDoc(tx, realm.name, (doc) => {
        result = place(doc, body, withParent ? ctx.params.id : undefined);
        syncPaths(doc.groups);
        rep = groupRep(groupOf(doc, result.id), true);
        return doc;
      });
      if (result!.moved) await moveMemberships(tx, realm.id, result!.moved.from, result!.moved.to);
      return { ...result!, rep: rep! };
    });
    if (body.id) {
      ctx.status = 204;
      ctx.body = null;
      return;
    }
    created(ctx, deps, `/${realm.name}/groups/${placed.id}`);
    // GroupResource.addChild answers the new child's representation; GroupsResource no body.
    if (withParent) ctx.body = placed.rep;
  };

export function groupRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/groups', listGroups(deps));
  router.get('/:realm/groups/count', countGroups(deps));
  router.post('/:realm/groups', addGroup(deps, false));
  router.post('/:realm/groups/:id/children', addGroup(deps, true));
  router.get('/:realm/groups/:id', getGroup(deps));
  router.get('/:realm/groups/:id/children', listChildren(deps));
  router.put('/:realm/groups/:id', updateGroup(deps));
  router.delete('/:realm/groups/:id', deleteGroup(deps));
  router.get('/:realm/groups/:id/members', listMembers(deps));
}

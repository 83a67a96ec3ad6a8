/**
 * A user's groups (`/users/{id}/groups`), Keycloak's UserResource.groupMembership,
 * getGroupMembershipCount, joinGroup and removeMembership: list (search by name, paged,
 * briefRepresentation true by default), count, join (PUT) and leave (DELETE) a group by id.
 * Memberships are stored as group paths on the user row (UserRepresentation.groups).
 */
import type Router from '@koa/router';
import { findUserById, updateUser, type StoredUser } from '../store/users.ts';
import type { RealmDocument } from '../model/representation.ts';
import { notFound } from './errors.ts';
import { BOOL, one, paging, TEXT } from './query-params.ts';
import { commit, noContent, realmScope, type AdminDeps } from './context.ts';
import { allGroups, findGroupById, normalPath } from './group-tree.ts';
import { groupRep } from './groups.ts';
import type { SqlClient } from '../store/sql.ts';

/** The user's groups that exist, in tree order, filtered by `search` (name, case-insensitive substring). */
function groupsOf(doc: RealmDocument, user: StoredUser, search?: string) {
  const paths = new Set(user.groups.map(normalPath));
  const needle = search?.trim().toLowerCase();
  return allGroups(doc.groups).filter(
    (p) => paths.has(p.path) && (!needle || p.group.name.toLowerCase().includes(needle)),
  );
}

export function userGroupRoutes(router: Router, deps: AdminDeps): void {
  const load = async (db: SqlClient, realmId: string, id: string) => {
    const user = await findUserById(db, realmId, id);
    if (!user) throw notFound('User not found');
    return user;
  };

  router.get('/:realm/users/:id/groups', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const user = await load(deps.db, realm.id, ctx.params.id);
    const full = one(ctx.query, 'briefRepresentation', BOOL) === false;
    const { first = 0, max } = paging(ctx.query);
    const groups = groupsOf(realm.doc, user, one(ctx.query, 'search', TEXT));
    ctx.body = groups
      .slice(first, max === undefined ? undefined : first + max)
      .map((p) => groupRep(p, full));
  });

  router.get('/:realm/users/:id/groups/count', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const user = await load(deps.db, realm.id, ctx.params.id);
    ctx.body = { count: groupsOf(realm.doc, user, one(ctx.query, 'search', TEXT)).length };
  });

  const membership =
    (join: boolean) => async (ctx: Parameters<Parameters<Router['put']>[1]>[0]) => {
      const { realm } = await realmScope(deps, ctx);
      const placed = findGroupById(realm.doc.groups, ctx.params.groupId);
      if (!placed) throw notFound('Group not found');
      await commit(deps, realm.name, async (tx) => {
        const user = await load(tx, realm.id, ctx.params.id);
        const others = user.groups.filter((m) => normalPath(m) !== placed.path);
        await updateUser(tx, realm.id, {
          ...user,
          groups: join ? [...others, placed.path] : others,
        });
      });
      noContent(ctx);
    };
  router.put('/:realm/users/:id/groups/:groupId', membership(true));
  router.delete('/:realm/users/:id/groups/:groupId', membership(false));
}

/**
 * Group membership in the `users` table: a user's UserRepresentation.groups holds group paths
 * (`/parent/child`; a top-level group also by its bare name, as realm exports write it). These
 * queries find a group's members and the users whose memberships lie in a subtree, for the
 * admin API (Keycloak GroupResource.getMembers, and the path changes a rename, move or delete
 * of a group makes: GroupModel.GroupPathChangeEvent).
 */
import type { SqlClient } from './sql.ts';
import type { StoredUser } from './users.ts';

type Row = { representation: StoredUser };

/** A membership normalised to a path, in SQL (column `v`). */
const PATH_OF_V = "(CASE WHEN left(v, 1) = '/' THEN v ELSE '/' || v END)";
const likePrefix = (path: string) => `${path.replace(/[\\%_]/g, '\\$&')}/%`;

/**
 * The direct members of the group at `path`, ordered by username, paged.
 * @param path Keycloak group path (`/a/b`)
 */
export async function groupMembers(
  db: SqlClient,
  realmId: string,
  path: string,
  first = 0,
  max = 100,
): Promise<StoredUser[]> {
  const rows = await db.query<Row>(
    `SELECT representation FROM users WHERE realm_id = $1 AND EXISTS (
       SELECT 1 FROM jsonb_array_elements_text(coalesce(representation->'groups', '[]'::jsonb)) AS g(v) WHERE ${PATH_OF_V} = $2)
     ORDER BY username LIMIT $3 OFFSET $4`,
    [realmId, path, max, first],
  );
  return rows.map((r) => r.representation);
}

/** Every user with a membership at `path` or below it (any number of rows: a subtree rename touches them all). */
export async function usersInGroupTree(
  db: SqlClient,
  realmId: string,
  path: string,
): Promise<StoredUser[]> {
  const rows = await db.query<Row>(
    `SELECT representation FROM users WHERE realm_id = $1 AND EXISTS (
       SELECT 1 FROM jsonb_array_elements_text(coalesce(representation->'groups', '[]'::jsonb)) AS g(v) WHERE ${PATH_OF_V} = $2 OR ${PATH_OF_V} LIKE $3)`,
    [realmId, path, likePrefix(path)],
  );
  return rows.map((r) => r.representation);
}

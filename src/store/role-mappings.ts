/**
 * Role mappings held on user rows (UserRepresentation.realmRoles / clientRoles, role names as in
 * realm exports). When a role is deleted Keycloak removes every mapping of it
 * (RoleModel removal: UserProvider.preRemove(realm, role)); dropRoleMappings does that here, so a
 * role later created with the same name is not held by the users of the old one.
 */
import type { SqlClient } from './sql.ts';

/**
 * Removes the realm role `name` (clientId undefined) or the role `name` of client `clientId`
 * from every user of the realm. @returns the number of users changed
 */
export async function dropRoleMappings(
  db: SqlClient,
  realmId: string,
  role: { clientId?: string; name: string },
): Promise<number> {
  const path = role.clientId === undefined ? ['realmRoles'] : ['clientRoles', role.clientId];
  const rows = await db.query(
    `UPDATE users SET representation = jsonb_set(representation, $2::text[],
       (SELECT coalesce(jsonb_agg(r), '[]'::jsonb) FROM jsonb_array_elements(representation #> $2::text[]) AS e(r) WHERE r <> to_jsonb($3::text)))
     WHERE realm_id = $1 AND jsonb_typeof(representation #> $2::text[]) = 'array' AND (representation #> $2::text[]) ? $3
     RETURNING id`,
    [realmId, path, role.name],
  );
  return rows.length;
}

/** Removes every mapping of a role of client `clientId` from every user of the realm (the client is gone). */
export async function dropClientMappings(
  db: SqlClient,
  realmId: string,
  clientId: string,
): Promise<void> {
  await db.query(
    "UPDATE users SET representation = representation #- ARRAY['clientRoles', $2::text] WHERE realm_id = $1 AND representation->'clientRoles' ? $2",
    [realmId, clientId],
  );
}

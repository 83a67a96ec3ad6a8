/**
 * oidc-role-name-mapper: renames or moves one of the token's roles: `role` (`client.role` or a
 * realm role) becomes `new.role.name` (same syntax), if the token has it. Keycloak
 * RoleNameMapper, priority 10; runs for access token, userinfo and introspection.
 */
import { PRIORITY, type MapperType } from './mapper.ts';
import { addRole, clientAccess, realmAccess } from './resolved-roles.ts';
import { parseScopedRole } from './role-graph.ts';
import { always } from './targets.ts';

export const roleNameMapper: MapperType = {
  id: 'oidc-role-name-mapper',
  priority: PRIORITY.ROLE_NAMES,
  appliesTo: always(['access', 'userinfo', 'introspection']),
  apply(_claims, mapper, ctx) {
    const role = mapper.config.role,
      newName = mapper.config['new.role.name'];
    if (!role || !newName) return;
    const from = parseScopedRole(role),
      to = parseScopedRole(newName);
    const source =
      from.clientId !== undefined
        ? clientAccess(ctx.roles, from.clientId, false)
        : realmAccess(ctx.roles, false);
    const at = source?.indexOf(from.name) ?? -1;
    if (!source || at < 0) return;
    source.splice(at, 1);
    addRole(
      to.clientId !== undefined
        ? clientAccess(ctx.roles, to.clientId, true)!
        : realmAccess(ctx.roles, true)!,
      to.name,
    );
  },
};

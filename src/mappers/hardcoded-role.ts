/**
 * oidc-hardcoded-role-mapper: adds the role `role` (`client.role` for a client role, split at
 * the last '.') to the token's roles; the role mappers then put it into the claims. It runs
 * whatever its flags ("the mapper is always executed and then other role mappers decide"),
 * for access token, userinfo and introspection. Keycloak HardcodedRole, priority 20.
 */
import { PRIORITY, type MapperType } from './mapper.ts';
import { addRole, clientAccess, realmAccess } from './resolved-roles.ts';
import { parseScopedRole } from './role-graph.ts';
import { always } from './targets.ts';

export const hardcodedRoleMapper: MapperType = {
  id: 'oidc-hardcoded-role-mapper',
  priority: PRIORITY.HARDCODED_ROLE,
  appliesTo: always(['access', 'userinfo', 'introspection']),
  apply(_claims, mapper, ctx) {
    const role = mapper.config.role;
    if (!role) return;
    const { clientId, name } = parseScopedRole(role);
    if (clientId !== undefined) addRole(clientAccess(ctx.roles, clientId, true)!, name);
    else addRole(realmAccess(ctx.roles, true)!, role);
  },
};

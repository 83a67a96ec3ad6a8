/**
 * oidc-usermodel-realm-role-mapper and oidc-usermodel-client-role-mapper: the token's roles
 * (the user's roles within the role scope, after hardcoded-role / role-name mappers) as a claim.
 * Keycloak UserRealmRoleMappingMapper, UserClientRoleMappingMapper, AbstractUserRoleMappingMapper:
 * - `usermodel.realmRoleMapping.rolePrefix` / `usermodel.clientRoleMapping.rolePrefix` prefix
 *   each role name; `usermodel.clientRoleMapping.clientId` limits to one client (else every
 *   client with roles, one claim per client);
 * - `${client_id}` in `claim.name` is that client's id, its `.` and `\` escaped;
 * - for access tokens (and userinfo / introspection, AccessToken objects in Keycloak)
 *   `realm_access.roles` and `resource_access.{client}.roles` accumulate roles without
 *   duplicates (AccessToken.Access); elsewhere a list claim is appended to a list already there.
 * Priority 40 (after hardcoded role 20, role name 10). Targets: access, id, userinfo, introspection.
 */
import { mapAttributeValue, NOT_MAPPABLE } from './claim-value.ts';
import { claimPathOf, nestedObject } from './map-claim.ts';
import { PRIORITY, type MapperContext, type MapperType } from './mapper.ts';
import { getOwn, setOwn } from './own.ts';
import { clientAccess, realmAccess } from './resolved-roles.ts';
import { flagged } from './targets.ts';
import type { Claims, ProtocolMapperRep } from './types.ts';

function isAccessPath(path: readonly string[]): boolean {
  return (
    (path.length === 2 && path[0] === 'realm_access' && path[1] === 'roles') ||
    (path.length === 3 && path[0] === 'resource_access' && path[2] === 'roles')
  );
}

function putRoles(
  claims: Claims,
  path: readonly string[],
  value: unknown,
  accessToken: boolean,
): void {
  const parent = nestedObject(claims, path.slice(0, -1));
  if (!parent) return;
  const last = path[path.length - 1];
  const existing = getOwn(parent, last);
  if (accessToken && Array.isArray(value) && isAccessPath(path)) {
    const roles = Array.isArray(existing) ? [...existing] : [];
    for (const role of value) if (!roles.includes(role)) roles.push(role);
    setOwn(parent, last, roles);
  } else {
    setOwn(
      parent,
      last,
      Array.isArray(existing) && Array.isArray(value) ? [...existing, ...value] : value,
    );
  }
}

/** AbstractUserRoleMappingMapper.setClaim + mapClaim for one set of role names. */
function setRoleClaim(
  claims: Claims,
  mapper: ProtocolMapperRep,
  ctx: MapperContext,
  roles: string[],
  clientId: string | undefined,
  prefix: string | undefined,
): void {
  const names = prefix ? [...new Set(roles.map((r) => prefix + r))] : roles;
  const value = mapAttributeValue(mapper.config, names);
  if (value === undefined || value === NOT_MAPPABLE) return;
  // Keycloak replaces ${client_id} by the escaped client id, then splits: the same as splitting
  // the name (the placeholder holds no '.' or '\\') and replacing it by the client id.
  const template = claimPathOf(mapper);
  if (!template?.length) return;
  const path =
    clientId === undefined
      ? template
      : template.map((c) =>
          c.includes('${client_id}') ? c.replaceAll('${client_id}', clientId) : c,
        );
  putRoles(claims, path, value, ctx.target !== 'id');
}

export const realmRoleMapper: MapperType = {
  id: 'oidc-usermodel-realm-role-mapper',
  priority: PRIORITY.ROLE,
  appliesTo: flagged(['access', 'id', 'userinfo', 'introspection']),
  apply(claims, mapper, ctx) {
    const roles = realmAccess(ctx.roles, false);
    if (roles)
      setRoleClaim(
        claims,
        mapper,
        ctx,
        roles,
        undefined,
        mapper.config['usermodel.realmRoleMapping.rolePrefix'],
      );
  },
};

export const clientRoleMapper: MapperType = {
  id: 'oidc-usermodel-client-role-mapper',
  priority: PRIORITY.ROLE,
  appliesTo: flagged(['access', 'id', 'userinfo', 'introspection']),
  apply(claims, mapper, ctx) {
    const clientId = mapper.config['usermodel.clientRoleMapping.clientId'];
    const prefix = mapper.config['usermodel.clientRoleMapping.rolePrefix'];
    if (clientId) {
      const roles = clientAccess(ctx.roles, clientId, false);
      if (roles) setRoleClaim(claims, mapper, ctx, roles, clientId, prefix);
      return;
    }
    for (const [id, roles] of ctx.roles.clients)
      setRoleClaim(claims, mapper, ctx, roles, id, prefix);
  },
};

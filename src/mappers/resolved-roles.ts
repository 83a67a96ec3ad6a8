/**
 * The roles the role mappers put into one token, as Keycloak's RoleResolveUtil holds them for a
 * request: the user's roles within the token's role scope, which oidc-hardcoded-role-mapper and
 * oidc-role-name-mapper (priorities 20 and 10) change before the role mappers (priority 40) and
 * the audience resolve mapper (30) read them. One object per pipeline run; Keycloak's
 * "no realm roles" (realmAccess null) is `realm: undefined`.
 */
import type { EffectiveRoles } from '../model/model.ts';

export interface ResolvedRoles {
  realm?: string[];
  clients: Map<string, string[]>;
}

export function resolveRoles(roles: EffectiveRoles): ResolvedRoles {
  const clients = new Map<string, string[]>();
  for (const [clientId, names] of Object.entries(roles.clients))
    if (names.length) clients.set(clientId, [...new Set(names)]);
  return { realm: roles.realm.length ? [...new Set(roles.realm)] : undefined, clients };
}

/** RoleResolveUtil.getResolvedRealmRoles(…, createIfMissing). */
export function realmAccess(resolved: ResolvedRoles, create: boolean): string[] | undefined {
  if (!resolved.realm && create) resolved.realm = [];
  return resolved.realm;
}

/** RoleResolveUtil.getResolvedClientRoles(…, clientId, createIfMissing). */
export function clientAccess(
  resolved: ResolvedRoles,
  clientId: string,
  create: boolean,
): string[] | undefined {
  if (!resolved.clients.has(clientId) && create) resolved.clients.set(clientId, []);
  return resolved.clients.get(clientId);
}

/** AccessToken.Access.addRole: a set, so no duplicates. */
export function addRole(list: string[], name: string): void {
  if (!list.includes(name)) list.push(name);
}

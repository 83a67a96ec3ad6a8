/**
 * Role keys and composite expansion over a realm's role definitions, as Keycloak's
 * RoleUtils.expandCompositeRoles (a role stands for itself and, recursively, its composites).
 * Keys: `realm\0{name}` and `client\0{clientId}\0{name}` (NUL: names may contain ':' or '.').
 */
import type { RoleRepresentation } from '../model/representation.ts';

export type RoleKey = string;
export const realmRoleKey = (name: string): RoleKey => `realm\0${name}`;
export const clientRoleKey = (clientId: string, name: string): RoleKey =>
  `client\0${clientId}\0${name}`;

/** `{ clientId, name }` of a key; clientId undefined for a realm role. */
export function parseRoleKey(key: RoleKey): { clientId?: string; name: string } {
  const [type, a, b] = key.split('\0');
  return type === 'realm' ? { name: a } : { clientId: a, name: b };
}

/** Role definitions by key, from `roles.realm` and `roles.client` of a realm. */
export function roleDefinitions(roles: {
  realm: RoleRepresentation[];
  client: Record<string, RoleRepresentation[]>;
}): Map<RoleKey, RoleRepresentation> {
  const byKey = new Map<RoleKey, RoleRepresentation>();
  for (const role of roles.realm) byKey.set(realmRoleKey(role.name), role);
  for (const [clientId, list] of Object.entries(roles.client))
    for (const role of list) byKey.set(clientRoleKey(clientId, role.name), role);
  return byKey;
}

/**
 * The keys of `start` and all their composites (iterative, cycle-safe). Keys of roles the
 * realm does not define are kept (they expand to nothing); callers filter them where needed.
 */
export function expandComposites(
  definitions: ReadonlyMap<RoleKey, RoleRepresentation>,
  start: Iterable<RoleKey>,
): Set<RoleKey> {
  const seen = new Set<RoleKey>();
  const stack = [...start];
  while (stack.length) {
    const key = stack.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    const composites = definitions.get(key)?.composites;
    for (const name of composites?.realm ?? []) stack.push(realmRoleKey(name));
    for (const [clientId, names] of Object.entries(composites?.client ?? {}))
      for (const name of names) stack.push(clientRoleKey(clientId, name));
  }
  return seen;
}

/**
 * Keycloak KeycloakModelUtils.parseRole ("used for hardcoded role mappers"): `app.role` is split
 * at the LAST '.' into client `app` and role `role`; no '.' means a realm role. So a realm
 * role with a dot in its name cannot be named here, as in Keycloak.
 */
export function parseScopedRole(role: string): { clientId?: string; name: string } {
  const dot = role.lastIndexOf('.');
  return dot > -1 ? { clientId: role.slice(0, dot), name: role.slice(dot + 1) } : { name: role };
}

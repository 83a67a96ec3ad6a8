/**
 * The role scope of a token: which of the user's roles a token for this client may carry.
 * Keycloak TokenManager.getAccess: with `fullScopeAllowed` all the user's roles; otherwise the
 * user's roles intersected with the expanded union of (1) the client's own roles, (2) the
 * client's scope mappings and (3) the scope mappings of the applied client scopes
 * (realm `scopeMappings` / `clientScopeMappings`), composites expanded (RoleUtils).
 * roleScope depends only on (client, applied scopes): cacheable per realm version.
 */
import type { ClientRepresentation } from '../model/representation.ts';
import type { EffectiveRoles } from '../model/model.ts';
import type { RealmIndex } from './realm-index.ts';
import {
  clientRoleKey,
  expandComposites,
  parseRoleKey,
  realmRoleKey,
  type RoleKey,
} from './role-graph.ts';
import { setOwn } from './own.ts';
import type { ClientScopeRep } from './types.ts';

/** 'full' (fullScopeAllowed) or the set of role keys a token may carry. */
export type RoleScope = 'full' | ReadonlySet<RoleKey>;

export function roleScope(
  index: RealmIndex,
  client: ClientRepresentation,
  applied: readonly ClientScopeRep[],
): RoleScope {
  if (client.fullScopeAllowed !== false) return 'full';
  const start: RoleKey[] = [];
  for (const key of index.definitions.keys())
    if (parseRoleKey(key).clientId === client.clientId) start.push(key);
  start.push(...(index.scopes.clientRoles.get(client.clientId) ?? []));
  for (const scope of applied) start.push(...(index.scopes.scopeRoles.get(scope.name) ?? []));
  return expandComposites(index.definitions, start);
}

/** The user's role keys (realm and client roles as EffectiveRoles holds them, already expanded). */
export function roleKeysOf(roles: EffectiveRoles): Set<RoleKey> {
  const keys = new Set<RoleKey>(roles.realm.map(realmRoleKey));
  for (const [clientId, names] of Object.entries(roles.clients))
    for (const name of names) keys.add(clientRoleKey(clientId, name));
  return keys;
}

/** The user's roles restricted to `scope` (same shape, order kept). */
export function restrictRoles(roles: EffectiveRoles, scope: RoleScope): EffectiveRoles {
  if (scope === 'full') return roles;
  const clients: Record<string, string[]> = {};
  for (const [clientId, names] of Object.entries(roles.clients)) {
    const kept = names.filter((n) => scope.has(clientRoleKey(clientId, n)));
    if (kept.length) setOwn(clients, clientId, kept);
  }
  return { realm: roles.realm.filter((n) => scope.has(realmRoleKey(n))), clients };
}

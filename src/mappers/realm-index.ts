/**
 * The read-only view of one realm that the mapper pipeline needs, built once per realm version
 * by the caller (it is pure and holds no I/O): role definitions by key, clients and their
 * parsed protocol mappers, groups by Keycloak path (`/parent/child`) with their parents and
 * attributes, and the client scopes (client-scopes.ts). Unreadable mapper or scope entries are
 * collected in `invalid` (to be logged once by the caller), never thrown.
 */
import type {
  ClientRepresentation,
  GroupRepresentation,
  RealmRepresentation,
  RoleRepresentation,
} from '../model/representation.ts';
import { parseMappers, realmClientScopes, type RealmScopes } from './client-scopes.ts';
import { roleDefinitions, type RoleKey } from './role-graph.ts';
import type { ProtocolMapperRep } from './types.ts';

export interface IndexedGroup {
  name: string;
  path: string;
  parentPath?: string;
  attributes: Readonly<Record<string, readonly string[]>>;
}

export interface RealmIndex {
  name: string;
  definitions: ReadonlyMap<RoleKey, RoleRepresentation>;
  clients: ReadonlyMap<string, ClientRepresentation>;
  /** The client's own protocol mappers, by clientId. */
  clientMappers: ReadonlyMap<string, readonly ProtocolMapperRep[]>;
  groups: ReadonlyMap<string, IndexedGroup>;
  scopes: RealmScopes;
  /** RealmRepresentation.organizationsEnabled (organization claims need organizations, not modelled). */
  organizationsEnabled: boolean;
  invalid: readonly string[];
}

function groupAttributes(group: GroupRepresentation): Record<string, string[]> {
  const attrs = group.attributes;
  if (!attrs || typeof attrs !== 'object') return {};
  return Object.fromEntries(
    Object.entries(attrs as Record<string, unknown>).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map(String) : [String(v)],
    ]),
  );
}

function indexGroups(groups: GroupRepresentation[]): Map<string, IndexedGroup> {
  const byPath = new Map<string, IndexedGroup>();
  const stack: { group: GroupRepresentation; parentPath?: string }[] = groups.map((group) => ({
    group,
  }));
  while (stack.length) {
    const { group, parentPath } = stack.pop()!;
    const path = `${parentPath ?? ''}/${group.name}`;
    byPath.set(path, { name: group.name, path, parentPath, attributes: groupAttributes(group) });
    for (const sub of group.subGroups ?? []) stack.push({ group: sub, parentPath: path });
  }
  return byPath;
}

/** Builds the index of a parsed realm (model/representation.ts realmSchema output). */
export function indexRealm(rep: RealmRepresentation): RealmIndex {
  const scopes = realmClientScopes(rep);
  const invalid = [...scopes.invalid];
  const clients = new Map<string, ClientRepresentation>();
  const clientMappers = new Map<string, ProtocolMapperRep[]>();
  for (const client of rep.clients) {
    clients.set(client.clientId, client);
    clientMappers.set(
      client.clientId,
      parseMappers(
        (client as Record<string, unknown>).protocolMappers,
        `clients[${client.clientId}]`,
        invalid,
      ),
    );
  }
  return {
    name: rep.realm,
    definitions: roleDefinitions(rep.roles),
    clients,
    clientMappers,
    groups: indexGroups(rep.groups),
    scopes,
    organizationsEnabled: (rep as Record<string, unknown>).organizationsEnabled === true,
    invalid,
  };
}

/** A group by Keycloak path, or by bare name for a top-level group (as user exports name them). */
export function findGroup(index: RealmIndex, pathOrName: string): IndexedGroup | undefined {
  return index.groups.get(pathOrName.startsWith('/') ? pathOrName : `/${pathOrName}`);
}

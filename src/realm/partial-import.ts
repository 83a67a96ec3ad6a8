/**
 * Keycloak's partial import (PartialImportManager and its AbstractPartialImport subclasses) as a
 * pure merge of a PartialImportRepresentation into a realm document: each user, client, group,
 * realm role, client role and identity provider that exists already is, by `ifResourceExists`,
 * refused (FAIL, the default: ErrorResponse.exists, 409, with Keycloak's existsMessage), kept
 * (SKIP) or replaced (OVERWRITE); the others are added. Results as PartialImportResult
 * (`action` ADDED / SKIPPED / OVERWRITTEN, `resourceType` USER / CLIENT / GROUP / REALM_ROLE /
 * CLIENT_ROLE / IDP, `resourceName`, `id`). Users are returned apart: they live in their own table.
 */
import { QsignError } from '../errors.ts';
import type { RealmDocument, UserRepresentation } from '../model/representation.ts';
import { RealmImportError } from './import.ts';

export type Policy = 'FAIL' | 'SKIP' | 'OVERWRITE';
export type Action = 'ADDED' | 'SKIPPED' | 'OVERWRITTEN';
export type ResourceType = 'USER' | 'CLIENT' | 'GROUP' | 'REALM_ROLE' | 'CLIENT_ROLE' | 'IDP';
export interface PartialImportResult {
  action: Action;
  resourceType: ResourceType;
  resourceName: string;
  id?: string;
}

/** A resource that exists under FAIL: Keycloak answers 409 with this message. */
export class PartialImportExistsError extends QsignError {
  constructor(message: string) {
    super('ERR_PARTIAL_IMPORT_EXISTS', message);
    this.name = 'PartialImportExistsError';
  }
}

type Loose = Record<string, unknown>;

/** One resource kind: where it lives in the document, its name, Keycloak's existsMessage. */
interface Kind {
  type: ResourceType;
  name: (r: Loose) => string;
  exists: (name: string) => string;
}

/**
 * Merges `incoming` into `current` by name: returns the new list and the results.
 * @throws PartialImportExistsError under FAIL for a resource that exists.
 */
export function mergeByName(
  current: Loose[],
  incoming: Loose[],
  policy: Policy,
  kind: Kind,
): { list: Loose[]; results: PartialImportResult[] } {
  const list = [...current];
  const results: PartialImportResult[] = [];
  for (const rep of incoming) {
    const name = kind.name(rep);
    const at = list.findIndex((r) => kind.name(r) === name);
    if (at >= 0 && policy === 'FAIL') throw new PartialImportExistsError(kind.exists(name));
    if (at >= 0 && policy === 'SKIP') {
      results.push({
        action: 'SKIPPED',
        resourceType: kind.type,
        resourceName: name,
        id: list[at].id as string | undefined,
      });
      continue;
    }
    // Keycloak gives an added or overwritten client an id of its own (ClientsPartialImport.create); the import fills ids in.
    const next = { ...rep };
    if (kind.type === 'CLIENT') delete next.id;
    if (at >= 0) list[at] = next;
    else list.push(next);
    results.push({
      action: at >= 0 ? 'OVERWRITTEN' : 'ADDED',
      resourceType: kind.type,
      resourceName: name,
    });
  }
  return { list, results };
}

/** Keycloak's existsMessage of each partial import class (ClientsPartialImport, GroupsPartialImport: the path, RealmRolesPartialImport, IdentityProvidersPartialImport, UsersPartialImport). */
export const KINDS = {
  client: {
    type: 'CLIENT',
    name: (r) => String(r.clientId),
    exists: (n) => `Client id '${n}' already exists`,
  },
  group: {
    type: 'GROUP',
    name: (r) => String(r.name),
    exists: (n) => `Group '/${n}' already exists`,
  },
  realmRole: {
    type: 'REALM_ROLE',
    name: (r) => String(r.name),
    exists: (n) => `Realm role '${n}' already exists.`,
  },
  idp: {
    type: 'IDP',
    name: (r) => String(r.alias),
    exists: (n) => `Identity Provider '${n}' already exists.`,
  },
  user: {
    type: 'USER',
    name: (r) => String(r.username).toLowerCase(),
    exists: (n) => `User with user name ${n} already exists.`,
  },
} satisfies Record<string, Kind>;

const clientRoleKind = (clientId: string): Kind => ({
  type: 'CLIENT_ROLE',
  name: (r) => String(r.name),
  exists: (n) => `Client role '${n}' for client '${clientId}' already exists.`,
});

/**
 * The array at `field` of the body (absent: empty), every entry an object.
 * @throws RealmImportError naming the first entry that is not (the admin API answers 400).
 */
function list(value: unknown, field = ''): Loose[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new RealmImportError('partialImport', [{ path: field, reason: 'must be an array' }]);
  const bad = value.findIndex((v) => v === null || typeof v !== 'object' || Array.isArray(v));
  if (bad >= 0)
    throw new RealmImportError('partialImport', [
      { path: `${field}[${bad}]`, reason: 'must be an object' },
    ]);
  return value as Loose[];
}

/** Keycloak's PartialImportRepresentation. */
export interface PartialImportRepresentation {
  ifResourceExists?: string;
  users?: Loose[];
  clients?: Loose[];
  groups?: Loose[];
  identityProviders?: Loose[];
  roles?: { realm?: Loose[]; client?: Record<string, Loose[]> };
}

/** The body's users to write, each with whether it overwrites one; their results added to `results`. @throws PartialImportExistsError */
function mergeUsers(
  body: PartialImportRepresentation,
  policy: Policy,
  existingUsers: Set<string>,
  results: PartialImportResult[],
): { rep: UserRepresentation; overwrite: boolean }[] {
  const users: { rep: UserRepresentation; overwrite: boolean }[] = [];
  for (const rep of list(body.users, 'users')) {
    const name = KINDS.user.name(rep);
    // Keycloak matches users by username or, without duplicate emails, email (UsersPartialImport.exists); here by username.
    const exists = existingUsers.has(name);
    if (exists && policy === 'FAIL') throw new PartialImportExistsError(KINDS.user.exists(name));
    if (exists && policy === 'SKIP') {
      results.push({ action: 'SKIPPED', resourceType: 'USER', resourceName: name });
      continue;
    }
    // UsersPartialImport.create: the user gets a new id.
    const { id: _id, ...user } = rep;
    users.push({ rep: user as UserRepresentation, overwrite: exists });
    results.push({
      action: exists ? 'OVERWRITTEN' : 'ADDED',
      resourceType: 'USER',
      resourceName: name,
    });
  }
  return users;
}

/**
 * The document with the body's clients, roles, groups and identity providers merged, the results
 * so far, and the users to write (with `existing`: usernames the realm has).
 * @throws PartialImportExistsError
 */
export function mergePartialImport(
  doc: RealmDocument,
  body: PartialImportRepresentation,
  policy: Policy,
  existingUsers: Set<string>,
): {
  doc: Loose;
  results: PartialImportResult[];
  users: { rep: UserRepresentation; overwrite: boolean }[];
} {
  const results: PartialImportResult[] = [];
  const merge = (current: unknown, incoming: unknown, kind: Kind, field: string) => {
    const out = mergeByName(list(current), list(incoming, field), policy, kind);
    results.push(...out.results);
    return out.list;
  };
  const next: Loose = { ...doc };
  // PartialImportManager order: clients, roles, groups, identity providers, users (each throws before anything is written).
  next.clients = merge(doc.clients, body.clients, KINDS.client, 'clients');
  const clientRoles: Record<string, Loose[]> = { ...doc.roles.client };
  const incomingClientRoles = body.roles?.client ?? {};
  if (typeof incomingClientRoles !== 'object' || Array.isArray(incomingClientRoles))
    throw new RealmImportError('partialImport', [
      { path: 'roles.client', reason: 'must be an object of clientId to roles' },
    ]);
  for (const [clientId, roles] of Object.entries(incomingClientRoles))
    clientRoles[clientId] = merge(
      clientRoles[clientId],
      roles,
      clientRoleKind(clientId),
      `roles.client[${JSON.stringify(clientId)}]`,
    );
  next.roles = {
    ...doc.roles,
    realm: merge(doc.roles.realm, body.roles?.realm, KINDS.realmRole, 'roles.realm'),
    client: clientRoles,
  };
  next.groups = merge(doc.groups, body.groups, KINDS.group, 'groups');
  if (body.identityProviders)
    next.identityProviders = merge(
      (doc as Loose).identityProviders,
      body.identityProviders,
      KINDS.idp,
      'identityProviders',
    );
  const users = mergeUsers(body, policy, existingUsers, results);
  return { doc: next, results, users };
}

/**
 * RealmModel: the in-memory, read-only view of one stored realm document that the request path
 * uses (clients by clientId, roles with composites expanded, groups by path). Built once per
 * realm version, so token requests do no realm or client I/O.
 */
import type {
  ClientRepresentation,
  GroupRepresentation,
  RealmDocument,
  RoleRepresentation,
  UserRepresentation,
} from './representation.ts';

/** Role id as used internally: `realm\0{name}` or `client\0{clientId}\0{name}` (NUL: ids and names may contain ':'). */
type RoleKey = string;
const realmKey = (name: string): RoleKey => `realm\0${name}`;
const clientKey = (clientId: string, name: string): RoleKey => `client\0${clientId}\0${name}`;

export interface EffectiveRoles {
  realm: string[];
  /** clientId -> role names */
  clients: Record<string, string[]>;
}

export class RealmModel {
  readonly rep: RealmDocument;
  readonly name: string;
  readonly version: number;
  readonly #clients = new Map<string, ClientRepresentation>();
  readonly #roles = new Map<RoleKey, RoleRepresentation>();
  readonly #groups = new Map<string, GroupRepresentation & { parentPath?: string }>();

  constructor(rep: RealmDocument, version = 1) {
    this.rep = rep;
    this.name = rep.realm;
    this.version = version;
    for (const client of rep.clients) this.#clients.set(client.clientId, client);
    for (const role of rep.roles.realm) this.#roles.set(realmKey(role.name), role);
    for (const [clientId, roles] of Object.entries(rep.roles.client)) {
      for (const role of roles) this.#roles.set(clientKey(clientId, role.name), role);
    }
    const walk = (groups: GroupRepresentation[], parentPath?: string) => {
      for (const group of groups) {
        const path = `${parentPath ?? ''}/${group.name}`;
        this.#groups.set(path, { ...group, parentPath });
        walk(group.subGroups ?? [], path);
      }
    };
    walk(rep.groups);
  }

  client(clientId: string): ClientRepresentation | undefined {
    return this.#clients.get(clientId);
  }

  get clients(): ClientRepresentation[] {
    return [...this.#clients.values()];
  }

  hasRealmRole(name: string): boolean {
    return this.#roles.has(realmKey(name));
  }

  hasClientRole(clientId: string, name: string): boolean {
    return this.#roles.has(clientKey(clientId, name));
  }

  /** Finds a group by Keycloak path (`/parent/child`) or, for top-level groups, by bare name. */
  group(pathOrName: string): GroupRepresentation | undefined {
    return this.#groups.get(pathOrName.startsWith('/') ? pathOrName : `/${pathOrName}`);
  }

  /**
   * The roles a user holds: direct mappings and group mappings (including parent groups), all
   * composites expanded (Keycloak RoleUtils.expandCompositeRoles). The realm's default role is
   * held only through an explicit mapping, as in Keycloak (realm/defaults.ts withDefaultRole).
   * Memoised per user object for this realm version: neither the user object nor the result may
   * be changed afterwards.
   */
  effectiveRoles(
    user: Pick<UserRepresentation, 'realmRoles' | 'clientRoles' | 'groups'>,
  ): EffectiveRoles {
    // Per user object: a cached service account (oidc/provider.ts) resolves its roles once.
    let roles = this.#effective.get(user);
    if (!roles) {
      roles = this.#resolveRoles(user);
      this.#effective.set(user, roles);
    }
    return roles;
  }

  readonly #effective = new WeakMap<object, EffectiveRoles>();

  #resolveRoles(
    user: Pick<UserRepresentation, 'realmRoles' | 'clientRoles' | 'groups'>,
  ): EffectiveRoles {
    const seen = new Set<RoleKey>();
    const visit = (key: RoleKey) => {
      if (seen.has(key)) return;
      seen.add(key);
      const role = this.#roles.get(key);
      const composites = role?.composites;
      if (!composites) return;
      for (const name of composites.realm ?? []) visit(realmKey(name));
      for (const [clientId, names] of Object.entries(composites.client ?? {})) {
        for (const name of names) visit(clientKey(clientId, name));
      }
    };
    const addMappings = (realmRoles: string[] = [], clientRoles: Record<string, string[]> = {}) => {
      for (const name of realmRoles) visit(realmKey(name));
      for (const [clientId, names] of Object.entries(clientRoles))
        for (const name of names) visit(clientKey(clientId, name));
    };
    addMappings(user.realmRoles, user.clientRoles);
    for (const groupPath of user.groups ?? []) {
      let group = this.#groups.get(groupPath.startsWith('/') ? groupPath : `/${groupPath}`);
      while (group) {
        addMappings(group.realmRoles, group.clientRoles);
        group = group.parentPath ? this.#groups.get(group.parentPath) : undefined;
      }
    }
    const result: EffectiveRoles = { realm: [], clients: {} };
    for (const key of seen) {
      if (!this.#roles.has(key)) continue;
      const [type, a, b] = key.split('\0');
      if (type === 'realm') result.realm.push(a);
      else (result.clients[a] ??= []).push(b);
    }
    return result;
  }
}

/**
 * Client scopes as Keycloak 26 applies them to a token request.
 * - realmClientScopes: the realm's scopes (Keycloak 26's built-ins when the realm file has no
 *   `clientScopes`, as RepresentationToModel.importRealm creates them), with Keycloak's import
 *   migrations for older exports: MigrateTo25_0_0 adds `basic` (realm default, and a default
 *   scope of every client) and MigrateTo26_1_0 adds `service_account`, when the export's
 *   `keycloakVersion` is older (or absent: MigrationModelManager.migrateImport runs all then).
 * - clientScopeLists: a client's default/optional scope names (its own lists, else the realm's).
 * - isValidScope / requestedClientScopes / tokenScope: TokenManager.isValidScope,
 *   TokenManager.getRequestedClientScopes and DefaultClientSessionContext.getScopeString.
 * - permittedClientScopes: DefaultClientSessionContext.isClientScopePermittedForUser.
 * Keycloak 26 answers an unknown or not-allowed scope with `invalid_scope` ("Invalid scopes:
 * {scope}"; AuthorizationEndpointChecker.checkValidScope, OAuth2GrantTypeBase for the token
 * endpoint): isValidScope is false then, and the caller answers so. Nothing is dropped silently.
 */
import type { ClientRepresentation, RealmRepresentation } from '../model/representation.ts';
import {
  BUILTIN_DEFAULT_SCOPES,
  BUILTIN_OPTIONAL_SCOPES,
  BUILTIN_SCOPE_MAPPINGS,
  builtinClientScope,
  builtinClientScopes,
} from './builtin-client-scopes.ts';
import { clientRoleKey, expandComposites, realmRoleKey, type RoleKey } from './role-graph.ts';
import {
  clientScopeSchema,
  protocolMapperSchema,
  type ClientScopeRep,
  type ProtocolMapperRep,
} from './types.ts';
import type { RoleRepresentation } from '../model/representation.ts';

export interface RealmScopes {
  byName: ReadonlyMap<string, ClientScopeRep>;
  defaultDefault: readonly string[];
  defaultOptional: readonly string[];
  /** Role keys a client scope is scope-mapped to (realm `scopeMappings` + `clientScopeMappings`). */
  scopeRoles: ReadonlyMap<string, readonly RoleKey[]>;
  /** Role keys a client itself is scope-mapped to, by clientId. */
  clientRoles: ReadonlyMap<string, readonly RoleKey[]>;
  /** MigrateTo25_0_0 ran: `basic` is a default scope of every OIDC client. */
  basicAddedToClients: boolean;
  /** Entries that could not be read ("clientScopes[2].protocolMappers[0]: ..."), to be logged once. */
  invalid: readonly string[];
}

type Loose = Record<string, unknown>;

/** True when the export's `keycloakVersion` is older than `major.minor` (absent: older). */
function olderThan(version: unknown, major: number, minor: number): boolean {
  const m = typeof version === 'string' ? /^(\d+)\.(\d+)/.exec(version) : null;
  if (!m) return true;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a < major || (a === major && b < minor);
}

/** Parses protocol mappers, reporting the unreadable ones under `where`. */
export function parseMappers(list: unknown, where: string, invalid: string[]): ProtocolMapperRep[] {
  if (!Array.isArray(list)) return [];
  const mappers: ProtocolMapperRep[] = [];
  list.forEach((item, i) => {
    const parsed = protocolMapperSchema.safeParse(item);
    if (parsed.success) mappers.push(parsed.data);
    else
      invalid.push(
        `${where}.protocolMappers[${i}]: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
  });
  return mappers;
}

function parseScopes(list: unknown[], invalid: string[]): Map<string, ClientScopeRep> {
  const byName = new Map<string, ClientScopeRep>();
  list.forEach((item, i) => {
    const parsed = clientScopeSchema.safeParse(item);
    if (!parsed.success) {
      invalid.push(`clientScopes[${i}]: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return;
    }
    byName.set(parsed.data.name, {
      ...parsed.data,
      protocolMappers: parseMappers(parsed.data.protocolMappers, `clientScopes[${i}]`, invalid),
    });
  });
  return byName;
}

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;

type MappingEntry = { client?: unknown; clientScope?: unknown; roles?: unknown };

/** Scope mappings by holder (client scope name or clientId), as role keys. */
function scopeMappings(
  rep: Loose,
  withBuiltins: boolean,
): { scopeRoles: Map<string, RoleKey[]>; clientRoles: Map<string, RoleKey[]> } {
  const scopeRoles = new Map<string, RoleKey[]>(),
    clientRoles = new Map<string, RoleKey[]>();
  const add = (entry: MappingEntry, key: (name: string) => RoleKey) => {
    const holder =
      typeof entry.clientScope === 'string'
        ? (scopeRoles.get(entry.clientScope) ??
          scopeRoles.set(entry.clientScope, []).get(entry.clientScope)!)
        : typeof entry.client === 'string'
          ? (clientRoles.get(entry.client) ?? clientRoles.set(entry.client, []).get(entry.client)!)
          : undefined;
    for (const name of strings(entry.roles) ?? []) holder?.push(key(name));
  };
  const realmEntries = [
    ...(Array.isArray(rep.scopeMappings) ? (rep.scopeMappings as MappingEntry[]) : []),
    ...(withBuiltins ? BUILTIN_SCOPE_MAPPINGS : []),
  ];
  for (const entry of realmEntries)
    if (entry && typeof entry === 'object') add(entry, realmRoleKey);
  const byClient =
    rep.clientScopeMappings && typeof rep.clientScopeMappings === 'object'
      ? (rep.clientScopeMappings as Record<string, unknown>)
      : {};
  for (const [roleClient, entries] of Object.entries(byClient)) {
    for (const entry of Array.isArray(entries) ? (entries as MappingEntry[]) : [])
      if (entry && typeof entry === 'object') add(entry, (name) => clientRoleKey(roleClient, name));
  }
  return { scopeRoles, clientRoles };
}

/**
 * The realm's client scopes and default lists, Keycloak 26's built-ins where the file has none,
 * migrated as Keycloak imports an older export. Never throws: unreadable entries go to `invalid`.
 */
export function realmClientScopes(realm: RealmRepresentation): RealmScopes {
  const rep = realm as unknown as Loose;
  const invalid: string[] = [];
  const hasScopes = Array.isArray(rep.clientScopes);
  const byName = hasScopes
    ? parseScopes(rep.clientScopes as unknown[], invalid)
    : new Map(builtinClientScopes().map((s) => [s.name, s]));
  let defaultDefault =
    strings(rep.defaultDefaultClientScopes) ?? (hasScopes ? [] : [...BUILTIN_DEFAULT_SCOPES]);
  const defaultOptional =
    strings(rep.defaultOptionalClientScopes) ?? (hasScopes ? [] : [...BUILTIN_OPTIONAL_SCOPES]);
  let basicAddedToClients = false;
  if (hasScopes && !byName.has('basic') && olderThan(rep.keycloakVersion, 25, 0)) {
    byName.set('basic', builtinClientScope('basic')!);
    defaultDefault = [...defaultDefault, 'basic'];
    basicAddedToClients = true;
  }
  if (!byName.has('service_account') && (!hasScopes || olderThan(rep.keycloakVersion, 26, 1)))
    byName.set('service_account', builtinClientScope('service_account')!);
  return {
    byName,
    defaultDefault,
    defaultOptional,
    ...scopeMappings(rep, !hasScopes),
    basicAddedToClients,
    invalid,
  };
}

/**
 * A client's default and optional scope names: its `defaultClientScopes` / `optionalClientScopes`,
 * else the realm's defaults (Keycloak RealmManager/ClientManager give a new client the realm
 * defaults, and `service_account` when its service account is enabled). Only existing scopes of
 * the client's protocol count (ClientModel.getClientScopes filters by protocol).
 */
export function clientScopeLists(
  scopes: RealmScopes,
  client: ClientRepresentation,
): { defaults: string[]; optional: string[] } {
  const protocol = client.protocol ?? 'openid-connect';
  const usable = (name: string) => scopes.byName.get(name)?.protocol === protocol;
  let defaults = client.defaultClientScopes
    ? [...client.defaultClientScopes]
    : [...scopes.defaultDefault];
  if (!client.defaultClientScopes && client.serviceAccountsEnabled)
    defaults.push('service_account');
  if (client.defaultClientScopes && scopes.basicAddedToClients && protocol === 'openid-connect')
    defaults.push('basic');
  defaults = [...new Set(defaults.filter(usable))];
  const optional = [
    ...new Set(
      (client.optionalClientScopes ?? scopes.defaultOptional).filter(
        (n) => usable(n) && !defaults.includes(n),
      ),
    ),
  ];
  return { defaults, optional };
}

/**
 * Keycloak TokenManager.parseScopeParameter: Java `split(" ")` then distinct. Java keeps the
 * whole string when there is no space ("" gives [""]), else drops trailing empty strings but
 * keeps inner and leading ones: "a  b" and " a" hold an empty scope, which no client has.
 */
export function parseScopeParameter(scopeParam: string): string[] {
  if (!scopeParam.includes(' ')) return [scopeParam];
  const parts = scopeParam.split(' ');
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  return [...new Set(parts)];
}

/** Keycloak TokenUtil.isOIDCRequest: the scope parameter holds `openid`. */
export const isOIDCRequest = (scopeParam: string | undefined): boolean =>
  scopeParam !== undefined && parseScopeParameter(scopeParam).includes('openid');

/**
 * Keycloak TokenManager.getRequestedClientScopes without the client itself: the optional scopes
 * named in `scopeParam` (in its order), then all default scopes. No scope parameter: defaults.
 */
export function requestedClientScopes(
  scopes: RealmScopes,
  client: ClientRepresentation,
  scopeParam: string | undefined,
): ClientScopeRep[] {
  const { defaults, optional } = clientScopeLists(scopes, client);
  const requested =
    scopeParam === undefined
      ? []
      : parseScopeParameter(scopeParam).filter((n) => optional.includes(n));
  return [...new Set([...requested, ...defaults])].map((n) => scopes.byName.get(n)!);
}

/**
 * Keycloak 26 TokenManager.isValidScope: every scope named (but `openid`) is one of the client's
 * default scopes or optional scopes. No parameter or only `openid`: valid. Dynamic scopes and
 * `organization:*` forms are not supported here (they are invalid).
 */
export function isValidScope(
  scopes: RealmScopes,
  client: ClientRepresentation,
  scopeParam: string | undefined,
): boolean {
  if (scopeParam === undefined) return true;
  const raw = parseScopeParameter(scopeParam).filter((s) => s !== 'openid');
  if (raw.length === 0) return true;
  const known = new Set(requestedClientScopes(scopes, client, scopeParam).map((s) => s.name));
  return known.size > 0 && raw.every((s) => known.has(s));
}

/**
 * DefaultClientSessionContext.isClientScopePermittedForUser: a scope with role scope mappings
 * applies only to a user holding one of those roles (composites expanded on both sides).
 * `userRoleKeys`: the user's expanded role keys.
 */
export function permittedClientScopes(
  scopes: RealmScopes,
  applied: readonly ClientScopeRep[],
  definitions: ReadonlyMap<RoleKey, RoleRepresentation>,
  userRoleKeys: ReadonlySet<RoleKey>,
): ClientScopeRep[] {
  return applied.filter((scope) => {
    const roles = scopes.scopeRoles.get(scope.name);
    if (!roles?.length) return true;
    for (const key of expandComposites(definitions, roles)) if (userRoleKeys.has(key)) return true;
    return false;
  });
}

/** ClientScopeModel.isIncludeInTokenScope: attribute `include.in.token.scope`, true when unset. */
export const includeInTokenScope = (scope: ClientScopeRep): boolean =>
  scope.attributes['include.in.token.scope'] === undefined ||
  scope.attributes['include.in.token.scope'].toLowerCase() === 'true';

/** ClientScopeModel.isDisplayOnConsentScreen (true when unset) and getConsentScreenText. */
export function consentScreen(scope: ClientScopeRep): { display: boolean; text?: string } {
  const display = scope.attributes['display.on.consent.screen'];
  return {
    display: display === undefined || display.toLowerCase() === 'true',
    text: scope.attributes['consent.screen.text'],
  };
}

/**
 * DefaultClientSessionContext.getScopeString: the applied scopes with include.in.token.scope,
 * space separated, `openid` first when requested (TokenUtil.attachOIDCScope). Keycloak joins a
 * HashSet (no defined order); this keeps the order of `applied`.
 */
export function tokenScope(
  applied: readonly ClientScopeRep[],
  scopeParam: string | undefined,
): string {
  const names = applied
    .filter(includeInTokenScope)
    .map((s) => s.name)
    .join(' ');
  if (!isOIDCRequest(scopeParam)) return names;
  return names ? `openid ${names}` : 'openid';
}

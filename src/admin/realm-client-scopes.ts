/**
 * The realm's client scopes as the admin API reads and writes them, in Keycloak's export form:
 * RealmRepresentation.clientScopes (ClientScopeRepresentation with its protocolMappers),
 * `defaultDefaultClientScopes` / `defaultOptionalClientScopes` (scope names), and per client
 * ClientRepresentation.defaultClientScopes / optionalClientScopes (names; a client that lists
 * none uses the realm's lists, plus `service_account` for a service-account client, as the mapper
 * pipeline does: src/mappers/client-scopes.ts clientScopeLists).
 * Entries without an id (hand-written realm files) get a stable id derived from the realm id and
 * the name, so the admin API can address them before any write; every write stores the ids.
 *
 * A realm document without `clientScopes` gets Keycloak 26's built-in scopes in the mapper
 * pipeline (src/mappers/builtin-client-scopes.ts, H8). IMPLICIT_SCOPES is where the admin API
 * takes them from, so a realm file that lists no client scopes shows Keycloak 26's built-ins.
 */
import { createHash } from 'node:crypto';
import type { ClientRepresentation, RealmDocument } from '../model/representation.ts';
import {
  BUILTIN_DEFAULT_SCOPES,
  BUILTIN_OPTIONAL_SCOPES,
  builtinClientScopes,
} from '../mappers/builtin-client-scopes.ts';

/** Keycloak's ProtocolMapperRepresentation without its id. */
export interface ProtocolMapperFields {
  name: string;
  protocol: string;
  protocolMapper: string;
  config: Record<string, string>;
  [key: string]: unknown;
}

export type ProtocolMapper = ProtocolMapperFields & { id: string };

export interface ClientScope {
  id: string;
  name: string;
  description?: string;
  protocol: string;
  attributes: Record<string, string>;
  protocolMappers: ProtocolMapper[];
  [key: string]: unknown;
}

export interface RealmScopes {
  clientScopes: ClientScope[];
  /** Scope names (RealmRepresentation.defaultDefaultClientScopes). */
  defaultDefault: string[];
  defaultOptional: string[];
}

/** The realm's scopes and default lists when its document has no `clientScopes` (see the header). */
const IMPLICIT_SCOPES = (): {
  clientScopes: unknown[];
  defaultDefault: string[];
  defaultOptional: string[];
} => ({
  clientScopes: builtinClientScopes(),
  defaultDefault: [...BUILTIN_DEFAULT_SCOPES],
  defaultOptional: [...BUILTIN_OPTIONAL_SCOPES],
});

/** A UUID-shaped id derived from `parts` (stable: the same entry gets the same id on every read). */
export function derivedId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

type Loose = Record<string, unknown>;
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined;
const stringMap = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(
        Object.entries(v as Loose)
          .filter(([, x]) => x !== null && x !== undefined)
          .map(([k, x]) => [k, String(x)]),
      )
    : {};

/** A stored mapper list (a client's or a scope's) read with ids; entries that are not objects are dropped. */
export function readMappers(list: unknown, ownerId: string): ProtocolMapper[] {
  if (!Array.isArray(list)) return [];
  return list
    .filter((m): m is Loose => Boolean(m) && typeof m === 'object')
    .map((m) => ({
      ...m,
      id: typeof m.id === 'string' ? m.id : derivedId(ownerId, 'protocol-mapper', String(m.name)),
      name: String(m.name ?? ''),
      protocol: typeof m.protocol === 'string' ? m.protocol : 'openid-connect',
      protocolMapper: String(m.protocolMapper ?? ''),
      config: stringMap(m.config),
    }));
}

/** The realm's client scopes and default lists (see the header for a document without any). */
export function realmScopes(doc: RealmDocument): RealmScopes {
  const rep = doc as unknown as Loose;
  const stored = Array.isArray(rep.clientScopes);
  const implicit = stored ? undefined : IMPLICIT_SCOPES();
  const list = (stored ? (rep.clientScopes as unknown[]) : implicit!.clientScopes).filter(
    (s): s is Loose => Boolean(s) && typeof s === 'object' && typeof (s as Loose).name === 'string',
  );
  const clientScopes = list.map((s) => {
    const id =
      typeof s.id === 'string' ? s.id : derivedId(doc.id, 'client-scope', s.name as string);
    return {
      ...s,
      id,
      name: s.name as string,
      protocol: typeof s.protocol === 'string' ? s.protocol : 'openid-connect',
      attributes: stringMap(s.attributes),
      protocolMappers: readMappers(s.protocolMappers, id),
    };
  });
  return {
    clientScopes,
    defaultDefault: strings(rep.defaultDefaultClientScopes) ?? implicit?.defaultDefault ?? [],
    defaultOptional: strings(rep.defaultOptionalClientScopes) ?? implicit?.defaultOptional ?? [],
  };
}

/** `doc` with `scopes` stored (ids included). */
export function withScopes(doc: RealmDocument, scopes: RealmScopes): RealmDocument {
  return {
    ...doc,
    clientScopes: scopes.clientScopes,
    defaultDefaultClientScopes: scopes.defaultDefault,
    defaultOptionalClientScopes: scopes.defaultOptional,
  } as RealmDocument;
}

/** A client's default and optional scope names: its own lists, else the realm's (mapper pipeline rule). */
export function clientScopeNames(
  scopes: RealmScopes,
  client: ClientRepresentation,
): { defaults: string[]; optional: string[] } {
  const exists = (n: string) => scopes.clientScopes.some((s) => s.name === n);
  const defaults = client.defaultClientScopes ?? [
    ...scopes.defaultDefault,
    ...(client.serviceAccountsEnabled && exists('service_account') ? ['service_account'] : []),
  ];
  return {
    defaults: [...new Set(defaults)],
    optional: [...new Set(client.optionalClientScopes ?? scopes.defaultOptional)].filter(
      (n) => !defaults.includes(n),
    ),
  };
}

/**
 * The client's scopes of one list as Keycloak's ClientResource lists them (`[{id, name}]`): only
 * existing scopes of the client's protocol (ClientModel.getClientScopes filters by protocol).
 */
export function clientScopeEntries(
  scopes: RealmScopes,
  client: ClientRepresentation,
  names: string[],
): { id: string; name: string }[] {
  const protocol = client.protocol ?? 'openid-connect';
  return names
    .map((n) => scopes.clientScopes.find((s) => s.name === n))
    .filter((s): s is ClientScope => s?.protocol === protocol)
    .map((s) => ({ id: s.id, name: s.name }));
}

/** Keycloak's ClientScopeRepresentation (ModelToRepresentation): protocolMappers only when it has some. */
export function scopeRep(scope: ClientScope) {
  const { protocolMappers, ...rest } = scope;
  return { ...rest, ...(protocolMappers.length ? { protocolMappers } : {}) };
}

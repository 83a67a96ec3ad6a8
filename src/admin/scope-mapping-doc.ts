/**
 * Role scope mappings in the realm document, as a realm export holds them: `scopeMappings`
 * (`[{client | clientScope, roles: [realm role names]}]`) and `clientScopeMappings`
 * (`{roleClientId: [{client | clientScope, roles: [names]}]}`). Pure functions for
 * scope-mappings.ts and for the renames and deletes that must follow into them.
 */
import type { RealmDocument } from '../model/representation.ts';

/** Who holds scope mappings, as the export names it: `{client: clientId}` or `{clientScope: name}`. */
export type ScopeHolder = { key: 'client' | 'clientScope'; name: string };
type Entry = { client?: unknown; clientScope?: unknown; roles?: unknown; [k: string]: unknown };
type Loose = Record<string, unknown>;

const entries = (v: unknown): Entry[] =>
  Array.isArray(v) ? v.filter((e): e is Entry => Boolean(e) && typeof e === 'object') : [];
const holds = (e: Entry, h: ScopeHolder) => e[h.key] === h.name;
const names = (e: Entry) =>
  Array.isArray(e.roles) ? e.roles.filter((r): r is string => typeof r === 'string') : [];

/** The holder's mappings: realm role names and, per role client, its role names. */
export function scopeMappingsOf(
  doc: RealmDocument,
  h: ScopeHolder,
): { realmRoles: string[]; clientRoles: Record<string, string[]> } {
  const rep = doc as unknown as Loose;
  const realmRoles = entries(rep.scopeMappings)
    .filter((e) => holds(e, h))
    .flatMap(names);
  const byClient =
    rep.clientScopeMappings && typeof rep.clientScopeMappings === 'object'
      ? (rep.clientScopeMappings as Record<string, unknown>)
      : {};
  const clientRoles = Object.fromEntries(
    Object.entries(byClient)
      .map(([c, list]) => [
        c,
        entries(list)
          .filter((e) => holds(e, h))
          .flatMap(names),
      ])
      .filter(([, n]) => n.length),
  );
  return { realmRoles: [...new Set(realmRoles)], clientRoles };
}

/** `doc` with the holder's realm mappings (roleClient undefined) or its mappings of `roleClient`'s roles replaced by `roles`. */
export function withScopeMappings(
  doc: RealmDocument,
  h: ScopeHolder,
  roleClient: string | undefined,
  roles: string[],
): RealmDocument {
  const replace = (list: unknown) => [
    ...entries(list).filter((e) => !holds(e, h)),
    ...(roles.length ? [{ [h.key]: h.name, roles }] : []),
  ];
  const rep = doc as unknown as Loose;
  if (!roleClient) return { ...doc, scopeMappings: replace(rep.scopeMappings) } as RealmDocument;
  const byClient = {
    ...(rep.clientScopeMappings && typeof rep.clientScopeMappings === 'object'
      ? (rep.clientScopeMappings as Record<string, unknown>)
      : {}),
  };
  byClient[roleClient] = replace(byClient[roleClient]);
  if (!(byClient[roleClient] as unknown[]).length) delete byClient[roleClient];
  return { ...doc, clientScopeMappings: byClient } as RealmDocument;
}

/** `doc` with every scope mapping entry of holder `from` renamed to `to`, or removed (`to` undefined). */
export function renamedScopeHolder(
  doc: RealmDocument,
  from: ScopeHolder,
  to?: string,
): RealmDocument {
  const fix = (list: unknown) =>
    entries(list).flatMap((e) =>
      holds(e, from) ? (to === undefined ? [] : [{ ...e, [from.key]: to }]) : [e],
    );
  const rep = doc as unknown as Loose;
  const byClient =
    rep.clientScopeMappings && typeof rep.clientScopeMappings === 'object'
      ? (rep.clientScopeMappings as Record<string, unknown>)
      : undefined;
  return {
    ...doc,
    ...(rep.scopeMappings ? { scopeMappings: fix(rep.scopeMappings) } : {}),
    ...(byClient
      ? {
          clientScopeMappings: Object.fromEntries(
            Object.entries(byClient).map(([c, l]) => [c, fix(l)]),
          ),
        }
      : {}),
  } as RealmDocument;
}

/** `doc` without role `name` (of client `clientId`, or a realm role) in any scope mapping. */
export function withoutScopedRole(
  doc: RealmDocument,
  name: string,
  clientId?: string,
): RealmDocument {
  const strip = (list: unknown) =>
    entries(list).map((e) => ({ ...e, roles: names(e).filter((r) => r !== name) }));
  const rep = doc as unknown as Loose;
  const byClient =
    rep.clientScopeMappings && typeof rep.clientScopeMappings === 'object'
      ? (rep.clientScopeMappings as Record<string, unknown>)
      : undefined;
  if (!clientId)
    return rep.scopeMappings
      ? ({ ...doc, scopeMappings: strip(rep.scopeMappings) } as RealmDocument)
      : doc;
  return byClient?.[clientId]
    ? ({
        ...doc,
        clientScopeMappings: { ...byClient, [clientId]: strip(byClient[clientId]) },
      } as RealmDocument)
    : doc;
}

/** `doc` without the scope mappings of client `clientId`'s roles and without those the client holds (the client is gone). */
export function withoutScopeClient(doc: RealmDocument, clientId: string): RealmDocument {
  const rep = renamedScopeHolder(doc, { key: 'client', name: clientId }) as unknown as Loose;
  if (!rep.clientScopeMappings || typeof rep.clientScopeMappings !== 'object')
    return rep as unknown as RealmDocument;
  const { [clientId]: _gone, ...rest } = rep.clientScopeMappings as Record<string, unknown>;
  return { ...rep, clientScopeMappings: rest } as unknown as RealmDocument;
}

/**
 * The mapper plan of a token request: the protocol mappers of the requested client scopes and
 * of the client itself, of the client's protocol, sorted by priority (a stable sort: equal
 * priorities keep scope order, the client's own mappers last). Keycloak collects them into a
 * HashSet (DefaultClientSessionContext.loadProtocolMappers), so its order among equal
 * priorities is unspecified; this order is fixed. Unknown types are reported once in `skipped`.
 * Depends only on (realm version, client, requested scopes): the caller caches it.
 */
import type { ClientRepresentation } from '../model/representation.ts';
import { splitClaimPath } from './claim-path.ts';
import type { MapperType } from './mapper.ts';
import type { RealmIndex } from './realm-index.ts';
import { mapperType } from './registry.ts';
import type { ClientScopeRep, ProtocolMapperRep } from './types.ts';

export interface PlannedMapper {
  mapper: ProtocolMapperRep;
  type: MapperType;
  /** The client scope it comes from; undefined for the client's own mappers. */
  scope?: string;
}

export interface MapperPlan {
  entries: readonly PlannedMapper[];
  /** `"{mapper name} ({type id})"` of mappers not applied: unknown type or not supported here. */
  skipped: readonly string[];
}

const withClaimPath = (mapper: ProtocolMapperRep): ProtocolMapperRep =>
  mapper.config['claim.name'] === undefined
    ? mapper
    : { ...mapper, claimPath: splitClaimPath(mapper.config['claim.name']) };

export function planMappers(
  index: RealmIndex,
  client: ClientRepresentation,
  scopes: readonly ClientScopeRep[],
): MapperPlan {
  const protocol = client.protocol ?? 'openid-connect';
  const sources: { mapper: ProtocolMapperRep; scope?: string }[] = [];
  for (const scope of scopes)
    for (const mapper of scope.protocolMappers) sources.push({ mapper, scope: scope.name });
  for (const mapper of index.clientMappers.get(client.clientId) ?? []) sources.push({ mapper });
  const entries: PlannedMapper[] = [];
  const skipped = new Set<string>();
  for (const { mapper, scope } of sources) {
    if (mapper.protocol !== protocol) continue;
    const type = mapperType(mapper.protocolMapper);
    if (!type || type.unsupported?.(index))
      skipped.add(`${mapper.name} (${mapper.protocolMapper})`);
    else entries.push({ mapper: withClaimPath(mapper), type, scope });
  }
  entries.sort((a, b) => a.type.priority - b.type.priority);
  return { entries, skipped: [...skipped] };
}

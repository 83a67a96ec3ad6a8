/**
 * What one protocol mapper type is to the pipeline: its Keycloak provider id, its priority
 * (ProtocolMapper.getPriority; ProtocolMapperUtils: sub -10, role names 10, hardcoded role 20,
 * audience resolve 30, role mappers 40, others 0), whether it writes to a token target (the
 * Keycloak mapper interfaces it implements and its include-in flags), and the claim writer.
 */
import type { ClientRepresentation } from '../model/representation.ts';
import type { RealmIndex } from './realm-index.ts';
import type { ResolvedRoles } from './resolved-roles.ts';
import type { Claims, MapperSession, MapperUser, ProtocolMapperRep, TokenTarget } from './types.ts';

/** ProtocolMapperUtils priorities. */
export const PRIORITY = {
  SUB: -10,
  DEFAULT: 0,
  ROLE_NAMES: 10,
  HARDCODED_ROLE: 20,
  AUDIENCE_RESOLVE: 30,
  ROLE: 40,
} as const;

/** Everything a mapper may read while writing one token. */
export interface MapperContext {
  realm: RealmIndex;
  client: ClientRepresentation;
  user: MapperUser;
  session: MapperSession;
  target: TokenTarget;
  /** The token's roles (mutable by hardcoded-role / role-name mappers within this run). */
  roles: ResolvedRoles;
  /** Origin of this server, for relative redirect URIs (RedirectUtils.resolveValidRedirects). */
  serverOrigin?: string;
}

export interface MapperType {
  id: string;
  priority: number;
  /** Whether a mapper of this type with this config writes to `target`. */
  appliesTo(target: TokenTarget, config: Readonly<Record<string, string>>): boolean;
  /** Writes the mapper's claims; never throws for bad config or data (it writes nothing then). */
  apply(claims: Claims, mapper: ProtocolMapperRep, ctx: MapperContext): void;
  /** True when this realm needs what the type cannot do here (the mapper is then reported as skipped). */
  unsupported?(realm: RealmIndex): boolean;
}

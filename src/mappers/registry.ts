/**
 * Mapper types by Keycloak provider id. A mapper whose type is not here is skipped and reported
 * by the pipeline (Keycloak skips one whose provider is not deployed: ProtocolMapperUtils
 * .isEnabled / getSortedProtocolMappers).
 */
import { acrMapper } from './acr.ts';
import { addressMapper } from './address.ts';
import { allowedOriginsMapper } from './allowed-origins.ts';
import { audienceResolveMapper } from './audience-resolve.ts';
import { audienceMapper } from './audience.ts';
import { claimsParamMapper } from './claims-param.ts';
import { fullNameMapper } from './full-name.ts';
import { groupMembershipMapper } from './group-membership.ts';
import { hardcodedClaimMapper } from './hardcoded-claim.ts';
import { hardcodedRoleMapper } from './hardcoded-role.ts';
import type { MapperType } from './mapper.ts';
import { organizationMapper } from './organization.ts';
import { pairwiseSubMapper } from './pairwise-sub.ts';
import { clientRoleMapper, realmRoleMapper } from './role-mappers.ts';
import { roleNameMapper } from './role-name.ts';
import { sessionNoteMapper } from './session-note.ts';
import { subMapper } from './sub.ts';
import { userAttributeMapper } from './user-attribute.ts';
import { userPropertyMapper } from './user-property.ts';

const TYPES: Readonly<Record<string, MapperType>> = Object.freeze(
  Object.fromEntries(
    [
      userAttributeMapper,
      userPropertyMapper,
      realmRoleMapper,
      clientRoleMapper,
      hardcodedClaimMapper,
      hardcodedRoleMapper,
      roleNameMapper,
      audienceMapper,
      audienceResolveMapper,
      groupMembershipMapper,
      fullNameMapper,
      addressMapper,
      pairwiseSubMapper,
      sessionNoteMapper,
      allowedOriginsMapper,
      acrMapper,
      subMapper,
      claimsParamMapper,
      organizationMapper,
    ].map((type) => [type.id, type]),
  ),
);

/** The mapper type with this provider id, or undefined. */
export function mapperType(id: string): MapperType | undefined {
  return Object.hasOwn(TYPES, id) ? TYPES[id] : undefined;
}

/** The provider ids supported, sorted. */
export function supportedMapperTypes(): string[] {
  return Object.keys(TYPES).sort();
}

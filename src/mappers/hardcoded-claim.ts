/**
 * oidc-hardcoded-claim-mapper: `claim.value` as the claim `claim.name`, converted by
 * `jsonType.label` ("true"/"false" with boolean, a number with long/int, an object with JSON).
 * Keycloak HardcodedClaim. Targets: access, id, userinfo, introspection.
 */
import { mapClaim } from './map-claim.ts';
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';

export const hardcodedClaimMapper: MapperType = {
  id: 'oidc-hardcoded-claim-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'id', 'userinfo', 'introspection']),
  apply(claims, mapper) {
    const value = mapper.config['claim.value'];
    if (value !== undefined) mapClaim(claims, mapper, value);
  },
};

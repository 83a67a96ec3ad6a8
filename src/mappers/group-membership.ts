/**
 * oidc-group-membership-mapper: the user's groups (direct memberships) as a list claim, by full
 * path (`/parent/child`) when `full.path` is "true", else by name. Keycloak
 * GroupMembershipMapper (multivalued forced on; OIDCAttributeMapperHelper.mapClaim, so nested
 * claim names work and no groups means no claim). Targets: access, id, userinfo, introspection.
 */
import { mapClaim } from './map-claim.ts';
import { PRIORITY, type MapperType } from './mapper.ts';
import { findGroup } from './realm-index.ts';
import { flagged } from './targets.ts';

export const groupMembershipMapper: MapperType = {
  id: 'oidc-group-membership-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'id', 'userinfo', 'introspection']),
  apply(claims, mapper, ctx) {
    const fullPath = mapper.config['full.path'] === 'true';
    const membership: string[] = [];
    for (const ref of ctx.user.groups ?? []) {
      const group = findGroup(ctx.realm, ref);
      if (group) membership.push(fullPath ? group.path : group.name);
    }
    mapClaim(
      claims,
      { config: { ...mapper.config, multivalued: 'true' }, claimPath: mapper.claimPath },
      membership,
    );
  },
};

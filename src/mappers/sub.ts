/**
 * oidc-sub-mapper: `sub` = the user's id in the access token (basic scope; without it a
 * Keycloak 25+ access token has no `sub`). Keycloak SubMapper, priority -10 so other mappers
 * (pairwise) may override it. Targets: access, introspection.
 */
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';

export const subMapper: MapperType = {
  id: 'oidc-sub-mapper',
  priority: PRIORITY.SUB,
  appliesTo: flagged(['access', 'introspection']),
  apply(claims, _mapper, ctx) {
    claims.sub = ctx.user.id;
  },
};

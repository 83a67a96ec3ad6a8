/**
 * oidc-usermodel-attribute-mapper: a user attribute (or one of the root attributes username,
 * email, firstName, lastName) as a claim; group attributes when the user has none, all of them
 * with `aggregate.attrs`. Keycloak UserAttributeMapper (+ KeycloakModelUtils.resolveAttribute,
 * OIDCAttributeMapperHelper.mapClaim for `claim.name`, `jsonType.label`, `multivalued`).
 * Targets: access, id, userinfo, introspection.
 */
import { mapClaim } from './map-claim.ts';
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';
import { userAttribute } from './user-values.ts';

export const userAttributeMapper: MapperType = {
  id: 'oidc-usermodel-attribute-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'id', 'userinfo', 'introspection']),
  apply(claims, mapper, ctx) {
    const name = mapper.config['user.attribute'];
    if (!name) return;
    const aggregate = mapper.config['aggregate.attrs']?.toLowerCase() === 'true';
    mapClaim(claims, mapper, userAttribute(ctx.realm, ctx.user, name, aggregate));
  },
};

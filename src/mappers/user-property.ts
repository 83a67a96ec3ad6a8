/**
 * oidc-usermodel-property-mapper: a built-in user property (username, email, firstName,
 * lastName, emailVerified, enabled, createdTimestamp, id...) as a claim. Keycloak
 * UserPropertyMapper (+ ProtocolMapperUtils.getUserModelValue). The value is text, converted by
 * `jsonType.label` (`emailVerified` with `boolean` gives true/false).
 * Targets: access, id, userinfo, introspection.
 */
import { mapClaim } from './map-claim.ts';
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';
import { userProperty } from './user-values.ts';

export const userPropertyMapper: MapperType = {
  id: 'oidc-usermodel-property-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'id', 'userinfo', 'introspection']),
  apply(claims, mapper, ctx) {
    const property = mapper.config['user.attribute']?.trim();
    if (!property) return;
    mapClaim(claims, mapper, userProperty(ctx.user, property));
  },
};

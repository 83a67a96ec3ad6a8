/**
 * oidc-address-mapper: the OIDC `address` claim (formatted, street_address, locality, region,
 * postal_code, country) from the first value of user attributes named by
 * `user.attribute.{street,locality,region,postal_code,country,formatted}` (each defaulting to
 * its own name). Keycloak AddressMapper + AddressClaimSet: the claim is always written, `{}`
 * when the user has none of the attributes (null members are not serialised).
 * Targets: access, id, userinfo, introspection.
 */
import { PRIORITY, type MapperType } from './mapper.ts';
import { getOwn } from './own.ts';
import { flagged } from './targets.ts';

const MEMBERS: [claim: string, config: string][] = [
  ['formatted', 'formatted'],
  ['street_address', 'street'],
  ['locality', 'locality'],
  ['region', 'region'],
  ['postal_code', 'postal_code'],
  ['country', 'country'],
];

export const addressMapper: MapperType = {
  id: 'oidc-address-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'id', 'userinfo', 'introspection']),
  apply(claims, mapper, ctx) {
    const address: Record<string, string> = {};
    for (const [claim, config] of MEMBERS) {
      const attribute = mapper.config[`user.attribute.${config}`] ?? config;
      const value = getOwn(ctx.user.attributes, attribute)?.[0];
      if (value !== undefined && value !== null) address[claim] = value;
    }
    claims.address = address;
  },
};

/**
 * oidc-full-name-mapper: `name` = first name and last name (the non-empty ones) joined by a
 * space; no claim when both are empty. Keycloak FullNameMapper.
 * Targets: access, id, userinfo, introspection.
 */
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';

export const fullNameMapper: MapperType = {
  id: 'oidc-full-name-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'id', 'userinfo', 'introspection']),
  apply(claims, _mapper, ctx) {
    const parts = [ctx.user.firstName, ctx.user.lastName].filter(
      (s): s is string => typeof s === 'string' && s !== '',
    );
    if (parts.length) claims.name = parts.join(' ');
  },
};

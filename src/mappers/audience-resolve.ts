/**
 * oidc-audience-resolve-mapper: adds to `aud` every client (but the token's own) of which the
 * token carries at least one role, after hardcoded-role / role-name mappers. Keycloak
 * AudienceResolveProtocolMapper, priority 30; access token and introspection, both on when
 * their flag is unset (backwards compatibility).
 */
import { addAudience } from './audience-claim.ts';
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';

export const audienceResolveMapper: MapperType = {
  id: 'oidc-audience-resolve-mapper',
  priority: PRIORITY.AUDIENCE_RESOLVE,
  appliesTo: flagged(['access', 'introspection'], true),
  apply(claims, _mapper, ctx) {
    for (const [clientId, roles] of ctx.roles.clients) {
      if (clientId !== ctx.client.clientId && roles.length) addAudience(claims, clientId);
    }
  },
};

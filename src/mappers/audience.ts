/**
 * oidc-audience-mapper: adds `included.client.audience` (a clientId), or else
 * `included.custom.audience`, to `aud`. Keycloak AudienceProtocolMapper.
 * Targets: access, id, introspection (not userinfo).
 */
import { addAudience } from './audience-claim.ts';
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';

export const audienceMapper: MapperType = {
  id: 'oidc-audience-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'id', 'introspection']),
  apply(claims, mapper) {
    const audience =
      mapper.config['included.client.audience'] ?? mapper.config['included.custom.audience'];
    if (audience !== undefined) addAudience(claims, audience);
  },
};

/**
 * oidc-acr-mapper: `acr` = the achieved level of authentication ("1" for a fresh login, "0" for
 * SSO re-use, when the client has no acr-to-LoA map). Keycloak AcrProtocolMapper.getAcr.
 * Targets: access, id, introspection (Keycloak's userinfo never carries acr: it is a typed
 * field that UserInfoEndpoint does not copy).
 */
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';

export const acrMapper: MapperType = {
  id: 'oidc-acr-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'id', 'introspection']),
  apply(claims, _mapper, ctx) {
    claims.acr = ctx.session.acr;
  },
};

/**
 * oidc-allowed-origins-mapper (web-origins scope): `allowed-origins` = the client's web origins,
 * "+" replaced by the origins of its http(s) redirect URIs; written only when the client has web
 * origins (possibly `[]` after resolution). Keycloak AllowedWebOriginsProtocolMapper +
 * WebOriginsUtils.resolveValidWebOrigins. Access token and introspection (on when unset).
 */
import { PRIORITY, type MapperType } from './mapper.ts';
import { originOf, resolveRedirects } from './redirects.ts';
import { flagged } from './targets.ts';

export const allowedOriginsMapper: MapperType = {
  id: 'oidc-allowed-origins-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['access', 'introspection'], true),
  apply(claims, _mapper, ctx) {
    const webOrigins = ctx.client.webOrigins ?? [];
    if (!webOrigins.length) return;
    const origins = new Set(webOrigins.filter((o) => o !== '+'));
    if (webOrigins.includes('+')) {
      for (const uri of resolveRedirects(
        ctx.client.rootUrl,
        ctx.client.redirectUris ?? [],
        ctx.serverOrigin,
      )) {
        const origin = /^https?:\/\//i.test(uri) ? originOf(uri) : undefined;
        if (origin) origins.add(origin);
      }
    }
    claims['allowed-origins'] = [...origins];
  },
};

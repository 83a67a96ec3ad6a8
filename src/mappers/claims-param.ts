/**
 * oidc-claims-param-token-mapper: claims the OIDC `claims` request parameter asks for as
 * essential (`{"id_token": {"email": {"essential": true}}}`) in the id token or userinfo:
 * `name` (full name), `given_name`, `family_name`, `preferred_username`, `email` (the others of
 * OIDCWellKnownProvider.DEFAULT_CLAIMS_SUPPORTED - aud, sub, iss, auth_time, acr - are set anyway).
 * Keycloak ClaimsParameterTokenMapper. Targets: id, userinfo.
 */
import { fullNameMapper } from './full-name.ts';
import { mapClaim } from './map-claim.ts';
import { PRIORITY, type MapperType } from './mapper.ts';
import { flagged } from './targets.ts';
import { userAttribute } from './user-values.ts';

const ATTRIBUTES: Record<string, string> = {
  given_name: 'firstName',
  family_name: 'lastName',
  preferred_username: 'username',
  email: 'email',
};
const ORDER = ['name', 'given_name', 'family_name', 'preferred_username', 'email'];

function requested(
  claimsParam: string | undefined,
  member: string,
): Record<string, unknown> | undefined {
  if (!claimsParam) return undefined;
  try {
    const parsed = JSON.parse(claimsParam) as Record<string, unknown>;
    const node = parsed?.[member];
    return node && typeof node === 'object' ? (node as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const claimsParamMapper: MapperType = {
  id: 'oidc-claims-param-token-mapper',
  priority: PRIORITY.DEFAULT,
  appliesTo: flagged(['id', 'userinfo']),
  apply(claims, mapper, ctx) {
    const node = requested(ctx.session.claimsParam, ctx.target === 'id' ? 'id_token' : 'userinfo');
    if (!node) return;
    for (const claim of ORDER) {
      const spec = node[claim] as { essential?: unknown } | null | undefined;
      if (spec?.essential !== true) continue;
      if (claim === 'name') fullNameMapper.apply(claims, mapper, ctx);
      else
        mapClaim(
          claims,
          { config: { 'claim.name': claim, 'jsonType.label': 'String' } },
          userAttribute(ctx.realm, ctx.user, ATTRIBUTES[claim], false),
        );
    }
  },
};

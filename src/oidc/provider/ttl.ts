/** oidc-provider's `ttl` (seconds) from the realm's lifespans, as Keycloak's RealmRepresentation. */
import type { Configuration } from 'oidc-provider';
import type { RealmContext } from '../realm-context.ts';
import { deviceGrantSeconds } from '../clients.ts';
import { refreshTokenTtl, sessionTtl, type SessionFields } from '../sso-session.ts';

export function providerTtl(rc: RealmContext): Configuration['ttl'] {
  const { realm } = rc;
  const r = realm.rep;
  return {
    // Keycloak's accessTokenLifespanForImplicitFlow for tokens of the authorization response.
    AccessToken: (_ctx, token) =>
      (token as { gty?: string }).gty === 'implicit'
        ? r.accessTokenLifespanForImplicitFlow
        : r.accessTokenLifespan,
    ClientCredentials: r.accessTokenLifespan,
    IdToken: r.accessTokenLifespan,
    AuthorizationCode: r.accessCodeLifespan,
    DeviceCode: (_ctx, _token, client) =>
      deviceGrantSeconds(
        realm.client(client.clientId),
        'oauth2.device.code.lifespan',
        r.oauth2DeviceCodeLifespan,
      ),
    Interaction: r.accessCodeLifespanLogin,
    // Keycloak's session limits (idle, max lifespan, remember me, client and offline sessions):
    // sso-session.ts, session-lifetimes.ts.
    Session: (_ctx, session) => sessionTtl(rc, session as unknown as SessionFields),
    Grant: Math.max(
      r.ssoSessionMaxLifespan,
      r.ssoSessionMaxLifespanRememberMe ?? 0,
      r.offlineSessionIdleTimeout,
      r.offlineSessionMaxLifespanEnabled ? (r.offlineSessionMaxLifespan ?? 0) : 0,
    ),
    RefreshToken: (ctx, token) => refreshTokenTtl(rc, ctx, token as never),
  };
}

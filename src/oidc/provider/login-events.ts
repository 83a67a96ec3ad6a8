/**
 * Keycloak login events (EventType: CODE_TO_TOKEN, REFRESH_TOKEN, CLIENT_LOGIN,
 * OAUTH2_DEVICE_CODE_TO_TOKEN, their _ERROR events, LOGOUT) for what oidc-provider does itself,
 * from its `grant.success`, `grant.error` and `end_session.success` events.
 */
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { DEVICE_CODE_GRANT } from '../clients.ts';
import { keycloakGrantErrorEvent } from '../keycloak-responses.ts';
import type { RealmContext } from '../realm-context.ts';

export function installLoginEvents(provider: Provider, rc: RealmContext): void {
  // Keycloak login events for what oidc-provider does itself.
  const GRANT_EVENTS: Record<string, string> = {
    authorization_code: 'CODE_TO_TOKEN',
    refresh_token: 'REFRESH_TOKEN',
    client_credentials: 'CLIENT_LOGIN',
    [DEVICE_CODE_GRANT]: 'OAUTH2_DEVICE_CODE_TO_TOKEN',
  };
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const type =
      GRANT_EVENTS[String((ctx.oidc.params as Record<string, unknown> | undefined)?.grant_type)];
    const token = (ctx.oidc.entities as { AccessToken?: { accountId?: string } }).AccessToken;
    if (type)
      rc.loginEvent(type, {
        clientId: ctx.oidc.client?.clientId,
        userId: token?.accountId,
        ipAddress: ctx.ip,
      });
  });
  // And their _ERROR events, with the `error` Keycloak gives them and the reason in `details`. The
  // client is named when it exists, else as the form asked for it, cut to Keycloak's 255 characters
  // (anyone can send one); an HTTP Basic header that failed is not parsed here.
  provider.on(
    'grant.error',
    (
      ctx: KoaContextWithOIDC,
      err: { error?: string; error_detail?: string; error_description?: string },
    ) => {
      const params = (ctx.oidc.params ?? {}) as Record<string, unknown>;
      const grantType = String(params.grant_type);
      // The password grant records its own LOGIN_ERROR for the user's credentials (password-grant.ts);
      // a client that fails to authenticate never reaches it, and is a LOGIN_ERROR too, as in Keycloak.
      const type =
        grantType === 'password' && err.error === 'invalid_client'
          ? 'LOGIN'
          : GRANT_EVENTS[grantType];
      const error = type && keycloakGrantErrorEvent(grantType, err, !!ctx.oidc.client);
      if (!error) return;
      const source = ctx.oidc.entities as {
        RefreshToken?: { accountId?: string };
        AuthorizationCode?: { accountId?: string };
        DeviceCode?: { accountId?: string };
      };
      rc.loginEvent(`${type}_ERROR`, {
        clientId:
          ctx.oidc.client?.clientId ??
          (typeof params.client_id === 'string' ? params.client_id.slice(0, 255) : undefined),
        userId: (source.RefreshToken ?? source.AuthorizationCode ?? source.DeviceCode)?.accountId,
        ipAddress: ctx.ip,
        error,
        details: {
          grant_type: grantType,
          reason: String(err.error_detail ?? err.error_description ?? err.error).slice(0, 255),
        },
      });
    },
  );
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    rc.loginEvent('LOGOUT', {
      clientId: ctx.oidc.client?.clientId,
      userId: ctx.oidc.session?.accountId,
      ipAddress: ctx.ip,
    });
  });
}

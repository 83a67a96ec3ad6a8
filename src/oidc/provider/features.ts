/** oidc-provider's `features` for a realm: the endpoints and flows Keycloak offers. */
import type { Configuration } from 'oidc-provider';
import type { RealmContext } from '../realm-context.ts';
import { deviceFlowPages, renderLogoutPage, renderLoggedOutPage } from '../../pages.ts';

export function providerFeatures(rc: RealmContext): Configuration['features'] {
  return {
    devInteractions: { enabled: false },
    externalSigningSupport: { enabled: true, ack: 'experimental-01' },
    clientCredentials: { enabled: true },
    // Keycloak: only confidential clients of the realm may introspect; a client revokes its own tokens.
    introspection: {
      enabled: true,
      allowedPolicy: async (_ctx: unknown, client: { clientAuthMethod: string }) =>
        client.clientAuthMethod !== 'none',
    },
    revocation: {
      enabled: true,
      allowedPolicy: async (
        _ctx: unknown,
        client: { clientId: string },
        token: { clientId?: string },
      ) => token.clientId === client.clientId,
    },
    userinfo: { enabled: true },
    claimsParameter: { enabled: true },
    jwtUserinfo: { enabled: true },
    jwtIntrospection: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: renderLogoutPage(rc),
      postLogoutSuccessSource: renderLoggedOutPage(rc),
    },
    // RFC 8628 at Keycloak's endpoints; user codes like Keycloak's (8 letters, "WDJB-MJHT").
    deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****', ...deviceFlowPages(rc) },
  } as Configuration['features'];
}

/**
 * `GET /admin/realms/{realm}/authentication/client-authenticator-providers`, Keycloak 26's
 * AuthenticationManagementResource.getClientAuthenticatorProviders: `[{id, displayName,
 * description, supportsSecret}]` of the client authenticators (ClientAuthenticatorFactory), here
 * the three this server applies (oidc/client-auth.ts), with the display types and help texts of
 * Keycloak's ClientIdAndSecretAuthenticator, JWTClientAuthenticator and
 * JWTClientSecretAuthenticator. Keycloak's `client-x509` (mTLS) is not offered: this server has no
 * TLS client authentication. A client's Credentials tab reads it.
 * Permission: requireViewClientAuthenticatorProviders (route-permissions.ts).
 */
import type Router from '@koa/router';
import { realmScope, type AdminDeps } from './context.ts';

export const CLIENT_AUTHENTICATORS = [
  {
    id: 'client-secret',
    displayName: 'Client Id and Secret',
    description:
      "Validates client based on 'client_id' and 'client_secret' sent either in request parameters or in 'Authorization: Basic' header",
    supportsSecret: true,
  },
  {
    id: 'client-jwt',
    displayName: 'Signed Jwt',
    description:
      'Validates client based on signed JWT issued by client and signed with the Client private key',
    supportsSecret: false,
  },
  {
    id: 'client-secret-jwt',
    displayName: 'Signed Jwt with Client Secret',
    description:
      'Validates client based on signed JWT issued by client and signed with the Client Secret',
    supportsSecret: true,
  },
] as const;

export function clientAuthenticatorRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/authentication/client-authenticator-providers', async (ctx) => {
    await realmScope(deps, ctx);
    ctx.body = CLIENT_AUTHENTICATORS;
  });
}

/**
 * What discovery (`/.well-known/openid-configuration`) adds to oidc-provider's own metadata,
 * following Keycloak 26's OIDCWellKnownProvider#getConfig for the fields that work here:
 * - `check_session_iframe`: the login-status iframe keycloak-js loads (interaction/keycloak-js.ts);
 * - `introspection_endpoint_auth_methods_supported` / `revocation_endpoint_auth_methods_supported`
 *   and their signing algorithms: the client authentication methods of the token endpoint
 *   (Keycloak lists the same ones for all three; introspection refuses public clients, so `none`
 *   is not listed there);
 * - `prompt_values_supported`: `none`, `login`, `consent` (Keycloak's DEFAULT_PROMPT_VALUES_SUPPORTED;
 *   `create` only with registration, which this server does not offer).
 * Not advertised, because they do not work here: `registration_endpoint`, request objects,
 * encryption, `pairwise` subjects, mTLS, CIBA, `acr_values_supported`, `plain` PKCE.
 */
import { CLIENT_AUTH_METHODS, CLIENT_AUTH_SIGNING_ALGS } from './client-auth.ts';
import { PROTOCOL } from '../routes.ts';

export function keycloakDiscovery(issuer: string): Record<string, unknown> {
  const authenticated = CLIENT_AUTH_METHODS.filter((m) => m !== 'none');
  return {
    check_session_iframe: `${issuer}${PROTOCOL}/login-status-iframe.html`,
    introspection_endpoint_auth_methods_supported: authenticated,
    introspection_endpoint_auth_signing_alg_values_supported: CLIENT_AUTH_SIGNING_ALGS,
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: CLIENT_AUTH_SIGNING_ALGS,
    prompt_values_supported: ['none', 'login', 'consent'],
  };
}

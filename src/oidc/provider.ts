/**
 * One oidc-provider instance per realm, configured like a Keycloak realm: issuer
 * `{base}/realms/{realm}`, Keycloak's routes, lifespans from the realm (seconds), clients from the
 * realm's ClientRepresentations, Keycloak-shaped tokens, the password grant, and every signing
 * key a `Signer` behind oidc-provider's ExternalSigningKey. The configuration is
 * provider/configuration.ts; what is installed on the instance, the install* modules beside it.
 */
import Provider from 'oidc-provider';
import { installSessionDevices } from './session-devices.ts';
import { installFlowChecks } from './flows.ts';
import { installKeycloakLogout } from './logout.ts';
import { installEmptyTokenIntrospection } from './introspection.ts';
import { installKeycloakTokens } from './keycloak-tokens.ts';
import { registerPasswordGrant } from './password-grant.ts';
import { installKeycloakResponses } from './keycloak-responses.ts';
import { installSsoSessions } from './sso-session.ts';
import { installFrontchannelLogout } from './frontchannel-logout.ts';
import { registerCustomAlgorithms } from './custom-algorithms.ts';
import type { RealmContext } from './realm-context.ts';
import { addKcActionStatus } from './kc-action.ts';
import { providerConfiguration } from './provider/configuration.ts';
import { installClientRules } from './provider/client-rules.ts';
import { installDeviceFormRecovery } from './provider/device-form.ts';
import { installLoginEvents } from './provider/login-events.ts';
import { installErrorLogs } from './provider/error-logs.ts';

export { SCOPES } from './provider/scopes.ts';

export function buildProvider(rc: RealmContext): Provider {
  registerCustomAlgorithms();
  const { configuration, rcClaims } = providerConfiguration(rc);
  const provider = new Provider(rc.issuer, configuration);
  // koa-mount runs oidc-provider's middleware with its app as ctx.app, so ctx.ip (events, its own
  // logic) follows this app's proxy setting: the same as the server's (src/proxy-headers.ts).
  provider.proxy = rc.trustProxyHeaders;
  // The Provider is its own Koa app (its `.app` getter, deprecated, returns it).
  provider.maxIpsCount = 1;
  installKeycloakTokens(provider, Provider, rc, rcClaims);
  registerPasswordGrant(provider, rc, rcClaims);
  installClientRules(provider, rc);
  installFlowChecks(provider, rc);
  installKeycloakResponses(provider, rc);
  installKeycloakLogout(provider, rc);
  installSessionDevices(provider, rc);
  installSsoSessions(provider, rc);
  installFrontchannelLogout(provider, rc);
  installEmptyTokenIntrospection(provider);
  installDeviceFormRecovery(provider, rc);
  addKcActionStatus(provider);
  installLoginEvents(provider, rc);
  installErrorLogs(provider, rc);
  return provider;
}

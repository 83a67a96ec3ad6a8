/**
 * Which browser flows a client may start, with Keycloak's refusals (AuthorizationEndpointChecker
 * .checkResponseType, Keycloak 26): a response type with `code` needs `standardFlowEnabled`, one
 * with `id_token` or `token` (implicit, hybrid) needs `implicitFlowEnabled`. A refused request is
 * sent back to the client's (verified) redirect URI as
 * `error=unauthorized_client&error_description=Client is not allowed to initiate browser login
 * with given response_type. Standard flow is disabled for the client.` (or "Implicit flow ..."),
 * in the request's response mode, as Keycloak does; keycloak-js shows it to the application.
 *
 * oidc-provider checks the response type before the redirect URI, so a refusal from
 * Client#responseTypeAllowed would be an error page. The override below checks the redirect URI
 * itself first and, when it is allowed, marks it checked so that the error is redirected.
 */
import Provider, { errors } from 'oidc-provider';
import type { RealmContext } from './realm-context.ts';
import {
  patchClientPrototype,
  skipClientMetadataChecks,
  type ClientInstance,
} from './upstream/client.ts';
import { currentContext, markRedirectUriChecked } from './upstream/context.ts';

const PREFIX = 'Client is not allowed to initiate browser login with given response_type.';
export const STANDARD_FLOW_DISABLED = `${PREFIX} Standard flow is disabled for the client.`;
export const IMPLICIT_FLOW_DISABLED = `${PREFIX} Implicit flow is disabled for the client.`;

/** The refusal text for `responseType` (space-separated, any order), or undefined when the client's flags allow it. */
export function flowRefusal(
  responseType: string,
  flags: { standardFlowEnabled: boolean; implicitFlowEnabled: boolean },
): string | undefined {
  const parts = responseType.split(' ');
  if ((parts.includes('code') || parts.includes('none')) && !flags.standardFlowEnabled)
    return STANDARD_FLOW_DISABLED;
  if ((parts.includes('id_token') || parts.includes('token')) && !flags.implicitFlowEnabled)
    return IMPLICIT_FLOW_DISABLED;
  return undefined;
}

/**
 * Keycloak lets an implicit-flow client use `http` and `localhost` redirect URIs (development
 * setups do); oidc-provider refuses such client metadata unless these two checks are skipped,
 * which is its documented recipe ("Allowing HTTP and/or localhost for implicit response type web
 * clients": override Client.Schema#invalidate for the codes `implicit-force-https` and
 * `implicit-forbid-localhost`). Every other metadata check stays.
 */
function allowHttpImplicitRedirects(provider: Provider): void {
  skipClientMetadataChecks(
    provider,
    new Set(['implicit-force-https', 'implicit-forbid-localhost']),
  );
}

export function installFlowChecks(provider: Provider, rc: RealmContext): void {
  allowHttpImplicitRedirects(provider);
  patchClientPrototype(provider, {
    responseTypeAllowed(this: ClientInstance, type: string) {
      if (this.responseTypes.includes(type)) return true;
      const kc = rc.realm.client(this.clientId);
      const refusal = kc ? flowRefusal(type, kc) : undefined;
      const ctx = currentContext(Provider);
      const redirectUri = ctx?.oidc?.params?.redirect_uri as string | undefined;
      if (
        !refusal ||
        !ctx ||
        typeof redirectUri !== 'string' ||
        !this.redirectUriAllowed(redirectUri)
      )
        return false;
      markRedirectUriChecked(ctx);
      throw new errors.UnauthorizedClient(refusal);
    },
  });
}

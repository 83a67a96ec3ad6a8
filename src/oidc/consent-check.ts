/**
 * Keycloak's consent rule as an oidc-provider interaction policy check (the documented way to
 * change when a prompt is shown: `interactionPolicy.base()`, `Check`). Keycloak
 * (AuthenticationManager.actionRequired / getClientScopesToApproveOnConsentScreen) asks for
 * consent only for a client with `consentRequired`, listing the client scopes the request applies
 * (the client's default scopes and the optional ones named in `scope`) whose
 * `display.on.consent.screen` is not "false"; the screen is skipped when the user's stored consent
 * for the client holds every one of them, and shown anyway with `prompt=consent` (oidc-provider's
 * own `consent_prompt` check). Every other client never gets the screen.
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { requestedClientScopes } from '../mappers/client-scopes.ts';
import type { ClientScopeRep } from '../mappers/types.ts';
import type { ClientRepresentation } from '../model/representation.ts';
import { findConsent } from '../store/consents.ts';
import type { RealmClaims } from './claims.ts';
import type { RealmContext } from './realm-context.ts';
import { addRequiredActionsCheck } from './required-actions-check.ts';
import { kcActionCheck } from './kc-action.ts';

/** ClientScopeModel.isDisplayOnConsentScreen: attribute `display.on.consent.screen`, true when unset. */
const displayed = (scope: ClientScopeRep) =>
  scope.attributes?.['display.on.consent.screen'] !== 'false';

/**
 * The client scopes a consent screen for `client` lists for a request with `scopeParam`
 * (Keycloak's order: the requested optional scopes, then the defaults).
 */
export function consentScopes(
  rcClaims: RealmClaims,
  client: ClientRepresentation,
  scopeParam: string | undefined,
): ClientScopeRep[] {
  return requestedClientScopes(rcClaims.index.scopes, client, scopeParam).filter(
    (s) => s && displayed(s),
  );
}

/** The scope names of `scopeParam` the user still has to grant `client` (empty: none). */
export async function scopesToApprove(
  rc: RealmContext,
  rcClaims: RealmClaims,
  client: ClientRepresentation,
  userId: string,
  scopeParam: string | undefined,
): Promise<string[]> {
  const wanted = consentScopes(rcClaims, client, scopeParam).map((s) => s.name);
  if (!wanted.length) return [];
  const stored = await findConsent(rc.db, rc.realmId, userId, client.clientId);
  const granted = new Set(stored?.grantedScopes ?? []);
  return wanted.filter((name) => !granted.has(name));
}

/**
 * oidc-provider's default policy with the required-actions check on the login prompt
 * (required-actions-check.ts) and Keycloak's consent check added to the consent prompt, whose
 * details carry `consentScopes` ({name, text}: the scope's `consent.screen.text`, else its name).
 */
export function keycloakInteractionPolicy(rc: RealmContext, rcClaims: RealmClaims) {
  const policy = interactionPolicy.base();
  addRequiredActionsCheck(policy, rc);
  const consent = policy.get('consent')!;
  // kc_action (oidc/kc-action.ts): the login prompt runs the application-initiated action.
  policy.get('login')!.checks.add(kcActionCheck());
  // What the consent page (interaction/consent.ts) lists, in the interaction's prompt details.
  // Keycloak lists the scopes not yet granted; with prompt=consent the stored consent is ignored
  // (AuthenticationManager.getEffectiveGrantedConsent), so it lists them all.
  (consent as unknown as { details: (ctx: KoaContextWithOIDC) => unknown }).details = async (
    ctx,
  ) => {
    const { oidc } = ctx;
    const client = rc.realm.client(oidc.client?.clientId ?? '');
    const scope = (oidc.params as { scope?: string } | undefined)?.scope;
    if (!client || !oidc.session?.accountId) return { consentScopes: [] };
    const listed = oidc.prompts.has('consent')
      ? consentScopes(rcClaims, client, scope).map((s) => s.name)
      : await scopesToApprove(rc, rcClaims, client, oidc.session.accountId, scope);
    return {
      consentScopes: consentScopes(rcClaims, client, scope)
        .filter((s) => listed.includes(s.name))
        .map((s) => ({ name: s.name, text: s.attributes?.['consent.screen.text'] || s.name })),
    };
  };
  consent.checks.add(
    new interactionPolicy.Check(
      'kc_consent_required',
      'the client requires consent for the requested scopes',
      'consent_required',
      async (ctx: KoaContextWithOIDC) => {
        const { oidc } = ctx;
        const client = rc.realm.client(oidc.client?.clientId ?? '');
        if (!client?.consentRequired || !oidc.session?.accountId || oidc.result?.consent)
          return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        const scope = (oidc.params as { scope?: string } | undefined)?.scope;
        const missing = await scopesToApprove(rc, rcClaims, client, oidc.session.accountId, scope);
        return missing.length > 0;
      },
    ),
  );
  return policy;
}

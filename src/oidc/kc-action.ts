/**
 * Keycloak's application-initiated actions (AIA) on the authorization endpoint: a request with
 * `kc_action=<alias>` (keycloak-js `login({ action })`, the Account Console's "Update" password and
 * "Set up Authenticator application") runs that required action for the user, already signed in
 * or after the login, and the authorization response carries `kc_action_status=success|cancelled`
 * and `kc_action` (AuthenticationManager.actionRequired / RequiredActionContextResult, and
 * OIDCLoginProtocol.authenticated adding the Constants.KC_ACTION_STATUS client note). The alias
 * is one of KC_ACTIONS; another is ignored (the login goes on as without it). The action itself
 * runs in interaction/steps/aia.ts; its outcome comes back in the interaction result's `kcAction`.
 */
import { interactionPolicy, type KoaContextWithOIDC, type Provider } from 'oidc-provider';

/** The actions a client may start with kc_action (the steps of interaction/steps/actions.ts). */
export const KC_ACTIONS = ['UPDATE_PASSWORD', 'CONFIGURE_TOTP'] as const;
export type KcAction = (typeof KC_ACTIONS)[number];

/** The reason of the login prompt that asks for an AIA. */
export const KC_ACTION_REASON = 'kc_action';

/** The outcome an AIA writes into the interaction result. */
export interface KcActionResult {
  alias: KcAction;
  status: 'success' | 'cancelled';
}

/** The request's kc_action when it names an action this server runs, else undefined. */
export function requestedKcAction(
  params: Record<string, unknown> | undefined,
): KcAction | undefined {
  const value = params?.kc_action;
  return KC_ACTIONS.find((a) => a === value);
}

const resultOf = (ctx: KoaContextWithOIDC) =>
  (ctx.oidc.result as { kcAction?: KcActionResult } | undefined)?.kcAction;

/**
 * The login prompt's check: prompt while the request names an action and this authorization has
 * not run it yet (its interaction result holds no `kcAction`).
 */
export function kcActionCheck(): InstanceType<typeof interactionPolicy.Check> {
  return new interactionPolicy.Check(
    KC_ACTION_REASON,
    'the client asked for an application-initiated action',
    'interaction_required',
    (ctx: KoaContextWithOIDC) =>
      requestedKcAction(ctx.oidc.params as Record<string, unknown>) !== undefined &&
      resultOf(ctx) === undefined,
  );
}

/** Adds `kc_action_status` and `kc_action` to the authorization response after an AIA. */
export function addKcActionStatus(provider: Provider): void {
  // oidc-provider emits the response parameters (respond.js) before its response mode sends them.
  const events = provider as unknown as {
    on(
      event: 'authorization.success',
      fn: (ctx: KoaContextWithOIDC, out: Record<string, unknown>) => void,
    ): void;
  };
  events.on('authorization.success', (ctx, out) => {
    const result = resultOf(ctx);
    if (!result) return;
    out.kc_action_status = result.status;
    out.kc_action = result.alias;
  });
}

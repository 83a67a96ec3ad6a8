/**
 * What comes after the password: the OTP page while the second factor is missing, then each
 * pending required action in the realm's priority order (Keycloak's
 * AuthenticationManager.actionRequired), then the end of the login (oidc-provider's
 * interactionResult). Actions this server cannot perform (delete_account, WebAuthn...) are
 * skipped in the browser, as Keycloak skips an action without a provider.
 */
import { pendingRequiredActions } from '../../oidc/account.ts';
import { evaluateRequiredActionTriggers } from '../../oidc/required-action-triggers.ts';
import { isPerformable } from '../../realm/required-actions.ts';
import { completeAction } from './complete.ts';
import { showOtp } from './otp.ts';
import { ACTION_STEPS } from './actions.ts';
import type { RequiredActionStep, UserStepContext } from './types.ts';

/**
 * The user's next required action that this server performs, or undefined. An action already
 * satisfied (its precheck says 'complete') is removed from the user on the way.
 */
export async function nextAction(sc: UserStepContext): Promise<RequiredActionStep | undefined> {
  sc.user = await evaluateRequiredActionTriggers(sc.rc, sc.user);
  for (const alias of pendingRequiredActions(sc.rc, sc.user).filter(isPerformable)) {
    const step = ACTION_STEPS[alias];
    const pre = step.precheck?.(sc) ?? 'show';
    if (pre === 'show') return step;
    if (pre === 'complete') sc.user = await completeAction(sc.rc.db, sc.rc.realmId, sc.user, alias);
  }
  return undefined;
}

/** Shows the page the login is at, or ends the login when nothing is left. */
export async function advance(sc: UserStepContext): Promise<void> {
  if (sc.state.stage === 'otp') {
    await showOtp(sc);
    return;
  }
  const step = await nextAction(sc);
  if (step) {
    await step.show(sc);
    return;
  }
  await finishLogin(sc);
}

/**
 * Ends the login: LOGIN event, and oidc-provider's interaction result with the account, the
 * authentication time and methods. Consent is not answered here: oidc-provider's consent prompt
 * (oidc/consent-check.ts) asks only where Keycloak would, and interaction/consent.ts shows it.
 * Without remember me the SSO cookie is a browser-session cookie (Keycloak's login.ftl
 * `rememberMe` checkbox, shown when the realm allows it).
 */
export async function finishLogin(sc: UserStepContext): Promise<void> {
  sc.rc.loginEvent('LOGIN', {
    clientId: sc.clientId,
    userId: sc.user.id,
    ipAddress: sc.ctx.ip,
    details: { auth_method: 'openid-connect', username: sc.user.username },
  });
  const returnTo = await sc.provider.interactionResult(
    sc.ctx.req,
    sc.ctx.res,
    {
      login: {
        accountId: sc.user.id,
        acr: sc.state.sso ? '0' : '1', // AcrStore: a re-used session's level is 0
        amr: sc.state.amr,
        ts: sc.state.authTime,
        remember: sc.state.rememberMe === true,
      },
    },
    { mergeWithLastSubmission: false },
  );
  sc.ctx.status = 303;
  sc.ctx.redirect(returnTo);
}

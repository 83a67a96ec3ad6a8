/**
 * Required actions after an SSO-cookie login, as an oidc-provider interaction policy check on the
 * `login` prompt. Keycloak runs the required actions after every authentication, the cookie one
 * included (AuthenticationManager.nextActionAfterAuthentication → actionRequired, which first
 * evaluates the triggers): a user with a session who now has a pending action (an administrator
 * added UPDATE_PASSWORD, `verifyEmail` was switched on) goes through it before a code is issued.
 * The check asks for the login prompt; the login page (interaction/login.ts) then starts at the
 * required actions for the session's user, without asking for the password again. Once that
 * interaction gave its result, the check is not asked again (no loop for an action the page
 * skips).
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { isPerformable } from '../realm/required-actions.ts';
import { findUserById } from '../store/users.ts';
import { pendingRequiredActions } from './account.ts';
import { evaluateRequiredActionTriggers } from './required-action-triggers.ts';
import type { RealmContext } from './realm-context.ts';

/** The reason the interaction carries (`interaction.prompt.reasons`). */
export const REQUIRED_ACTIONS_REASON = 'kc_required_actions';

/** Adds the check to the `login` prompt of `policy` (interactionPolicy.base()'s). */
export function addRequiredActionsCheck(
  policy: ReturnType<typeof interactionPolicy.base>,
  rc: RealmContext,
): void {
  policy.get('login')!.checks.add(
    new interactionPolicy.Check(
      REQUIRED_ACTIONS_REASON,
      'the user has pending required actions',
      // prompt=none: AuthorizationEndpointBase answers interaction_required when
      // processor.nextRequiredAction() is not null.
      'interaction_required',
      async (ctx: KoaContextWithOIDC) => {
        const { oidc } = ctx;
        const accountId = oidc.session?.accountId;
        if (!accountId || oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        const stored = await findUserById(rc.db, rc.realmId, accountId);
        if (!stored?.enabled) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        const user = await evaluateRequiredActionTriggers(rc, stored);
        return pendingRequiredActions(rc, user).some(isPerformable);
      },
    ),
  );
}

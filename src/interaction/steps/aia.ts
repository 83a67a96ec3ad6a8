/**
 * An application-initiated action (oidc/kc-action.ts) in the login interaction: the login prompt
 * asked for it (reason `kc_action`) for a browser already signed in, so the action's page is shown
 * for the session's user (Keycloak's AuthenticationManager with the `kc_action` client note: the
 * action runs as a RequiredActionProvider, `isAppInitiatedAction`) — without a password step while
 * the session's login is younger than the action's maximum authentication age
 * (realm/aia-max-auth-age.ts, OIDCLoginProtocol.isReAuthRequiredForKcAction), after the password
 * (and OTP) again otherwise (steps/aia-reauth.ts). The login keeps the session's time, methods and
 * cookie kind unless the user re-authenticated (AuthenticationManager: AUTH_TIME is renewed only
 * by a non-SSO login).
 * Its form is taken only for that action; "done" ends the authorization with
 * `kc_action_status=success`, the page's cancel (`abort`) or a declined action with
 * `kc_action_status=cancelled` — the user stays signed in either way (RequiredActionContextResult
 * cancel). Without a session the login runs first; the prompt then asks again and this step runs.
 */
import { findUserById } from '../../store/users.ts';
import { KC_ACTION_REASON, requestedKcAction, type KcAction } from '../../oidc/kc-action.ts';
import { aiaNeedsReauthentication } from '../../realm/aia-max-auth-age.ts';
import { ACTION_STEPS } from './actions.ts';
import { handleReauth, type AiaState } from './aia-reauth.ts';
import { storedSession } from './sso.ts';
import { loadState, saveState } from './state.ts';
import type { Form, StepContext, UserStepContext } from './types.ts';

/** The AIA this interaction runs, when its prompt asks for one and a user is signed in. */
function wantedAction(sc: StepContext): KcAction | undefined {
  const { prompt, session, params } = sc.interaction;
  if (prompt.name !== 'login' || !prompt.reasons.includes(KC_ACTION_REASON)) return undefined;
  if (!session?.accountId) return undefined;
  return requestedKcAction(params as Record<string, unknown>);
}

async function finish(us: UserStepContext, alias: KcAction, status: 'success' | 'cancelled') {
  const state = us.state as AiaState;
  const returnTo = await us.provider.interactionResult(
    us.ctx.req,
    us.ctx.res,
    {
      login: {
        accountId: us.user.id,
        acr: state.fresh ? '1' : '0', // AcrStore: a re-used session's level is 0
        amr: state.amr,
        ts: state.authTime,
        remember: state.rememberMe === true,
      },
      kcAction: { alias, status },
    },
    { mergeWithLastSubmission: false },
  );
  us.ctx.status = 303;
  us.ctx.redirect(returnTo);
}

/** The signed-in user and the AIA state (created on the first page). */
async function userStep(sc: StepContext, alias: KcAction): Promise<UserStepContext | undefined> {
  const userId = sc.interaction.session!.accountId;
  const user = await findUserById(sc.rc.db, sc.rc.realmId, userId);
  if (!user || !user.enabled) return undefined;
  const saved = loadState(sc.interaction) as AiaState | undefined;
  if (saved?.kcAction === alias && saved.userId === userId) return { ...sc, user, state: saved };
  const stored = await storedSession(sc);
  // No known login time counts as 0 (isReAuthRequiredForKcAction: a missing AUTH_TIME note).
  const authTime = stored?.loginTs ?? 0;
  const state: AiaState = {
    userId,
    stage: 'actions',
    amr: sc.interaction.session?.amr ?? ['pwd'],
    authTime,
    rememberMe: stored !== undefined && stored.transient !== true,
    kcAction: alias,
    reauth: aiaNeedsReauthentication(sc.rc.realm.rep, alias, authTime) ? 'password' : undefined,
  };
  await saveState(sc.interaction, state);
  return { ...sc, user, state };
}

/**
 * Handles the interaction's request when it is an AIA: `GET` (the action's page), `GET abort`
 * (cancelled), `POST required-action/{alias}` (the action's form). Resolves false when the
 * interaction is no AIA (or the request is for another page), so the login goes on as usual.
 */
export async function handleAia(
  sc: StepContext,
  action: string | undefined,
  rest: string[],
  readForm: () => Promise<Form>,
): Promise<boolean> {
  const alias = wantedAction(sc);
  if (!alias) return false;
  const us = await userStep(sc, alias);
  if (!us) return false;
  const step = ACTION_STEPS[alias];
  if (sc.ctx.method === 'GET' && action === 'abort') {
    await finish(us, alias, 'cancelled');
    return true;
  }
  // Too old a login: the password (and OTP) first; the action's form is not taken before.
  if ((us.state as AiaState).reauth) {
    if (await handleReauth(us, action, readForm)) await step.show(us);
    return true;
  }
  if (sc.ctx.method === 'GET' && !action) {
    await step.show(us);
    return true;
  }
  if (sc.ctx.method !== 'POST' || action !== 'required-action' || rest[0] !== alias) return false;
  const outcome = await step.submit(us, await readForm());
  if (outcome === 'done') await finish(us, alias, 'success');
  else if (outcome === 'rejected') await finish(us, alias, 'cancelled');
  return true;
}

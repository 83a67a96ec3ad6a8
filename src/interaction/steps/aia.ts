/**
 * An application-initiated action (oidc/kc-action.ts) in the login interaction: the login prompt
 * asked for it (reason `kc_action`) for a browser already signed in, so the action's page is shown
 * for the session's user without a password step (Keycloak's AuthenticationManager with the
 * `kc_action` client note: the action runs as a RequiredActionProvider, `isAppInitiatedAction`).
 * Its form is taken only for that action; "done" ends the authorization with
 * `kc_action_status=success`, the page's cancel (`abort`) or a declined action with
 * `kc_action_status=cancelled` — the user stays signed in either way (RequiredActionContextResult
 * cancel). Without a session the login runs first; the prompt then asks again and this step runs.
 */
import { findUserById } from '../../store/users.ts';
import { KC_ACTION_REASON, requestedKcAction, type KcAction } from '../../oidc/kc-action.ts';
import { ACTION_STEPS } from './actions.ts';
import { loadState, saveState, type LoginState } from './state.ts';
import type { Form, StepContext, UserStepContext } from './types.ts';

type AiaState = LoginState & { kcAction?: KcAction };

/** The AIA this interaction runs, when its prompt asks for one and a user is signed in. */
function wantedAction(sc: StepContext): KcAction | undefined {
  const { prompt, session, params } = sc.interaction;
  if (prompt.name !== 'login' || !prompt.reasons.includes(KC_ACTION_REASON)) return undefined;
  if (!session?.accountId) return undefined;
  return requestedKcAction(params as Record<string, unknown>);
}

async function finish(us: UserStepContext, alias: KcAction, status: 'success' | 'cancelled') {
  const returnTo = await us.provider.interactionResult(
    us.ctx.req,
    us.ctx.res,
    {
      login: { accountId: us.user.id, amr: us.state.amr, ts: us.state.authTime },
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
  const state: AiaState = {
    userId,
    stage: 'actions',
    amr: ['pwd'],
    authTime: Math.floor(Date.now() / 1000),
    kcAction: alias,
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
  if (sc.ctx.method === 'GET' && !action) {
    await step.show(us);
    return true;
  }
  if (sc.ctx.method === 'GET' && action === 'abort') {
    await finish(us, alias, 'cancelled');
    return true;
  }
  if (sc.ctx.method !== 'POST' || action !== 'required-action' || rest[0] !== alias) return false;
  const outcome = await step.submit(us, await readForm());
  if (outcome === 'done') await finish(us, alias, 'success');
  else if (outcome === 'rejected') await finish(us, alias, 'cancelled');
  return true;
}

/**
 * The login interaction: oidc-provider sends the browser to
 * `/realms/{realm}/login-actions/{uid}` when it needs a user; this module dispatches to the step
 * the login is at (interaction/steps/): the username and password form, the OTP code, each
 * pending required action (UPDATE_PASSWORD, CONFIGURE_TOTP, UPDATE_PROFILE, VERIFY_EMAIL,
 * TERMS_AND_CONDITIONS), then hands the result back to oidc-provider. The interaction is bound
 * to its `KC_INTERACTION` cookie (path-scoped, SameSite=Lax), which is what makes each POST
 * CSRF-safe, and the progress is kept in the interaction on the server (steps/state.ts), so a
 * POST is only taken by the step the login is at.
 *
 * Routes below `login-actions/`: `GET {uid}` (the current page), `POST {uid}/login`,
 * `POST {uid}/otp`, `POST {uid}/required-action/{alias}`, `GET {uid}/abort`.
 */
import type { Context } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type { Provider } from 'oidc-provider';
import type { RealmContext } from '../oidc/realm-context.ts';
import { findUserById } from '../store/users.ts';
import { realmDisplayName, renderStandaloneError } from '../pages.ts';
import { loginLocaleSource, updateUserLocale } from './login-locale.ts';
import { showLogin, submitLogin } from './steps/password.ts';
import { submitOtp } from './steps/otp.ts';
import { handleConsentAction } from './consent.ts';
import { advance, nextAction } from './steps/flow.ts';
import { ssoActionsStep } from './steps/sso.ts';
import { handleAia } from './steps/aia.ts';
import { loadState, type Interaction } from './steps/state.ts';
import {
  interactionBase,
  type Form,
  type StepContext,
  type UserStepContext,
} from './steps/types.ts';

const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
const TIMED_OUT = 'Your login attempt timed out. Login will start from the beginning.';

async function readForm(ctx: Context): Promise<Form> {
  await parseForm(ctx, async () => undefined);
  const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
  const form: Form = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') form[k] = v;
  return form;
}

/** The logged-in-so-far user of the interaction, read fresh; undefined before the password. */
async function userStep(sc: StepContext): Promise<UserStepContext | undefined> {
  const state = loadState(sc.interaction);
  if (!state) return undefined;
  const user = await findUserById(sc.rc.db, sc.rc.realmId, state.userId);
  // A user deleted or disabled meanwhile starts again at the login form.
  if (!user || !user.enabled) return undefined;
  return { ...sc, user: await updateUserLocale(sc.ctx, sc.rc, sc.interaction, user), state };
}

async function abort(sc: StepContext): Promise<void> {
  const returnTo = await sc.provider.interactionResult(
    sc.ctx.req,
    sc.ctx.res,
    { error: 'access_denied', error_description: 'End-User aborted interaction' },
    { mergeWithLastSubmission: false },
  );
  sc.ctx.status = 303;
  sc.ctx.redirect(returnTo);
}

/** `POST {uid}/required-action/{alias}`: taken only by the action the login is at. */
async function submitAction(us: UserStepContext, alias: string, form: Form): Promise<void> {
  const step = us.state.stage === 'actions' ? await nextAction(us) : undefined;
  if (!step || step.alias !== alias) {
    await advance(us);
    return;
  }
  const outcome = await step.submit(us, form);
  if (outcome === 'rejected') await abort(us);
  else if (outcome === 'done') await advance(us);
}

async function dispatch(sc: StepContext, action: string | undefined, rest: string[]) {
  const { ctx } = sc;
  // kc_action: an application-initiated action for the signed-in user (steps/aia.ts).
  if (await handleAia(sc, action, rest, () => readForm(ctx))) return;
  if (ctx.method === 'GET' && action === 'abort') return abort(sc);
  // The consent prompt (oidc/consent-check.ts) has its own page (Keycloak's login-oauth-grant.ftl).
  if (sc.interaction.prompt.name === 'consent')
    return handleConsentAction(ctx, sc.rc, sc.provider, sc.interaction, action);
  const us = await userStep(sc);
  if (ctx.method === 'GET' && !action) {
    if (us) return advance(us);
    const sso = await ssoActionsStep(sc); // an SSO session with pending required actions
    if (sso) return advance(sso);
    const hint = sc.interaction.params.login_hint;
    return showLogin(sc, typeof hint === 'string' ? hint : '');
  }
  if (ctx.method !== 'POST') return undefined;
  if (action === 'login') return submitLogin(sc, await readForm(ctx));
  if (!us) return showLogin(sc, '');
  if (action === 'otp') {
    if (us.state.stage !== 'otp') return advance(us);
    if (await submitOtp(us, await readForm(ctx))) await advance(us);
    return;
  }
  if (action === 'required-action' && rest.length === 1)
    return submitAction(us, rest[0], await readForm(ctx));
  return undefined;
}

/**
 * Handles the realm's login-actions requests. `rest` is the path after `/login-actions/`.
 */
export async function handleLoginAction(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
  rest: string,
): Promise<void> {
  const [uid, action, ...more] = rest.split('/');
  let interaction: Interaction;
  try {
    interaction = await provider.interactionDetails(ctx.req, ctx.res);
  } catch {
    renderStandaloneError(ctx, TIMED_OUT, 400, realmDisplayName(rc));
    return;
  }
  if (interaction.uid !== uid) {
    renderStandaloneError(ctx, TIMED_OUT, 400, realmDisplayName(rc));
    return;
  }
  const sc: StepContext = {
    ctx,
    rc,
    provider,
    interaction,
    base: interactionBase(rc, uid),
    clientId: String(interaction.params.client_id ?? ''),
  };
  await loginLocaleSource(ctx, rc, interaction, sc.base);
  await dispatch(sc, action, more);
  if (ctx.body === undefined && ctx.status === 404) {
    ctx.status = 405;
    ctx.body = { error: 'invalid_request', error_description: 'Method not allowed' };
  }
}

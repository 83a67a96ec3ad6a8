/**
 * The login interaction: oidc-provider sends the browser to
 * `/realms/{realm}/login-actions/{uid}` when it needs a user; this module shows the login form,
 * checks the password, and hands the result back with `interactionFinished`. The interaction is
 * bound to its `KC_INTERACTION` cookie (path-scoped, SameSite=Lax), which is what makes the POST
 * CSRF-safe. A wrong username and a wrong password get the same message (Keycloak's
 * "Invalid username or password.").
 */
import type { Context } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type { Provider } from 'oidc-provider';
import { checkPassword, LOGIN_ERROR_EVENT, OTP_NOT_SUPPORTED } from '../oidc/account.ts';
import type { RealmContext } from '../oidc/realm-context.ts';
import { LOGIN_ACTIONS } from '../oidc/routes.ts';
import { realmDisplayName, renderStandaloneError, sendPage } from './pages.ts';
import { handleConsentAction } from './consent.ts';

const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

const MESSAGES = {
  invalid_credentials: 'Invalid username or password.',
  user_not_found: 'Invalid username or password.',
  service_account: 'Invalid username or password.',
  locked: 'Invalid username or password.',
  disabled: 'Account is disabled, contact your administrator.',
  otp_required: OTP_NOT_SUPPORTED,
  not_set_up: 'Account is not fully set up.',
} as const;

function loginPage(ctx: Context, rc: RealmContext, uid: string, username: string, error?: string) {
  const base = `/realms/${encodeURIComponent(rc.realm.name)}${LOGIN_ACTIONS}/${encodeURIComponent(uid)}`;
  sendPage(ctx, 'login', {
    realmDisplayName: realmDisplayName(rc),
    action: `${base}/login`,
    abort: `${base}/abort`,
    username,
    usernameLabel: rc.realm.rep.loginWithEmailAllowed ? 'Username or email' : 'Username',
    rememberMe: rc.realm.rep.rememberMe === true,
    error,
    // h20b: registration.ts and reset-credentials.ts pages of this interaction.
    registerUrl: rc.realm.rep.registrationAllowed ? `${base}/registration` : undefined,
    resetUrl: rc.realm.rep.resetPasswordAllowed ? `${base}/reset-credentials` : undefined,
  });
}

/**
 * Handles `GET {uid}`, `POST {uid}/login` and `GET {uid}/abort` under the realm's login-actions
 * path. `rest` is the path after `/login-actions/`.
 */
export async function handleLoginAction(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
  rest: string,
): Promise<void> {
  const [uid, action] = rest.split('/');
  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch {
    renderStandaloneError(
      ctx,
      'Your login attempt timed out. Login will start from the beginning.',
      400,
      realmDisplayName(rc),
    );
    return;
  }
  if (details.uid !== uid) {
    renderStandaloneError(
      ctx,
      'Your login attempt timed out. Login will start from the beginning.',
      400,
      realmDisplayName(rc),
    );
    return;
  }
  if (details.prompt.name === 'consent') {
    await handleConsentAction(ctx, rc, provider, details, action);
    return;
  }
  const loginHint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';

  if (ctx.method === 'GET' && !action) {
    loginPage(ctx, rc, uid, loginHint);
    return;
  }
  if (ctx.method === 'GET' && action === 'abort') {
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
    return;
  }
  if (ctx.method === 'POST' && action === 'login') {
    await parseForm(ctx, async () => undefined);
    const form = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
    const username = typeof form.username === 'string' ? form.username.trim() : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const result = await checkPassword(rc, username, password, ctx.ip);
    const clientId = String(details.params.client_id ?? '');
    if (!result.ok) {
      rc.loginEvent('LOGIN_ERROR', {
        clientId,
        ipAddress: ctx.ip,
        error: LOGIN_ERROR_EVENT[result.reason],
        details: { auth_method: 'openid-connect', username },
      });
      loginPage(ctx, rc, uid, username, MESSAGES[result.reason]);
      return;
    }
    rc.loginEvent('LOGIN', {
      clientId,
      userId: result.user.id,
      ipAddress: ctx.ip,
      details: { auth_method: 'openid-connect', username: result.user.username },
    });
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      {
        // Without remember me the SSO cookie is a browser-session cookie (Keycloak's login.ftl
        // `rememberMe` checkbox, shown when the realm allows it). Consent: interaction/consent.ts.
        login: {
          accountId: result.user.id,
          acr: '1',
          amr: ['pwd'],
          remember: rc.realm.rep.rememberMe === true && form.rememberMe === 'on',
        },
      },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
    return;
  }
  ctx.status = 405;
  ctx.body = { error: 'invalid_request', error_description: 'Method not allowed' };
}

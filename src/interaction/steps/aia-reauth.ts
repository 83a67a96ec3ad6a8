/**
 * The new login an application-initiated action asks for when the session's login is older than
 * the action's maximum authentication age (realm/aia-max-auth-age.ts). Keycloak's
 * CookieAuthenticator does not take the SSO cookie when LoginProtocol.requireReauthentication says
 * so (OIDCLoginProtocol.isReAuthRequiredForKcAction), keeps the session's user (context.setUser)
 * and shows Messages.REAUTHENTICATE ("Please re-authenticate to continue"); the browser flow then
 * asks that user's password only (UsernamePasswordForm with the user already set: the username is
 * shown, not asked, and there is no registration link), then the OTP code of a user with an OTP
 * credential. A wrong password or code counts as a login failure, as on the login form. Once both
 * are given the login's time is now (the AUTH_TIME note of a non-SSO login) and the action runs.
 */
import { checkPassword, LOGIN_ERROR_EVENT } from '../../oidc/account.ts';
import { LOGIN_MESSAGES } from './password.ts';
import { showOtp, submitOtp } from './otp.ts';
import { saveState, type LoginState } from './state.ts';
import { stepPage, type Form, type UserStepContext } from './types.ts';

/** The AIA's progress: which re-authentication page is due, and whether it was done. */
export type AiaState = LoginState & {
  kcAction?: string;
  /** The re-authentication page the action waits for; undefined once done or not needed. */
  reauth?: 'password' | 'otp';
  /** The user re-authenticated in this interaction (not an SSO login: acr "1"). */
  fresh?: boolean;
};

/** The password page for the session's user (Keycloak's login.ftl with the username known). */
export function showReauth(us: UserStepContext, error?: string): void {
  stepPage(us, 'login', {
    action: `${us.base}/login`,
    username: us.user.username,
    fixedUsername: true,
    info: error ? undefined : 'reauthenticate',
    error,
  });
}

async function passed(us: UserStepContext, amr: string[]): Promise<void> {
  us.state = {
    ...us.state,
    stage: 'actions',
    amr,
    authTime: Math.floor(Date.now() / 1000),
    reauth: undefined,
    fresh: true,
  } as AiaState;
  await saveState(us.interaction, us.state);
}

/** `POST {uid}/login` during the re-authentication. @returns true once the password is right. */
async function submitPassword(us: UserStepContext, form: Form): Promise<boolean> {
  const result = await checkPassword(us.rc, us.user.username, form.password ?? '', us.ctx.ip);
  if (!result.ok || result.user.id !== us.user.id) {
    const reason = result.ok ? 'invalid_credentials' : result.reason;
    us.rc.loginEvent('LOGIN_ERROR', {
      clientId: us.clientId,
      userId: us.user.id,
      ipAddress: us.ctx.ip,
      error: LOGIN_ERROR_EVENT[reason],
      details: { auth_method: 'openid-connect', username: us.user.username },
    });
    showReauth(us, LOGIN_MESSAGES[reason]);
    return false;
  }
  if (!result.otp.length) {
    await passed(us, ['pwd']);
    return true;
  }
  us.state = { ...us.state, stage: 'otp', amr: ['pwd'], reauth: 'otp' } as AiaState;
  await saveState(us.interaction, us.state);
  await showOtp(us);
  return false;
}

/**
 * Answers a request of an AIA interaction whose re-authentication is not done: `GET` (the page
 * due), `POST login` (the password), `POST otp` (the code). Any other request (the action's form
 * above all) gets the page due, and changes nothing.
 * @returns true when the re-authentication is complete and the action's page is to be shown.
 */
export async function handleReauth(
  us: UserStepContext,
  action: string | undefined,
  readForm: () => Promise<Form>,
): Promise<boolean> {
  const due = (us.state as AiaState).reauth;
  if (us.ctx.method === 'POST' && action === 'login' && due === 'password')
    return submitPassword(us, await readForm());
  if (us.ctx.method === 'POST' && action === 'otp' && due === 'otp') {
    if (!(await submitOtp(us, await readForm()))) return false;
    await passed(us, us.state.amr);
    return true;
  }
  if (due === 'otp') await showOtp(us);
  else showReauth(us);
  return false;
}

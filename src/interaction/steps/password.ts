/**
 * The first step: Keycloak's login.ftl (username or email, password). A wrong username and a
 * wrong password get the same message ("Invalid username or password.", messages_en
 * invalidUserMessage); after the right one the login goes on with the OTP step (a user with an
 * OTP credential) or the required actions (flow.ts).
 */
import { checkPassword, LOGIN_ERROR_EVENT, type LoginFailure } from '../../oidc/account.ts';
import { findUserById } from '../../store/users.ts';
import { advance } from './flow.ts';
import { saveState } from './state.ts';
import { updateUserLocale } from '../login-locale.ts';
import { stepPage, type Form, type StepContext } from './types.ts';

/** The login form's message for each refusal (also the re-authentication's: aia-reauth.ts). */
export const LOGIN_MESSAGES: Record<LoginFailure, string> = {
  invalid_credentials: 'Invalid username or password.',
  user_not_found: 'Invalid username or password.',
  service_account: 'Invalid username or password.',
  locked: 'Invalid username or password.',
  disabled: 'Account is disabled, contact your administrator.',
  not_set_up: 'Account is not fully set up.',
};

export function showLogin(sc: StepContext, username: string, error?: string): void {
  stepPage(sc, 'login', {
    action: `${sc.base}/login`,
    username,
    usernameLabel: sc.rc.realm.rep.loginWithEmailAllowed ? 'Username or email' : 'Username',
    rememberMe: sc.rc.realm.rep.rememberMe === true,
    error,
    // registration.ts and reset-credentials.ts pages of this interaction (Keycloak's login.ftl links).
    registerUrl: sc.rc.realm.rep.registrationAllowed ? `${sc.base}/registration` : undefined,
    resetUrl: sc.rc.realm.rep.resetPasswordAllowed ? `${sc.base}/reset-credentials` : undefined,
  });
}

/** `POST {uid}/login`. */
export async function submitLogin(sc: StepContext, form: Form): Promise<void> {
  const username = (form.username ?? '').trim();
  const result = await checkPassword(sc.rc, username, form.password ?? '', sc.ctx.ip);
  if (!result.ok) {
    sc.rc.loginEvent('LOGIN_ERROR', {
      clientId: sc.clientId,
      ipAddress: sc.ctx.ip,
      error: LOGIN_ERROR_EVENT[result.reason],
      details: { auth_method: 'openid-connect', username },
    });
    showLogin(sc, username, LOGIN_MESSAGES[result.reason]);
    return;
  }
  const state = {
    userId: result.user.id,
    stage: result.otp.length ? ('otp' as const) : ('actions' as const),
    amr: ['pwd'],
    authTime: Math.floor(Date.now() / 1000),
    rememberMe: sc.rc.realm.rep.rememberMe === true && form.rememberMe === 'on',
  };
  await saveState(sc.interaction, state);
  const found = (await findUserById(sc.rc.db, sc.rc.realmId, state.userId)) ?? result.user;
  // Keycloak's UpdateUserLocaleAction right after authentication (interaction/login-locale.ts).
  const user = await updateUserLocale(sc.ctx, sc.rc, sc.interaction, found);
  await advance({ ...sc, user, state });
}

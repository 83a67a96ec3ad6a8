/**
 * The OTP step: Keycloak's login-otp.ftl (field `otp`, "One-time code"), shown after the right
 * password to a user with an OTP credential. A wrong, replayed or malformed code, and any code
 * while the user is locked out, get "Invalid authenticator code." (messages_en invalidTotpMessage)
 * and count as a brute-force failure (oidc/account.ts checkOtpCode).
 */
import { checkOtpCode, LOGIN_ERROR_EVENT } from '../../oidc/account.ts';
import { otpCredentials } from '../../store/credentials.ts';
import { saveState } from './state.ts';
import { stepPage, type Form, type UserStepContext } from './types.ts';

export const INVALID_TOTP = 'Invalid authenticator code.';

export function showOtp(sc: UserStepContext, error?: string): void {
  stepPage(sc, 'login-otp', { action: `${sc.base}/otp`, error }, error ? 400 : 200);
}

/**
 * `POST {uid}/otp`. @returns true when the code was accepted (the state moved on to the required
 * actions); false when the page was shown again.
 */
export async function submitOtp(sc: UserStepContext, form: Form): Promise<boolean> {
  const code = (form.otp ?? '').slice(0, 16);
  const outcome = code
    ? await checkOtpCode(
        sc.rc,
        sc.user,
        await otpCredentials(sc.rc.db, sc.user.id),
        code,
        sc.ctx.ip,
      )
    : 'missing';
  if (outcome !== 'ok') {
    sc.rc.loginEvent('LOGIN_ERROR', {
      clientId: sc.clientId,
      userId: sc.user.id,
      ipAddress: sc.ctx.ip,
      error:
        outcome === 'locked' ? 'user_temporarily_disabled' : LOGIN_ERROR_EVENT.invalid_credentials,
      details: { auth_method: 'openid-connect', username: sc.user.username },
    });
    showOtp(sc, outcome === 'missing' ? 'Please specify authenticator code.' : INVALID_TOTP);
    return false;
  }
  sc.state = { ...sc.state, stage: 'actions', amr: [...sc.state.amr, 'otp'] };
  await saveState(sc.interaction, sc.state);
  return true;
}

/**
 * The OTP step: Keycloak's login-otp.ftl (field `otp`, "One-time code"), shown after the right
 * password to a user with an OTP credential. A user with two or more OTP credentials chooses one
 * (login-otp.ftl's `selectedCredentialId` radios, labelled with each credential's userLabel or
 * "unnamed"), and the code is checked against the chosen one only; without a choice, against the
 * default (first) credential (OTPFormAuthenticator.validateOTP, OTPCredentialProvider
 * .getDefaultCredential). A wrong, replayed or malformed code, and any code while the user is
 * locked out, get "Invalid authenticator code." (messages_en invalidTotpMessage) and count as a
 * brute-force failure (oidc/account.ts checkOtpCode).
 */
import { checkOtpCode, LOGIN_ERROR_EVENT } from '../../oidc/account.ts';
import { otpCredentials, type OtpCredential } from '../../store/credentials.ts';
import { saveState } from './state.ts';
import { stepPage, type Form, type UserStepContext } from './types.ts';

export const INVALID_TOTP = 'Invalid authenticator code.';
/** OTPFormAuthenticator.UNNAMED: the label of a credential without userLabel. */
const UNNAMED = 'unnamed';

export async function showOtp(
  sc: UserStepContext,
  error?: string,
  selected?: string,
  credentials?: OtpCredential[],
): Promise<void> {
  const list = credentials ?? (await otpCredentials(sc.rc.db, sc.user.id));
  const chosen = list.some((c) => c.id === selected) ? selected : list[0]?.id;
  stepPage(
    sc,
    'login-otp',
    {
      action: `${sc.base}/otp`,
      error,
      // login-otp.ftl lists them only when there are more than one.
      otpCredentials:
        list.length > 1 ? list.map((c) => ({ id: c.id, label: c.userLabel || UNNAMED })) : [],
      selectedCredentialId: chosen,
    },
    error ? 400 : 200,
  );
}

/**
 * `POST {uid}/otp`. @returns true when the code was accepted (the state moved on to the required
 * actions); false when the page was shown again.
 */
export async function submitOtp(sc: UserStepContext, form: Form): Promise<boolean> {
  const code = (form.otp ?? '').slice(0, 16);
  const all = await otpCredentials(sc.rc.db, sc.user.id);
  const selected = form.selectedCredentialId || all[0]?.id;
  // An id that is not one of the user's credentials matches nothing (isValid is false).
  const chosen = all.filter((c) => c.id === selected);
  const outcome = code ? await checkOtpCode(sc.rc, sc.user, chosen, code, sc.ctx.ip) : 'missing';
  if (outcome !== 'ok') {
    sc.rc.loginEvent('LOGIN_ERROR', {
      clientId: sc.clientId,
      userId: sc.user.id,
      ipAddress: sc.ctx.ip,
      error:
        outcome === 'locked' ? 'user_temporarily_disabled' : LOGIN_ERROR_EVENT.invalid_credentials,
      details: {
        auth_method: 'openid-connect',
        username: sc.user.username,
        ...(selected ? { selected_credential_id: selected } : {}),
      },
    });
    const message = outcome === 'missing' ? 'Please specify authenticator code.' : INVALID_TOTP;
    await showOtp(sc, message, selected, all);
    return false;
  }
  sc.state = { ...sc.state, stage: 'actions', amr: [...sc.state.amr, 'otp'] };
  await saveState(sc.interaction, sc.state);
  return true;
}

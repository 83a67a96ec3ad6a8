/**
 * CONFIGURE_TOTP: Keycloak's login-config-totp.ftl and UpdateTotp. The page lists the realm's
 * `otpSupportedApplications`, shows the `otpauth://` QR code (qrcode, rendered here as inline
 * SVG: no script, no image request, the page's strict CSP unchanged) and, under "Unable to
 * scan?", the key as text (base32, in groups of four as Keycloak's `totpSecretEncoded`) with the
 * policy's values. The secret stays on the server (sealed in the interaction), unlike Keycloak's
 * hidden `totpSecret` field, so a form cannot choose it. Submit: `totp` (the code) and `userLabel`
 * (device name, required when the user already has an OTP credential, as Keycloak does).
 * Messages: missingTotpMessage, invalidTotpMessage, missingTotpDeviceNameMessage. The credential
 * is stored (store/credentials.ts) and the action removed in one transaction; UPDATE_TOTP event.
 */
import QRCode from 'qrcode';
import {
  checkOtp,
  credentialDataFor,
  encodedSecret,
  newOtpSecret,
  otpauthUri,
  otpPolicy,
} from '../../model/otp.ts';
import {
  hasOtpCredential,
  insertOtpCredential,
  openPending,
  sealPending,
} from '../../store/credentials.ts';
import { realmDisplayName } from '../../pages.ts';
import { completeAction } from './complete.ts';
import { saveState } from './state.ts';
import { stepPage, type RequiredActionStep, type UserStepContext } from './types.ts';
import { INVALID_TOTP } from './otp.ts';

/** messages_en names of Keycloak's otpSupportedApplications keys. */
const APP_NAMES: Record<string, string> = {
  totpAppFreeOTPName: 'FreeOTP',
  totpAppGoogleName: 'Google Authenticator',
  totpAppMicrosoftAuthenticatorName: 'Microsoft Authenticator',
};

/** The secret this login is enrolling, made (and kept in the interaction) on first display. */
async function enrolmentSecret(sc: UserStepContext): Promise<string> {
  const kept = sc.state.enrolment && openPending(sc.rc.db, sc.interaction.uid, sc.state.enrolment);
  if (kept) return kept;
  const secret = newOtpSecret();
  sc.state = { ...sc.state, enrolment: sealPending(sc.rc.db, sc.interaction.uid, secret) };
  await saveState(sc.interaction, sc.state);
  return secret;
}

function supportedApps(sc: UserStepContext): string[] {
  const apps = (sc.rc.realm.rep as Record<string, unknown>).otpSupportedApplications;
  const keys = Array.isArray(apps)
    ? apps.filter((a) => typeof a === 'string')
    : Object.keys(APP_NAMES);
  return keys.map((k) => APP_NAMES[k] ?? k);
}

export const configureTotp: RequiredActionStep = {
  alias: 'CONFIGURE_TOTP',
  async show(sc: UserStepContext, error?: string) {
    const secret = await enrolmentSecret(sc);
    const policy = otpPolicy(sc.rc.realm.rep);
    const data = credentialDataFor(policy);
    const uri = otpauthUri(secret, data, realmDisplayName(sc.rc), sc.user.username);
    stepPage(
      sc,
      'login-config-totp',
      {
        action: `${sc.base}/required-action/CONFIGURE_TOTP`,
        info: 'You need to set up Mobile Authenticator to activate your account.',
        apps: supportedApps(sc),
        qrSvg: await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
        key: encodedSecret(secret).replace(/(.{4})(?=.)/g, '$1 '),
        policy: {
          type: policy.type === 'hotp' ? 'Counter-based' : 'Time-based',
          algorithm: policy.algorithm.replace(/^Hmac/, ''),
          digits: policy.digits,
          period: policy.period,
          counter: policy.initialCounter,
          hotp: policy.type === 'hotp',
        },
        deviceNameRequired: await hasOtpCredential(sc.rc.db, sc.user.id),
        error,
      },
      error ? 400 : 200,
    );
  },
  async submit(sc, form) {
    const code = (form.totp ?? '').trim().slice(0, 16);
    const label = (form.userLabel ?? '').trim().slice(0, 255);
    if (!code) return shown(sc, 'Please specify authenticator code.');
    const secret =
      sc.state.enrolment && openPending(sc.rc.db, sc.interaction.uid, sc.state.enrolment);
    const policy = otpPolicy(sc.rc.realm.rep);
    const data = credentialDataFor(policy);
    const match =
      secret && (await checkOtp(secret, data, code, { window: policy.lookAheadWindow }));
    if (!secret || !match) return shown(sc, INVALID_TOTP);
    if (!label && (await hasOtpCredential(sc.rc.db, sc.user.id)))
      return shown(sc, 'Please specify device name.');
    await sc.rc.db.transaction(async (tx) => {
      await insertOtpCredential(tx, sc.user.id, {
        secret,
        data: match.type === 'hotp' ? { ...data, counter: match.nextCounter } : data,
        userLabel: label || undefined,
        lastStep: match.type === 'totp' ? match.timeStep : undefined,
      });
      sc.user = await completeAction(tx, sc.rc.realmId, sc.user, 'CONFIGURE_TOTP', { totp: true });
    });
    sc.state = { ...sc.state, enrolment: undefined, amr: [...new Set([...sc.state.amr, 'otp'])] };
    await saveState(sc.interaction, sc.state);
    sc.rc.loginEvent('UPDATE_TOTP', {
      clientId: sc.clientId,
      userId: sc.user.id,
      ipAddress: sc.ctx.ip,
      details: { auth_method: 'openid-connect', username: sc.user.username },
    });
    return 'done';
  },
};

async function shown(sc: UserStepContext, error: string): Promise<'shown'> {
  await configureTotp.show(sc, error);
  return 'shown';
}

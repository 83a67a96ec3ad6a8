/**
 * One-time passwords as Keycloak's OTP credentials use them: TOTP (RFC 6238) and HOTP (RFC 4226)
 * through otplib, with the realm's OTP policy (RealmRepresentation `otpPolicyType`,
 * `otpPolicyAlgorithm`, `otpPolicyDigits`, `otpPolicyPeriod`, `otpPolicyLookAheadWindow`,
 * `otpPolicyInitialCounter`, `otpPolicyCodeReusable`; Keycloak's OTPPolicy defaults: totp,
 * HmacSHA1, 6 digits, 30 s, look-around 1, counter 0, not reusable).
 *
 * A credential's own parameters (Keycloak's OTPCredentialData: `subType`, `digits`, `period`,
 * `algorithm`, `counter`) decide how its codes are checked, as in Keycloak's
 * OTPCredentialProvider.isValid; the realm's policy gives only the look-around window. The secret
 * is Keycloak's OTPSecretData `value`: the HMAC key is its UTF-8 bytes (Keycloak's
 * TimeBasedOTP/HmacOTP use `secret.getBytes()`), and authenticator apps get it base32-encoded
 * (Keycloak's `totpSecretEncoded`). Pure: no I/O.
 */
import { createGuardrails, generateSecret, generateURI, ScureBase32Plugin, verify } from 'otplib';
import type { RealmDocument } from './representation.ts';

export type OtpType = 'totp' | 'hotp';

/** The realm's OTP policy, Keycloak's field names without the `otpPolicy` prefix. */
export interface OtpPolicy {
  type: OtpType;
  /** Keycloak's names: HmacSHA1, HmacSHA256, HmacSHA512. */
  algorithm: string;
  digits: number;
  /** Seconds (TOTP). */
  period: number;
  /** Steps (TOTP: each side of now) or counters (HOTP: ahead) also accepted. */
  lookAheadWindow: number;
  initialCounter: number;
  codeReusable: boolean;
}

/** Keycloak's OTPCredentialData, the `credentialData` JSON of an `otp` credential. */
export interface OtpCredentialData {
  subType: OtpType;
  digits: number;
  counter: number;
  period: number;
  algorithm: string;
}

const ALGORITHMS: Record<string, 'sha1' | 'sha256' | 'sha512'> = {
  HmacSHA1: 'sha1',
  HmacSHA256: 'sha256',
  HmacSHA512: 'sha512',
};

/** The realm's OTP policy, Keycloak's defaults for what the document does not set. */
export function otpPolicy(doc: RealmDocument): OtpPolicy {
  const d = doc as Record<string, unknown>;
  const int = (key: string, fallback: number, min: number, max: number) => {
    const v = d[key];
    return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : fallback;
  };
  const algorithm = typeof d.otpPolicyAlgorithm === 'string' ? d.otpPolicyAlgorithm : '';
  return {
    type: d.otpPolicyType === 'hotp' ? 'hotp' : 'totp',
    algorithm: ALGORITHMS[algorithm] ? algorithm : 'HmacSHA1',
    digits: int('otpPolicyDigits', 6, 6, 8),
    period: int('otpPolicyPeriod', 30, 1, 3600),
    lookAheadWindow: int('otpPolicyLookAheadWindow', 1, 0, 20),
    initialCounter: int('otpPolicyInitialCounter', 0, 0, Number.MAX_SAFE_INTEGER),
    codeReusable: d.otpPolicyCodeReusable === true,
  };
}

/** The credential data a new enrolment under `policy` stores (Keycloak's OTPCredentialModel.createFromPolicy). */
export function credentialDataFor(policy: OtpPolicy): OtpCredentialData {
  return {
    subType: policy.type,
    digits: policy.digits,
    counter: policy.initialCounter,
    period: policy.period,
    algorithm: policy.algorithm,
  };
}

/**
 * A stored `credentialData`, checked: undefined when it is not one this module can verify
 * (unknown algorithm or sub-type, digits outside 6..8).
 */
export function parseCredentialData(raw: unknown): OtpCredentialData | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const subType = r.subType === 'hotp' ? 'hotp' : r.subType === 'totp' ? 'totp' : undefined;
  const algorithm = typeof r.algorithm === 'string' ? r.algorithm : 'HmacSHA1';
  const digits = typeof r.digits === 'number' ? r.digits : 6;
  const period = typeof r.period === 'number' ? r.period : 30;
  const counter = typeof r.counter === 'number' ? r.counter : 0;
  if (!subType || !ALGORITHMS[algorithm] || !Number.isInteger(digits) || digits < 6 || digits > 8)
    return undefined;
  if (!Number.isInteger(period) || period < 1 || period > 3600) return undefined;
  if (!Number.isSafeInteger(counter) || counter < 0) return undefined;
  return { subType, digits, period, counter, algorithm };
}

/** Imported secrets may be shorter than otplib's 16-byte floor; Keycloak accepts any length. */
const GUARDRAILS = createGuardrails({ MIN_SECRET_BYTES: 1, MAX_SECRET_BYTES: 1024 });
const key = (secret: string) => new TextEncoder().encode(secret);

/**
 * What a successful check moves the credential to: a TOTP code's time step (refused next time
 * when codes are not reusable), or the HOTP counter after the matched one.
 */
export type OtpMatch =
  { type: 'totp'; timeStep: number } | { type: 'hotp'; nextCounter: number; delta: number };

/**
 * Checks `code` against one credential. TOTP: the current step and `window` steps on each side
 * (Keycloak's TimeBasedOTP.validateTOTP look-around); a step at or before `afterTimeStep` is
 * refused (RFC 6238 §5.2, a code used once is not accepted again). HOTP: the credential's
 * counter and `window` counters after it (HmacOTP.validateHOTP).
 * @param now epoch seconds.
 * @returns the match, or undefined for a wrong, malformed or replayed code.
 */
export async function checkOtp(
  secret: string,
  data: OtpCredentialData,
  code: string,
  options: { window: number; afterTimeStep?: number; now?: number },
): Promise<OtpMatch | undefined> {
  if (!/^\d+$/.test(code) || code.length !== data.digits) return undefined;
  const common = {
    secret: key(secret),
    token: code,
    digits: data.digits as 6,
    algorithm: ALGORITHMS[data.algorithm],
    guardrails: GUARDRAILS,
  };
  try {
    if (data.subType === 'hotp') {
      const result = await verify({
        ...common,
        strategy: 'hotp',
        counter: data.counter,
        counterTolerance: [0, options.window],
      });
      if (!result.valid) return undefined;
      const { delta } = result as { delta: number };
      return { type: 'hotp', nextCounter: data.counter + delta + 1, delta };
    }
    const epoch = options.now ?? Math.floor(Date.now() / 1000);
    const tolerance = data.period * options.window;
    const result = await verify({
      ...common,
      strategy: 'totp',
      period: data.period,
      epoch,
      epochTolerance: [tolerance, tolerance],
    });
    if (!result.valid) return undefined;
    const { timeStep } = result as { timeStep: number };
    if (options.afterTimeStep !== undefined && timeStep <= options.afterTimeStep) return undefined;
    return { type: 'totp', timeStep };
  } catch {
    // otplib refuses out-of-range input (e.g. a secret longer than 1 KiB) by throwing.
    return undefined;
  }
}

/** A new secret: 20 random bytes, base32 (otplib's generateSecret), stored as Keycloak stores its value. */
export const newOtpSecret = (): string => generateSecret({ length: 20 });

/** The secret as authenticator apps take it (Keycloak's `totpSecretEncoded`): base32 of its bytes. */
export const encodedSecret = (secret: string): string =>
  new ScureBase32Plugin().encode(key(secret), { padding: false });

/**
 * The `otpauth://` URI of the enrolment QR code (Keycloak's `totpSecretQrCode`): issuer the
 * realm's display name, label the username.
 */
export function otpauthUri(
  secret: string,
  data: OtpCredentialData,
  issuer: string,
  label: string,
): string {
  return generateURI({
    strategy: data.subType,
    issuer,
    label,
    secret: encodedSecret(secret),
    algorithm: ALGORITHMS[data.algorithm],
    digits: data.digits as 6,
    period: data.period,
    counter: data.subType === 'hotp' ? data.counter : undefined,
  });
}

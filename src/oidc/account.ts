/**
 * oidc-provider's `findAccount` over the realm's users, and the password and OTP checks shared by
 * the login form and the password grant. An account's own claims are only `sub`: the id token's and
 * userinfo's claims come from the realm's protocol mappers (oidc/mapped-claims.ts), which
 * replace what oidc-provider would take from here.
 */
import type { KoaContextWithOIDC, Account } from 'oidc-provider';
import {
  findUserById,
  findUserForLogin,
  passwordCredentials,
  type StoredUser,
} from '../store/users.ts';
import { verifyPassword } from '../model/password.ts';
import { isLockedOut, recordLoginAttempt } from '../realm/brute-force.ts';
import { checkOtp, otpPolicy, parseCredentialData } from '../model/otp.ts';
import { pendingActions } from '../realm/required-actions.ts';
import { consumeOtp, otpCredentials, type OtpCredential } from '../store/credentials.ts';
import { counterFor } from '../metrics.ts';
import type { RealmContext } from './realm-context.ts';

export interface KeycloakAccount extends Account {
  user: StoredUser;
  /** Epoch seconds of the login that produced this account entity (the password grant sets it). */
  authTime?: number;
}

export function toAccount(user: StoredUser): KeycloakAccount {
  return {
    accountId: user.id,
    user,
    async claims() {
      return { sub: user.id };
    },
  };
}

export function findAccountFor(rc: RealmContext) {
  return async (_ctx: KoaContextWithOIDC, sub: string): Promise<KeycloakAccount | undefined> => {
    const user = await findUserById(rc.db, rc.realmId, sub);
    // A disabled user's tokens stop working at once (userinfo, refresh), as in Keycloak.
    return user && user.enabled ? toAccount(user) : undefined;
  };
}

/**
 * Why a login failed: a wrong password, a user that does not exist, a service account's user
 * (which cannot log in), a user locked out by brute-force detection, a disabled user, pending
 * required actions (the password grant's answer: the browser login runs them instead).
 */
export type LoginFailure =
  | 'invalid_credentials'
  | 'user_not_found'
  | 'service_account'
  | 'locked'
  | 'disabled'
  | 'not_set_up';

/**
 * A right password: the user, and their OTP credentials (a second factor is then required, as
 * Keycloak's browser flow "Conditional OTP" and direct grant "Direct Grant - Conditional OTP" do
 * for a user with an OTP credential).
 */
export type LoginResult =
  { ok: true; user: StoredUser; otp: OtpCredential[] } | { ok: false; reason: LoginFailure };

/** The `error` of Keycloak's LOGIN_ERROR event for each failed login (Keycloak's `Errors` constants). */
export const LOGIN_ERROR_EVENT: Record<LoginFailure, string> = {
  invalid_credentials: 'invalid_user_credentials',
  user_not_found: 'user_not_found',
  service_account: 'invalid_user',
  locked: 'user_temporarily_disabled',
  disabled: 'user_disabled',
  not_set_up: 'resolve_required_actions',
};

/** Counts a failure in `qsign_login_failures_total{realm, reason}` (reason: LOGIN_ERROR_EVENT's). */
export const countLoginFailure = (rc: RealmContext, error: string) =>
  counterFor(rc.metrics.loginFailures, rc.realm.name, error).inc();

/**
 * Checks a username (or email, when the realm allows it) and password. Unknown users cost one
 * argon2 computation too, so timing does not tell which part was wrong. Every failure counts in
 * `qsign_login_failures_total{realm, reason}`, reason being LOGIN_ERROR_EVENT's. A right password
 * of a user with an OTP credential leaves the brute-force count as it is (checkOtpCode settles it).
 * @throws StoreUnavailableError when the store is down (not counted); CredentialSecretError
 *   when an OTP secret does not open.
 */
export async function checkPassword(
  rc: RealmContext,
  login: string,
  password: string,
  ip?: string,
): Promise<LoginResult> {
  const result = await verifyLogin(rc, login, password, ip);
  if (!result.ok) countLoginFailure(rc, LOGIN_ERROR_EVENT[result.reason]);
  return result;
}

async function verifyLogin(
  rc: RealmContext,
  login: string,
  password: string,
  ip?: string,
): Promise<LoginResult> {
  const user = login
    ? await findUserForLogin(rc.db, rc.realmId, login, rc.realm.rep.loginWithEmailAllowed)
    : undefined;
  const credentials =
    user && !user.serviceAccountClientId ? await passwordCredentials(rc.db, user.id) : [];
  let valid = false;
  for (const credential of credentials) {
    if (await verifyPassword(password, credential)) {
      valid = true;
      break;
    }
  }
  if (!credentials.length) await verifyPassword(password, DUMMY);
  const otp = user && valid ? await otpCredentials(rc.db, user.id) : [];
  // A locked-out user is refused even with the right password; pages and grants answer it as
  // they answer a wrong password (Keycloak's).
  const locked =
    user &&
    (valid && otp.length
      ? await isLockedOut(rc.db, rc.realm.rep, rc.realmId, user.id)
      : await recordLoginAttempt(
          rc.db,
          rc.realm.rep,
          rc.realmId,
          user.id,
          { valid, ip },
          rc.metrics,
        ));
  if (locked) return { ok: false, reason: 'locked' };
  if (!user || !valid)
    return {
      ok: false,
      reason: !user
        ? 'user_not_found'
        : user.serviceAccountClientId
          ? 'service_account'
          : 'invalid_credentials',
    };
  if (!user.enabled) return { ok: false, reason: 'disabled' };
  return { ok: true, user, otp };
}

/** How an OTP code was received: accepted, wrong (or replayed), or refused for a lockout. */
export type OtpOutcome = 'ok' | 'invalid' | 'locked';

/**
 * Checks an OTP code against the user's credentials (any of them may match, with the realm's
 * look-around window) and settles brute force: a wrong or replayed code is a failure (Keycloak's
 * OTPFormAuthenticator / ValidateOTP: `invalid_user_credentials`), a right one clears the count
 * unless the user is locked out meanwhile. A TOTP code is accepted once unless the realm's
 * `otpPolicyCodeReusable` (Keycloak: "Invalid authenticator code." for a reused one).
 * @throws StoreUnavailableError when the store is down.
 */
export async function checkOtpCode(
  rc: RealmContext,
  user: StoredUser,
  credentials: OtpCredential[],
  code: string,
  ip?: string,
): Promise<OtpOutcome> {
  const policy = otpPolicy(rc.realm.rep);
  let valid = false;
  for (const credential of credentials) {
    const data = parseCredentialData(credential.data);
    if (!data) continue;
    const match = await checkOtp(credential.secret, data, code.trim(), {
      window: policy.lookAheadWindow,
      afterTimeStep: policy.codeReusable ? undefined : credential.lastStep,
    });
    if (match && (await consumeOtp(rc.db, credential, match, policy.codeReusable))) {
      valid = true;
      break;
    }
  }
  const locked = await recordLoginAttempt(
    rc.db,
    rc.realm.rep,
    rc.realmId,
    user.id,
    { valid, ip },
    rc.metrics,
  );
  if (locked || !valid) countLoginFailure(rc, LOGIN_ERROR_EVENT.invalid_credentials);
  return locked ? 'locked' : valid ? 'ok' : 'invalid';
}

/**
 * The user's pending required actions (enabled in the realm), priority first. The actions the
 * realm's settings add (VERIFY_EMAIL for `verifyEmail`, UPDATE_PASSWORD for
 * `forceExpiredPasswordChange`) are stored on the user first by required-action-triggers.ts
 * (Keycloak's evaluateTriggers adds them to the user), so this reads the user's own list only.
 */
export function pendingRequiredActions(rc: RealmContext, user: StoredUser): string[] {
  return pendingActions(rc.realm.rep, user.requiredActions ?? []);
}

// argon2id hash of a random throwaway password, Keycloak parameters: equalises timing for unknown users.
const DUMMY = {
  secretData: {
    value: 'n5oV3Fh4bDEN2b8Pbwb0yq3b1Y1mCwv2pP1r8a9x1tE=',
    salt: 'c2FsdHNhbHRzYWx0c2FsdA==',
  },
  credentialData: {
    hashIterations: 5,
    algorithm: 'argon2',
    additionalParameters: {
      hashLength: ['32'],
      memory: ['7168'],
      type: ['id'],
      version: ['1.3'],
      parallelism: ['1'],
    },
  },
};

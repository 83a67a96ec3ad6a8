/**
 * oidc-provider's `findAccount` over the realm's users, and the password check shared by the
 * login form and the password grant. An account's own claims are only `sub`: the id token's and
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
import { verifyPassword } from '../realm/password.ts';
import { recordLoginAttempt } from '../realm/brute-force.ts';
import { counterFor, loginFailures } from '../metrics.ts';
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
 * (which cannot log in), a user locked out by brute-force detection, a disabled user, a user with
 * an OTP credential (second factor not supported yet), pending required actions.
 */
export type LoginFailure =
  | 'invalid_credentials'
  | 'user_not_found'
  | 'service_account'
  | 'locked'
  | 'disabled'
  | 'otp_required'
  | 'not_set_up';

/** What a user with an OTP credential is told (login page and password grant). */
export const OTP_NOT_SUPPORTED =
  'This account requires a one-time code (OTP), which this server does not support yet. Contact your administrator.';

export type LoginResult = { ok: true; user: StoredUser } | { ok: false; reason: LoginFailure };

/** The `error` of Keycloak's LOGIN_ERROR event for each failed login (Keycloak's `Errors` constants). */
export const LOGIN_ERROR_EVENT: Record<LoginFailure, string> = {
  invalid_credentials: 'invalid_user_credentials',
  user_not_found: 'user_not_found',
  service_account: 'invalid_user',
  locked: 'user_temporarily_disabled',
  disabled: 'user_disabled',
  // Keycloak's OTP authenticators record a missing or wrong code as invalid_user_credentials.
  otp_required: 'invalid_user_credentials',
  not_set_up: 'resolve_required_actions',
};

/**
 * Checks a username (or email, when the realm allows it) and password. Unknown users cost one
 * argon2 computation too, so timing does not tell which part was wrong. Every failure counts in
 * `qsign_login_failures_total{realm, reason}`, reason being LOGIN_ERROR_EVENT's.
 * @throws StoreUnavailableError when the store is down (not counted).
 */
export async function checkPassword(
  rc: RealmContext,
  login: string,
  password: string,
  ip?: string,
): Promise<LoginResult> {
  const result = await verifyLogin(rc, login, password, ip);
  if (!result.ok) counterFor(loginFailures, rc.realm.name, LOGIN_ERROR_EVENT[result.reason]).inc();
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
  // A locked-out user is refused even with the right password; pages and grants answer it as
  // they answer a wrong password (Keycloak's).
  if (user && (await recordLoginAttempt(rc.db, rc.realm.rep, rc.realmId, user.id, { valid, ip })))
    return { ok: false, reason: 'locked' };
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
  // Keycloak's UserRepresentation.totp: the user has an OTP credential (realm import sets it from
  // the credentials). Without an OTP step, the password alone must not let them in.
  if (user.totp === true) return { ok: false, reason: 'otp_required' };
  if (user.requiredActions?.length) return { ok: false, reason: 'not_set_up' };
  return { ok: true, user };
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

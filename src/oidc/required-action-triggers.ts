/**
 * Keycloak's required-action triggers (RequiredActionProvider.evaluateTriggers, run by
 * AuthenticationManager.evaluateRequiredActionTriggers for every provider enabled in the realm,
 * from nextRequiredAction / actionRequired: after the browser login, after an SSO-cookie login,
 * and in the password grant). A trigger adds the action to the user for good (UserModel
 * .addRequiredAction), so it stays pending even if the realm setting is switched off later:
 * - VERIFY_EMAIL (VerifyEmail.evaluateTriggers): the realm's `verifyEmail` is on and the user's
 *   email is not verified;
 * - UPDATE_PASSWORD (UpdatePassword.evaluateTriggers): the password policy has
 *   `forceExpiredPasswordChange(days)` and the user's password was created more than `days` days
 *   ago (a password without a creation date counts as expired, as in Keycloak).
 */
import { parsePasswordPolicy } from '../realm/password-policy.ts';
import { realmRequiredActions } from '../realm/required-actions.ts';
import { newestPasswordCreated, updateUser, type StoredUser } from '../store/users.ts';
import type { RealmContext } from './realm-context.ts';

const DAY_MS = 86_400_000;

/** Whether UpdatePassword's trigger fires: the newest password is older than the policy's days. */
async function passwordExpired(rc: RealmContext, user: StoredUser, now: number): Promise<boolean> {
  const days = parsePasswordPolicy(rc.realm.rep.passwordPolicy as string | undefined).expireDays;
  if (days === -1) return false;
  const created = await newestPasswordCreated(rc.db, user.id);
  if (created === undefined) return false; // no password: nothing to expire (getPassword is null)
  return created === null || now - created > days * DAY_MS;
}

/**
 * Runs the triggers of the realm's enabled required actions on `user` and stores the actions
 * they add. @returns the user as stored afterwards (the same object when nothing was added).
 * @throws StoreUnavailableError when the store is down.
 */
export async function evaluateRequiredActionTriggers(
  rc: RealmContext,
  user: StoredUser,
  now = Date.now(),
): Promise<StoredUser> {
  const enabled = new Set(
    realmRequiredActions(rc.realm.rep)
      .filter((a) => a.enabled)
      .map((a) => a.alias),
  );
  const own = new Set(user.requiredActions ?? []);
  const added: string[] = [];
  const verifyEmail = (rc.realm.rep as { verifyEmail?: unknown }).verifyEmail === true;
  if (enabled.has('VERIFY_EMAIL') && verifyEmail && user.emailVerified !== true)
    added.push('VERIFY_EMAIL');
  if (enabled.has('UPDATE_PASSWORD') && (await passwordExpired(rc, user, now)))
    added.push('UPDATE_PASSWORD');
  const fresh = added.filter((a) => !own.has(a));
  if (!fresh.length) return user;
  const next = { ...user, requiredActions: [...(user.requiredActions ?? []), ...fresh] };
  await updateUser(rc.db, rc.realmId, next);
  return next;
}

/**
 * Setting a user's password under the realm's password policy, the one path every password
 * change takes (admin reset-password and user creation, registration, reset credentials, the
 * UPDATE_PASSWORD required action), as Keycloak's PasswordCredentialProvider.createCredential:
 * the policy is checked (with the user's stored hashes for `passwordHistory`), the password is
 * hashed as the policy says (`hashAlgorithm`, `hashIterations`), and the superseded password is
 * kept as history when the policy asks for it.
 */
import type { SqlClient } from '../store/sql.ts';
import { passwordHistory, replacePasswords } from '../store/users.ts';
import {
  checkPasswordPolicy,
  historyToKeep,
  parsePasswordPolicy,
  policyHashOptions,
  type PolicyMessage,
} from './password-policy.ts';
import { hashPassword, type StoredPassword } from '../model/password.ts';

/** A password that passed the policy, hashed and ready to store with `storePassword`. */
export interface PreparedPassword {
  ok: true;
  stored: StoredPassword;
  keepHistory: number;
}

/**
 * Checks `password` for a user (`id` undefined for a user not yet stored: no history) against the
 * realm's `passwordPolicy` and hashes it. About 40 ms of CPU (argon2), plus one verification per
 * remembered password under `passwordHistory`.
 * @returns the failing rules' messages (Keycloak shows the first), or the prepared hash
 */
export async function preparePassword(
  db: SqlClient,
  realmRep: object & { passwordPolicy?: unknown },
  user: { id?: string; username?: string; email?: string },
  password: string,
): Promise<PreparedPassword | { ok: false; messages: PolicyMessage[] }> {
  const policy = parsePasswordPolicy(
    typeof realmRep.passwordPolicy === 'string' ? realmRep.passwordPolicy : undefined,
  );
  const history = policy.history > 0 && user.id ? await passwordHistory(db, user.id) : [];
  const result = await checkPasswordPolicy(policy, {
    password,
    username: user.username,
    email: user.email,
    history,
  });
  if (!result.ok) return result;
  return {
    ok: true,
    stored: await hashPassword(password, policyHashOptions(policy)),
    keepHistory: historyToKeep(policy),
  };
}

/** Stores a prepared password as the user's only password (history as the policy keeps it). */
export async function storePassword(
  tx: SqlClient,
  userId: string,
  prepared: PreparedPassword,
): Promise<void> {
  await replacePasswords(tx, userId, prepared.stored, prepared.keepHistory);
}

/**
 * The realm's password policy as UPDATE_PASSWORD applies it: the Keycloak message of the first
 * rule a new password breaks (Keycloak's PasswordPolicyManagerProvider.validate), or undefined.
 *
 * Seam: the policy itself (parsing `passwordPolicy`, each rule and its messages_en text) is
 * src/realm/password-policy.ts, written for registration and reset-password; until that module
 * is merged this checks nothing, and the merge replaces the body of `passwordPolicyError` with a
 * call to it. Callers depend on this signature only.
 */
import type { RealmContext } from '../../oidc/realm-context.ts';
import type { StoredUser } from '../../store/users.ts';

export type PasswordPolicyCheck = (
  rc: RealmContext,
  user: StoredUser,
  password: string,
) => Promise<string | undefined>;

export const passwordPolicyError: PasswordPolicyCheck = async () => undefined;

/**
 * Finishing a required action on the user record: the alias leaves `requiredActions`, and the
 * action's changes (new profile fields, a terms-accepted attribute) are written with it, in the
 * caller's transaction when one is given.
 */
import { findUserById, updateUser, type StoredUser } from '../../store/users.ts';
import type { SqlClient } from '../../store/sql.ts';

/** @returns the user as stored after the change. */
export async function completeAction(
  db: SqlClient,
  realmId: string,
  user: StoredUser,
  alias: string,
  patch: Partial<StoredUser> = {},
): Promise<StoredUser> {
  const current = (await findUserById(db, realmId, user.id)) ?? user;
  const next: StoredUser = {
    ...current,
    ...patch,
    requiredActions: (current.requiredActions ?? []).filter((a) => a !== alias),
    id: current.id,
  };
  await updateUser(db, realmId, next);
  return next;
}

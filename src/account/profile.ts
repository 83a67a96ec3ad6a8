/**
 * `GET /realms/{realm}/account/` and `POST /realms/{realm}/account/` (AccountRestService.account
 * and updateAccount, UserProfileContext.ACCOUNT):
 * - GET (role manage-account or view-profile): the account UserRepresentation `{id, username,
 *   firstName, lastName, email, emailVerified, userProfileMetadata, attributes?}`;
 *   `userProfileMetadata` is left out only for `?userProfileMetadata=false`; `attributes` holds
 *   the non-root attributes the user may see, and is absent when there are none.
 * - POST (role manage-account): the same shape; root fields and `attributes` are checked against
 *   the realm's user profile (realm/user-profile.ts). 204 on success; 400 with Keycloak's
 *   `{"errors": [{field, errorMessage, params}]}` on a validation error, 409 for a username or
 *   email another user has (usernameExistsMessage / emailExistsMessage). A changed email resets
 *   `emailVerified`; with `registrationEmailAsUsername` the username follows the email. Records
 *   UPDATE_PROFILE.
 */
import type { Context } from 'koa';
import type { RealmRepresentation } from '../model/representation.ts';
import {
  accountProfileMetadata,
  realmUpConfig,
  ROOT_ATTRIBUTES,
  validateAccountUpdate,
  visibleAttributes,
  type AttributeValues,
  type ProfileError,
  type ProfileRealm,
} from '../realm/user-profile.ts';
import {
  emailTakenByOther,
  findUserByUsername,
  updateUser,
  type StoredUser,
} from '../store/users.ts';
import { requireOneOf, type AccountCaller } from './auth.ts';
import { AccountError, cannotParse, validationErrors } from './errors.ts';

const profileRealm = (rep: RealmRepresentation) => rep as unknown as ProfileRealm;

/** The user's values of every attribute: root fields as one-value lists, then `attributes`. */
function currentValues(user: StoredUser): AttributeValues {
  const values: AttributeValues = {};
  for (const [key, list] of Object.entries(user.attributes ?? {}))
    values[key] = ([] as unknown[]).concat(list).map(String);
  for (const key of ROOT_ATTRIBUTES) {
    const v = user[key];
    values[key] = typeof v === 'string' && v !== '' ? [v] : [];
  }
  return values;
}

/** The account UserRepresentation of the caller. */
export function accountRepresentation(caller: AccountCaller, withMetadata: boolean) {
  const { user } = caller;
  const rep = profileRealm(caller.runtime.rc.realm.rep);
  const config = realmUpConfig(rep);
  const values = currentValues(user);
  const attributes: AttributeValues = {};
  for (const a of visibleAttributes(config, rep))
    if (!(ROOT_ATTRIBUTES as readonly string[]).includes(a.name) && values[a.name]?.length)
      attributes[a.name] = values[a.name];
  if (config.unmanagedAttributePolicy === 'ENABLED') {
    const managed = new Set(config.attributes.map((a) => a.name));
    for (const [key, list] of Object.entries(values))
      if (!managed.has(key) && !(ROOT_ATTRIBUTES as readonly string[]).includes(key))
        attributes[key] = list;
  }
  return {
    id: user.id,
    username: user.username,
    firstName: user.firstName,
    lastName: user.lastName,
    email: user.email,
    emailVerified: user.emailVerified ?? false,
    ...(withMetadata ? { userProfileMetadata: accountProfileMetadata(config, rep) } : {}),
    ...(Object.keys(attributes).length ? { attributes } : {}),
  };
}

export function getAccount(ctx: Context, caller: AccountCaller): void {
  requireOneOf(caller, 'manage-account', 'view-profile');
  ctx.body = accountRepresentation(caller, ctx.query.userProfileMetadata !== 'false');
}

/** The submitted values (root fields, then `attributes`), as Jackson would read them. @throws AccountError 400 */
function submittedValues(body: unknown): AttributeValues {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw cannotParse();
  const rep = body as Record<string, unknown>;
  const values: AttributeValues = {};
  const list = (v: unknown): string[] => {
    if (v === null) return [];
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    throw cannotParse();
  };
  const attributes = rep.attributes ?? {};
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes))
    throw cannotParse();
  for (const [key, v] of Object.entries(attributes)) values[key] = list(v);
  for (const key of ROOT_ATTRIBUTES) {
    if (rep[key] === undefined) continue;
    if (rep[key] !== null && typeof rep[key] !== 'string') throw cannotParse();
    values[key] = list(rep[key]);
  }
  return values;
}

/** The user after the update, and the errors a store lookup finds (duplicates). */
async function applyValues(
  caller: AccountCaller,
  values: AttributeValues,
): Promise<{ next: StoredUser; conflicts: ProfileError[] }> {
  const { user, runtime } = caller;
  const { db, realmId, realm } = runtime.rc;
  const rep = profileRealm(realm.rep);
  const first = (key: string) =>
    key in values ? values[key][0] || undefined : user[key as 'email'];
  const email = first('email')?.toLowerCase();
  let username = (first('username') ?? user.username).toLowerCase();
  if (rep.registrationEmailAsUsername && email) username = email;
  const attributes = { ...(user.attributes ?? {}) };
  for (const [key, list] of Object.entries(values))
    if (!(ROOT_ATTRIBUTES as readonly string[]).includes(key)) {
      if (list.length) attributes[key] = list;
      else delete attributes[key];
    }
  const next: StoredUser = {
    ...user,
    username,
    email,
    firstName: first('firstName'),
    lastName: first('lastName'),
    emailVerified: email === user.email?.toLowerCase() ? user.emailVerified : false,
    attributes,
  };
  const conflicts: ProfileError[] = [];
  if (username !== user.username && (await findUserByUsername(db, realmId, username)))
    conflicts.push({ field: 'username', errorMessage: 'usernameExistsMessage', params: [] });
  const duplicatesAllowed = (realm.rep as { duplicateEmailsAllowed?: boolean })
    .duplicateEmailsAllowed;
  if (
    email &&
    email !== user.email?.toLowerCase() &&
    !duplicatesAllowed &&
    (await emailTakenByOther(db, realmId, email, user.id))
  )
    conflicts.push({ field: 'email', errorMessage: 'emailExistsMessage', params: [] });
  return { next, conflicts };
}

export async function updateAccount(ctx: Context, caller: AccountCaller): Promise<void> {
  requireOneOf(caller, 'manage-account');
  const { runtime, user } = caller;
  const rep = profileRealm(runtime.rc.realm.rep);
  const input = submittedValues((ctx.request as unknown as { body?: unknown }).body);
  const { errors, values } = validateAccountUpdate(
    realmUpConfig(rep),
    rep,
    currentValues(user),
    input,
  );
  if (errors.length) throw validationErrors(errors);
  const { next, conflicts } = await applyValues(caller, values);
  if (conflicts.length) {
    const err = validationErrors(conflicts);
    throw new AccountError(409, err.body);
  }
  try {
    await updateUser(runtime.rc.db, runtime.rc.realmId, next);
  } catch (err) {
    // A username taken by a concurrent request (the unique constraint).
    if ((err as { code?: string }).code === '23505')
      throw new AccountError(
        409,
        validationErrors([{ field: 'username', errorMessage: 'usernameExistsMessage', params: [] }])
          .body,
      );
    throw err;
  }
  runtime.rc.loginEvent('UPDATE_PROFILE', {
    clientId: caller.clientId,
    userId: user.id,
    ipAddress: ctx.ip,
    details: { context: 'ACCOUNT' },
  });
  ctx.status = 204;
  ctx.body = null;
}

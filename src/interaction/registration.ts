/**
 * Self-registration when the realm has `registrationAllowed` (Keycloak's registration flow:
 * RegistrationUserCreation, RegistrationPassword; page register.ftl): `GET|POST
 * /realms/{realm}/login-actions/{uid}/registration`, and Keycloak's registrations endpoint
 * `/realms/{realm}/protocol/openid-connect/registrations` (keycloak-js `register()`), which starts
 * an authorization request whose login interaction opens on this page.
 *
 * Fields: firstName, lastName, email, username (not with `registrationEmailAsUsername`: the email
 * is the username), password, password-confirm, checked with Keycloak's messages (default user
 * profile: names and email required, username 3-255 characters), the password under the realm's
 * policy, duplicates ("Username already exists.", "Email already exists." unless
 * `duplicateEmailsAllowed`). The user, their password and default roles / groups / required
 * actions are written in one transaction; then the login interaction finishes with that user.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import { z } from 'zod';
import type { RealmContext } from '../oidc/realm-context.ts';
import { findUserByUsername, insertUser, searchUsers, type StoredUser } from '../store/users.ts';
import type { SqlClient } from '../store/sql.ts';
import { withDefaultActions } from '../realm/required-actions.ts';
import { userSchema } from '../model/representation.ts';
import { withDefaultRole } from '../realm/defaults.ts';
import { preparePassword } from '../realm/password-update.ts';
import { realmDisplayName, renderStandaloneError, sendPage } from '../pages.ts';
import { browserInteraction, interactionBase, MAX_FIELD, readForm } from './forms.ts';
import { advance } from './steps/flow.ts';
import { saveState, type LoginState } from './steps/state.ts';
import type { StepContext } from './steps/types.ts';

const MESSAGES = {
  missingFirstName: 'Please specify first name.',
  missingLastName: 'Please specify last name.',
  missingEmail: 'Please specify email.',
  missingUsername: 'Please specify username.',
  missingPassword: 'Please specify password.',
  invalidEmail: 'Invalid email address.',
  invalidLength: 'Length must be between 3 and 255.',
  invalidCharacter: 'Value contains invalid character.',
  passwordConfirm: "Password confirmation doesn't match.",
  usernameExists: 'Username already exists.',
  emailExists: 'Email already exists.',
  notAllowed: 'Registration not allowed',
} as const;

type Form = Record<string, string>;
type Errors = Record<string, string>;

// Keycloak's default user profile validators: person-name-prohibited-characters,
// username-prohibited-characters.
const PERSON_NAME_FORBIDDEN = /[<>&"$%!#?§;*~/\\|^=[\]{}()\u0000-\u001f]/u;
const USERNAME_FORBIDDEN = /[<>&"'\s$%!#?§,;:*~/\\|^=[\]{}()`\u0000-\u001f]/u;
const email = z.email().max(254);

const emailAsUsername = (rc: RealmContext) => Boolean(rc.realm.rep.registrationEmailAsUsername);

/** The fields register.ftl shows, in its order. */
function fields(rc: RealmContext, form: Form, errors: Errors) {
  const list = [
    { name: 'firstName', label: 'First name', type: 'text', autocomplete: 'given-name' },
    { name: 'lastName', label: 'Last name', type: 'text', autocomplete: 'family-name' },
    { name: 'email', label: 'Email', type: 'email', autocomplete: 'email' },
    ...(emailAsUsername(rc)
      ? []
      : [{ name: 'username', label: 'Username', type: 'text', autocomplete: 'username' }]),
    { name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password' },
    {
      name: 'password-confirm',
      label: 'Confirm password',
      type: 'password',
      autocomplete: 'new-password',
    },
  ];
  return list.map((f) => ({
    ...f,
    value: f.type === 'password' ? '' : (form[f.name] ?? ''),
    error: errors[f.name],
  }));
}

function page(ctx: Context, rc: RealmContext, uid: string, form: Form = {}, errors: Errors = {}) {
  const base = interactionBase(rc, uid);
  sendPage(
    ctx,
    'register',
    {
      realmDisplayName: realmDisplayName(rc),
      action: `${base}/registration`,
      backToLogin: base,
      fields: fields(rc, form, errors),
    },
    Object.keys(errors).length ? 400 : 200,
  );
}

/** RegistrationUserCreation.validate / RegistrationPassword.validate (no store access). */
function validate(rc: RealmContext, form: Form): Errors {
  const errors: Errors = {};
  const text = (name: string, missing: string, forbidden: RegExp) => {
    const value = form[name].trim();
    if (!value) errors[name] = missing;
    else if (value.length > MAX_FIELD) errors[name] = MESSAGES.invalidLength;
    else if (forbidden.test(value)) errors[name] = MESSAGES.invalidCharacter;
  };
  text('firstName', MESSAGES.missingFirstName, PERSON_NAME_FORBIDDEN);
  text('lastName', MESSAGES.missingLastName, PERSON_NAME_FORBIDDEN);
  if (!form.email.trim()) errors.email = MESSAGES.missingEmail;
  else if (!email.safeParse(form.email.trim()).success) errors.email = MESSAGES.invalidEmail;
  if (!emailAsUsername(rc)) {
    const username = form.username.trim();
    if (!username) errors.username = MESSAGES.missingUsername;
    else if (username.length < 3 || username.length > MAX_FIELD)
      errors.username = MESSAGES.invalidLength;
    else if (USERNAME_FORBIDDEN.test(username)) errors.username = MESSAGES.invalidCharacter;
  }
  if (!form.password) errors.password = MESSAGES.missingPassword;
  else if (form.password.length > MAX_FIELD) errors.password = MESSAGES.invalidLength;
  else if (form.password !== form['password-confirm'])
    errors['password-confirm'] = MESSAGES.passwordConfirm;
  return errors;
}

/** Duplicate username / email (RegistrationUserCreation: usernameExists, emailExists). */
async function duplicates(db: SqlClient, rc: RealmContext, username: string, address: string) {
  const errors: Errors = {};
  const field = emailAsUsername(rc) ? 'email' : 'username';
  if (await findUserByUsername(db, rc.realmId, username))
    errors[field] = emailAsUsername(rc) ? MESSAGES.emailExists : MESSAGES.usernameExists;
  const duplicateEmails = (rc.realm.rep as { duplicateEmailsAllowed?: unknown })
    .duplicateEmailsAllowed;
  if (!errors.email && duplicateEmails !== true) {
    const same = await searchUsers(db, rc.realmId, { email: address, exact: true, max: 1 });
    if (same.length) errors.email = MESSAGES.emailExists;
  }
  return errors;
}

/** The new user: Keycloak's defaults (default role, default groups, default required actions). */
function newUser(rc: RealmContext, form: Form): StoredUser {
  const rep = rc.realm.rep as typeof rc.realm.rep & { defaultGroups?: unknown };
  const address = form.email.trim();
  const groups = (Array.isArray(rep.defaultGroups) ? rep.defaultGroups : []).filter(
    (g): g is string => typeof g === 'string' && rc.realm.group(g) !== undefined,
  );
  // JpaUserProvider.addUser(addDefaultRequiredActions): the realm's enabled default actions (an
  // entry without `enabled` is disabled: RequiredActionProviderRepresentation's boolean).
  const actions = withDefaultActions(rc.realm.rep, []);
  const parsed = userSchema.parse({
    username: emailAsUsername(rc) ? address : form.username.trim(),
    email: address,
    firstName: form.firstName.trim(),
    lastName: form.lastName.trim(),
    enabled: true,
    emailVerified: false,
    groups,
    requiredActions: actions,
  });
  return {
    ...parsed,
    realmRoles: withDefaultRole(rc.realm.rep, parsed.realmRoles),
    credentials: [],
    id: randomUUID(),
    createdTimestamp: Date.now(),
  };
}

const UNIQUE_VIOLATION = '23505';

/**
 * Validates and creates the user in one transaction.
 * @returns the user, or the field errors to show
 */
async function register(rc: RealmContext, form: Form): Promise<StoredUser | Errors> {
  const errors = validate(rc, form);
  if (Object.keys(errors).length) return errors;
  const user = newUser(rc, form);
  const prepared = await preparePassword(rc.db, rc.realm.rep, user, form.password);
  if (!prepared.ok) return { password: prepared.messages[0].text };
  try {
    return await rc.db.transaction(async (tx) => {
      const dup = await duplicates(tx, rc, user.username, user.email!);
      if (Object.keys(dup).length) return dup;
      await insertUser(tx, rc.realmId, user, [prepared.stored]);
      return user;
    });
  } catch (err) {
    // Another registration took the username between the check and the insert.
    if ((err as { code?: string }).code === UNIQUE_VIOLATION)
      return { [emailAsUsername(rc) ? 'email' : 'username']: MESSAGES.usernameExists };
    throw err;
  }
}

/** Handles `GET` and `POST {uid}/registration`. */
export async function handleRegistration(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
  uid: string,
): Promise<void> {
  if (!rc.realm.rep.registrationAllowed) {
    renderStandaloneError(ctx, MESSAGES.notAllowed, 400, realmDisplayName(rc));
    return;
  }
  const details = await browserInteraction(ctx, rc, provider, uid);
  if (!details) return;
  if (ctx.method === 'GET') return page(ctx, rc, uid);
  if (ctx.method !== 'POST') {
    ctx.status = 405;
    return;
  }
  const raw = await readForm(ctx);
  const form: Form = {};
  for (const name of ['firstName', 'lastName', 'email', 'username', 'password', 'password-confirm'])
    form[name] = raw[name] ?? '';
  const clientId = String(details.params.client_id ?? '');
  const result = await register(rc, form);
  if (!('id' in result) || typeof result.id !== 'string') {
    rc.loginEvent('REGISTER_ERROR', {
      clientId,
      ipAddress: ctx.ip,
      error: 'invalid_registration',
      details: { username: form.username || form.email },
    });
    return page(ctx, rc, uid, form, result as Errors);
  }
  const user = result as StoredUser;
  rc.loginEvent('REGISTER', {
    clientId,
    userId: user.id,
    ipAddress: ctx.ip,
    details: { username: user.username, email: user.email ?? '', register_method: 'form' },
  });
  await finishRegistration(
    { ctx, rc, provider, interaction: details, base: interactionBase(rc, uid), clientId },
    user,
  );
}

/**
 * Goes on with the login as the new user, as Keycloak's registration flow ends in the browser
 * flow's required actions (VERIFY_EMAIL when the realm sets `verifyEmail`, the realm's default
 * actions given in newUser) before the login completes (steps/flow.ts).
 */
export async function finishRegistration(sc: StepContext, user: StoredUser): Promise<void> {
  const state: LoginState = {
    userId: user.id,
    stage: 'actions',
    amr: ['pwd'],
    authTime: Math.floor(Date.now() / 1000),
  };
  await saveState(sc.interaction, state);
  await advance({ ...sc, user, state });
}

/**
 * The registrations endpoint (Keycloak AuthorizationEndpoint.register): the authorization request
 * as the auth endpoint answers it, with the login interaction's address turned into its
 * registration page. Refused with Keycloak's page when the realm does not allow registration.
 * @param authorize runs the request through oidc-provider's authorization endpoint
 */
export async function handleRegistrationsEndpoint(
  ctx: Context,
  rc: RealmContext,
  authorize: () => Promise<void>,
): Promise<void> {
  if (!rc.realm.rep.registrationAllowed) {
    renderStandaloneError(ctx, MESSAGES.notAllowed, 400, realmDisplayName(rc));
    return;
  }
  await authorize();
  const location = ctx.response.get('Location');
  const base = `${interactionBase(rc, '')}`;
  if (ctx.status >= 300 && ctx.status < 400 && location.startsWith(base)) {
    const uid = location.slice(base.length);
    if (/^[\w-]+$/.test(uid)) ctx.set('Location', `${base}${uid}/registration`);
  }
}

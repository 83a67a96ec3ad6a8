/**
 * UPDATE_PROFILE (and VERIFY_PROFILE, same page): Keycloak's login-update-profile.ftl with the
 * default user profile's attributes: `username` (editable when the realm's
 * `editUsernameAllowed`), `email`, `firstName`, `lastName`, all required. Messages from
 * messages_en: missingEmailMessage, invalidEmailMessage, missingFirstNameMessage,
 * missingLastNameMessage, emailExistsMessage (unless `duplicateEmailsAllowed`),
 * usernameExistsMessage, error-invalid-length-too-long (255, Keycloak's default length
 * validator). A changed email is no longer verified (Keycloak's UpdateProfile). UPDATE_PROFILE event.
 */
import { findUserByUsername, searchUsers } from '../../store/users.ts';
import { completeAction } from './complete.ts';
import { stepPage, type Form, type RequiredActionStep, type UserStepContext } from './types.ts';

const MAX = 255;
// Keycloak's Validation.isEmailValid: something@something, no spaces.
const EMAIL = /^[^\s@]+@[^\s@]+$/;

type Fields = { username: string; email: string; firstName: string; lastName: string };

async function problem(sc: UserStepContext, f: Fields): Promise<string | undefined> {
  for (const [value, missing] of [
    [f.email, 'Please specify email.'],
    [f.firstName, 'Please specify first name.'],
    [f.lastName, 'Please specify last name.'],
    [f.username, 'Please specify username.'],
  ] as const) {
    if (!value) return missing;
    if (value.length > MAX) return `Maximal length is ${MAX}.`;
  }
  if (!EMAIL.test(f.email)) return 'Invalid email address.';
  const { db, realmId, realm } = sc.rc;
  if (f.username !== sc.user.username && (await findUserByUsername(db, realmId, f.username)))
    return 'Username already exists.';
  if (
    realm.rep.duplicateEmailsAllowed !== true &&
    f.email.toLowerCase() !== (sc.user.email ?? '').toLowerCase() &&
    (await searchUsers(db, realmId, { email: f.email, exact: true, max: 2 })).some(
      (u) => u.id !== sc.user.id,
    )
  )
    return 'Email already exists.';
  return undefined;
}

function profileStep(alias: 'UPDATE_PROFILE' | 'VERIFY_PROFILE'): RequiredActionStep {
  const step: RequiredActionStep = {
    alias,
    async show(sc: UserStepContext, error?: string, values?: Form) {
      stepPage(
        sc,
        'login-update-profile',
        {
          action: `${sc.base}/required-action/${alias}`,
          info: 'You need to update your user profile to activate your account.',
          editUsername: sc.rc.realm.rep.editUsernameAllowed === true,
          username: values?.username ?? sc.user.username,
          email: values?.email ?? sc.user.email ?? '',
          firstName: values?.firstName ?? sc.user.firstName ?? '',
          lastName: values?.lastName ?? sc.user.lastName ?? '',
          error,
        },
        error ? 400 : 200,
      );
    },
    async submit(sc, form: Form) {
      const fields: Fields = {
        username:
          sc.rc.realm.rep.editUsernameAllowed === true
            ? (form.username ?? '').trim().toLowerCase()
            : sc.user.username,
        email: (form.email ?? '').trim(),
        firstName: (form.firstName ?? '').trim(),
        lastName: (form.lastName ?? '').trim(),
      };
      const error = await problem(sc, fields);
      if (error) {
        await step.show(sc, error, fields);
        return 'shown';
      }
      const emailChanged = fields.email.toLowerCase() !== (sc.user.email ?? '').toLowerCase();
      sc.user = await completeAction(sc.rc.db, sc.rc.realmId, sc.user, alias, {
        ...fields,
        ...(emailChanged ? { emailVerified: false } : {}),
      });
      sc.rc.loginEvent('UPDATE_PROFILE', {
        clientId: sc.clientId,
        userId: sc.user.id,
        ipAddress: sc.ctx.ip,
        details: { auth_method: 'openid-connect', username: sc.user.username },
      });
      return 'done';
    },
  };
  return step;
}

export const updateProfile = profileStep('UPDATE_PROFILE');
export const verifyProfile = profileStep('VERIFY_PROFILE');

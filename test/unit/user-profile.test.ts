/**
 * The declarative user profile of the ACCOUNT context (realm/user-profile.ts) against Keycloak's
 * sources: the default config (keycloak-default-user-profile.json), LengthValidator's message
 * selection (min only: too-short; max only: too-long; both: error-invalid-length; params
 * [attribute, min, max]), blank values skipped by AbstractStringValidator,
 * UsernameMutationValidator (readOnlyUsernameMessage), ReadOnlyAttributeUnchangedValidator
 * (updateReadOnlyAttributesRejectedMessage), and the realm's `kc.user.profile.config` component.
 */
import { describe, expect, it } from 'vitest';
import {
  accountProfileMetadata,
  DEFAULT_UP_CONFIG,
  realmUpConfig,
  upConfigSchema,
  validateAccountUpdate,
} from '../../src/realm/user-profile.ts';

const current = {
  username: ['alice'],
  email: ['alice@example.com'],
  firstName: ['Alice'],
  lastName: ['L'],
};
const check = (input: Record<string, string[]>, realm = {}, config = DEFAULT_UP_CONFIG) =>
  validateAccountUpdate(config, realm, current, { ...current, ...input });

describe('user profile (ACCOUNT context)', () => {
  it('has Keycloak 26 default attributes and group', () => {
    expect(DEFAULT_UP_CONFIG.attributes.map((a) => a.name)).toEqual([
      'username',
      'email',
      'firstName',
      'lastName',
    ]);
    expect(DEFAULT_UP_CONFIG.attributes[0].validations).toEqual({
      length: { min: 3, max: 255 },
      'username-prohibited-characters': {},
      'up-username-not-idn-homograph': {},
    });
    expect(DEFAULT_UP_CONFIG.groups[0].name).toBe('user-metadata');
  });

  it('makes username editable only with editUsernameAllowed, hides it with registrationEmailAsUsername', () => {
    const names = (realm: object) =>
      accountProfileMetadata(DEFAULT_UP_CONFIG, realm).attributes.map((a) => [a.name, a.readOnly]);
    expect(names({})[0]).toEqual(['username', true]);
    expect(names({ editUsernameAllowed: true })[0]).toEqual(['username', false]);
    expect(names({ registrationEmailAsUsername: true }).map(([n]) => n)).not.toContain('username');
    expect(check({ username: ['alice2'] }, { editUsernameAllowed: true }).errors).toEqual([]);
    expect(check({ username: ['ALICE'] }).errors).toEqual([]);
    expect(check({ username: ['bob'] }).errors).toEqual([
      { field: 'username', errorMessage: 'readOnlyUsernameMessage', params: ['${username}'] },
    ]);
  });

  it('selects LengthValidator messages as Keycloak and skips blank values', () => {
    const config = upConfigSchema.parse({
      attributes: [
        { name: 'a', validations: { length: { min: 2 } }, permissions: { edit: ['user'] } },
        { name: 'b', validations: { length: { max: 2 } }, permissions: { edit: ['user'] } },
        { name: 'c', validations: { length: { min: 2, max: 3 } }, permissions: { edit: ['user'] } },
      ],
    });
    const run = (input: Record<string, string[]>) =>
      validateAccountUpdate(config, {}, {}, input).errors.map((e) => [e.errorMessage, e.params]);
    expect(run({ a: ['x'], b: ['xyz'], c: ['abcd'] })).toEqual([
      ['error-invalid-length-too-short', ['a', '2', null]],
      ['error-invalid-length-too-long', ['b', null, '2']],
      ['error-invalid-length', ['c', '2', '3']],
    ]);
    // Trimmed before counting; a blank value is not validated (and a, b, c are not required).
    expect(run({ a: [' x '], b: ['  '], c: [] })).toEqual([
      ['error-invalid-length-too-short', ['a', '2', null]],
    ]);
  });

  it('refuses unmanaged and admin-only attributes changed by the user, accepts them left alone', () => {
    const config = upConfigSchema.parse({
      attributes: [
        ...DEFAULT_UP_CONFIG.attributes,
        { name: 'level', permissions: { view: ['admin'], edit: ['admin'] } },
        { name: 'phone', permissions: { view: ['user'], edit: ['user'] } },
      ],
    });
    const stored = { ...current, level: ['3'], legacy: ['x'] };
    const run = (input: Record<string, string[]>) =>
      validateAccountUpdate(config, {}, stored, { ...current, ...input });
    expect(run({ phone: ['123'] })).toEqual({
      errors: [],
      // The read-only username is not among the values to store.
      values: {
        email: current.email,
        firstName: current.firstName,
        lastName: current.lastName,
        phone: ['123'],
      },
    });
    expect(run({ level: ['9'] }).errors[0].errorMessage).toBe(
      'updateReadOnlyAttributesRejectedMessage',
    );
    expect(run({ legacy: ['y'] }).errors[0].field).toBe('legacy');
    expect(run({ level: ['3'], legacy: ['x'] }).errors).toEqual([]);
    const enabled = upConfigSchema.parse({ ...config, unmanagedAttributePolicy: 'ENABLED' });
    expect(
      validateAccountUpdate(enabled, {}, stored, { ...current, legacy: ['y'] }).values.legacy,
    ).toEqual(['y']);
  });

  it("reads the realm's kc.user.profile.config component, and falls back on a broken one", () => {
    const custom = { attributes: [{ name: 'email', permissions: { view: ['user'] } }] };
    const realm = (text: string) => ({
      components: {
        'org.keycloak.userprofile.UserProfileProvider': [
          { providerId: 'declarative-user-profile', config: { 'kc.user.profile.config': [text] } },
        ],
      },
    });
    expect(realmUpConfig(realm(JSON.stringify(custom))).attributes.map((a) => a.name)).toEqual([
      'email',
    ]);
    expect(realmUpConfig(realm('{not json'))).toBe(DEFAULT_UP_CONFIG);
    expect(realmUpConfig({})).toBe(DEFAULT_UP_CONFIG);
    const meta = accountProfileMetadata(realmUpConfig(realm(JSON.stringify(custom))), {});
    expect(meta.attributes).toEqual([
      expect.objectContaining({ name: 'email', readOnly: true, required: false }),
    ]);
  });
});

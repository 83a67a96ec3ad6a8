/**
 * The realm password policy against the cases of Keycloak's own PasswordPolicyTest
 * (testsuite: testLength, testMaximumLength, testDigits, testLowerCase, testUpperCase,
 * testSpecialChars, testNotUsername, testInvalidPolicyName, testRegexPatterns, testComplex) and
 * the English texts of themes/.../login/messages/messages_en.properties.
 */
import { describe, expect, it } from 'vitest';
import { pbkdf2Sync } from 'node:crypto';
import {
  checkPasswordPolicy,
  historyToKeep,
  parsePasswordPolicy,
  policyHashOptions,
} from '../../src/realm/password-policy.ts';
import { hashPassword, verifyPassword } from '../../src/model/password.ts';

/** Keycloak's policyManager.validate(username, password): the first error's key and params. */
async function validate(policy: string, username: string, password: string) {
  const result = await checkPasswordPolicy(policy, { username, password });
  return result.ok ? null : { key: result.messages[0].key, params: result.messages[0].params };
}

describe('password policy (Keycloak PasswordPolicyTest cases)', () => {
  it('length', async () => {
    expect(await validate('length', 'jdoe', '1234567')).toEqual({
      key: 'invalidPasswordMinLengthMessage',
      params: [8],
    });
    expect(await validate('length', 'jdoe', '12345678')).toBeNull();
    expect(await validate('length(4)', 'jdoe', '123')).toEqual({
      key: 'invalidPasswordMinLengthMessage',
      params: [4],
    });
    expect(await validate('length(4)', 'jdoe', '1234')).toBeNull();
  });

  it('maxLength (DEFAULT_MAX_LENGTH 64)', async () => {
    const p65 = '12345678901234567890123456789012345678901234567890123456789012345';
    expect(await validate('maxLength', 'jdoe', p65)).toEqual({
      key: 'invalidPasswordMaxLengthMessage',
      params: [64],
    });
    expect(await validate('maxLength', 'jdoe', p65.slice(0, 64))).toBeNull();
    expect(await validate('maxLength(24)', 'jdoe', '1234567890123456789012345')).toEqual({
      key: 'invalidPasswordMaxLengthMessage',
      params: [24],
    });
    expect(await validate('maxLength(24)', 'jdoe', '123456789012345678901234')).toBeNull();
  });

  it('digits, lowerCase, upperCase, specialChars', async () => {
    const cases: [string, string, string | null, number][] = [
      ['digits', 'abcd', 'invalidPasswordMinDigitsMessage', 1],
      ['digits', 'abcd1', null, 1],
      ['digits(2)', 'abcd1', 'invalidPasswordMinDigitsMessage', 2],
      ['digits(2)', 'abcd12', null, 2],
      ['lowerCase', 'ABCD1234', 'invalidPasswordMinLowerCaseCharsMessage', 1],
      ['lowerCase', 'ABcD1234', null, 1],
      ['lowerCase(2)', 'ABcD1234', 'invalidPasswordMinLowerCaseCharsMessage', 2],
      ['lowerCase(2)', 'aBcD1234', null, 2],
      ['upperCase', 'abcd1234', 'invalidPasswordMinUpperCaseCharsMessage', 1],
      ['upperCase', 'abCd1234', null, 1],
      ['upperCase(2)', 'abCd1234', 'invalidPasswordMinUpperCaseCharsMessage', 2],
      ['upperCase(2)', 'AbCd1234', null, 2],
      ['specialChars', 'abcd1234', 'invalidPasswordMinSpecialCharsMessage', 1],
      ['specialChars', 'ab&d1234', null, 1],
      ['specialChars(2)', 'ab&d1234', 'invalidPasswordMinSpecialCharsMessage', 2],
      ['specialChars(2)', 'ab&d-234', null, 2],
    ];
    for (const [policy, password, key, n] of cases) {
      expect(await validate(policy, 'jdoe', password), `${policy} ${password}`).toEqual(
        key ? { key, params: [n] } : null,
      );
    }
  });

  it('notUsername, notEmail', async () => {
    expect(await validate('notUsername', 'jdoe', 'jdoe')).toEqual({
      key: 'invalidPasswordNotUsernameMessage',
      params: [],
    });
    expect(await validate('notUsername', 'jdoe', 'ab&d1234')).toBeNull();
    // The admin console writes a policy without a value as `notUsername(undefined)`.
    expect(await validate('notUsername(undefined)', 'jdoe', 'jdoe')).not.toBeNull();
    const email = await checkPasswordPolicy('notEmail', {
      password: 'JDoe@Example.com',
      email: 'jdoe@example.com',
    });
    expect(email).toMatchObject({
      ok: false,
      messages: [{ key: 'invalidPasswordNotEmailMessage' }],
    });
  });

  it('regexPattern (whole match, several patterns, configuration errors)', async () => {
    expect(
      await validate('regexPattern(jdoe) and regexPattern(j*d)', 'jdoe', 'jdoe'),
    ).toMatchObject({
      key: 'invalidPasswordRegexPatternMessage',
    });
    expect(
      await validate(
        'regexPattern(j*p) and regexPattern(j*d) and regexPattern(adoe)',
        'jdoe',
        'jdoe',
      ),
    ).toMatchObject({ key: 'invalidPasswordRegexPatternMessage' });
    expect(
      await validate('regexPattern([a-z][a-z][a-z][a-z][0-9])', 'jdoe', 'jdoe'),
    ).not.toBeNull();
    expect(await validate('regexPattern(jdoe)', 'jdoe', 'jdoe')).toBeNull();
    expect(await validate('regexPattern([a-z][a-z][a-z][a-z][0-9])', 'jdoe', 'jdoe0')).toBeNull();
    const strict = (p: string) => () => parsePasswordPolicy(p, { strict: true });
    expect(strict('regexPattern')).toThrow('Invalid config for regexPattern: Config required');
    expect(strict('regexPattern(*)')).toThrow(
      'Invalid config for regexPattern: Not a valid regular expression',
    );
    // Java's backreference: RE2 cannot run it; a stored policy with it fails closed.
    expect(await validate('regexPattern((a)\\1)', 'jdoe', 'aa')).toMatchObject({
      key: 'invalidPasswordRegexPatternMessage',
    });
    expect(strict('regexPattern(*,**)')).toThrow(
      'Invalid config for regexPattern: Not a valid regular expression',
    );
  });

  it('an unknown policy is refused when strict, skipped otherwise', async () => {
    expect(() => parsePasswordPolicy('noSuchPolicy', { strict: true })).toThrow(
      'Password policy not found',
    );
    expect(() => parsePasswordPolicy('passwordBlacklist(x.txt)', { strict: true })).toThrow(
      /file on the server/,
    );
    expect(() => parsePasswordPolicy('length(x)', { strict: true })).toThrow(
      'Invalid config for length',
    );
    expect(await validate('noSuchPolicy and length(4)', 'jdoe', '123')).toMatchObject({
      key: 'invalidPasswordMinLengthMessage',
    });
  });

  it('complex', async () => {
    const policy =
      'length(8) and maxLength(32) and digits(2) and lowerCase(2) and upperCase(2) and specialChars(2) and notUsername()';
    for (const [user, password] of [
      ['jdoe', '12aaBB&'],
      ['jdoe', 'aaaaBB&-'],
      ['jdoe', '12AABB&-'],
      ['jdoe', '12aabb&-'],
      ['jdoe', '12aaBBcc'],
      ['12aaBB&-', '12aaBB&-'],
      ['jdoe', '12aaBB&-12aaBB&-12aaBB&-12aaBB&-1'],
    ])
      expect(await validate(policy, user, password), password).not.toBeNull();
    expect(await validate(policy, 'jdoe', '12aaBB&-')).toBeNull();
  });

  it('English texts with their parameters', async () => {
    const result = await checkPasswordPolicy(
      'length(8) and digits(1) and upperCase(1) and specialChars(1) and notUsername(undefined)',
      { username: 'alice', password: 'alice' },
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.messages.map((m) => m.text)).toEqual([
      'Invalid password: minimum length 8.',
      'Invalid password: must contain at least 1 numerical digits.',
      'Invalid password: must contain at least 1 upper case characters.',
      'Invalid password: must contain at least 1 special characters.',
      'Invalid password: must not be equal to the username.',
    ]);
  });
});

describe('passwordHistory and hashing settings', () => {
  it('refuses the current and the last n-1 passwords, not older ones', async () => {
    // Newest first: current, then history (HistoryPasswordPolicyProvider).
    const history = [
      await hashPassword('current-1'),
      await hashPassword('previous-2'),
      await hashPassword('previous-3'),
      await hashPassword('previous-4'),
    ];
    const check = (password: string) =>
      checkPasswordPolicy('passwordHistory(3)', { password, history });
    for (const reused of ['current-1', 'previous-2', 'previous-3'])
      expect(await check(reused)).toEqual({
        ok: false,
        messages: [
          {
            key: 'invalidPasswordHistoryMessage',
            params: [3],
            text: 'Invalid password: must not be equal to any of last 3 passwords.',
          },
        ],
      });
    expect(await check('previous-4')).toEqual({ ok: true });
    expect(historyToKeep(parsePasswordPolicy('passwordHistory(3)'))).toBe(2);
    expect(historyToKeep(parsePasswordPolicy('passwordHistory'))).toBe(2);
    expect(historyToKeep(parsePasswordPolicy('length(8)'))).toBe(0);
  });

  it('hashIterations / hashAlgorithm choose how new passwords are hashed', async () => {
    // Argon2PasswordHashProvider ignores iterations above 100 (a pbkdf2-era hashIterations(27500)).
    expect(policyHashOptions(parsePasswordPolicy('hashIterations(27500)'))).toEqual({
      algorithm: 'argon2',
      iterations: 5,
    });
    expect(policyHashOptions(parsePasswordPolicy('hashIterations(3)'))).toEqual({
      algorithm: 'argon2',
      iterations: 3,
    });
    // hashAlgorithm without a value: PasswordPolicy.HASH_ALGORITHM_DEFAULT (pbkdf2-sha512).
    expect(policyHashOptions(parsePasswordPolicy('hashAlgorithm'))).toEqual({
      algorithm: 'pbkdf2-sha512',
      iterations: 210_000,
    });
    const options = policyHashOptions(
      parsePasswordPolicy('hashAlgorithm(pbkdf2-sha256) and hashIterations(27500)'),
    );
    expect(options).toEqual({ algorithm: 'pbkdf2-sha256', iterations: 27500 });
    const stored = await hashPassword('s3cret', options);
    expect(stored.credentialData).toMatchObject({
      algorithm: 'pbkdf2-sha256',
      hashIterations: 27500,
    });
    // Independent derivation with node:crypto's pbkdf2 (Keycloak: 512-bit derived key).
    const expected = pbkdf2Sync(
      's3cret',
      Buffer.from(stored.secretData.salt, 'base64'),
      27500,
      64,
      'sha256',
    );
    expect(stored.secretData.value).toBe(expected.toString('base64'));
    expect(await verifyPassword('s3cret', stored)).toBe(true);
  });
});

/**
 * The maximum authentication age of an application-initiated action (realm/aia-max-auth-age.ts):
 * Keycloak's RequiredActionProvider.getMaxAuthAge(KeycloakSession) reads the required action's
 * config `max_auth_age`, else Constants.KC_ACTION_MAX_AGE (300); UpdatePassword.getMaxAuthAge
 * takes the password policy's `maxAuthAge` first; OIDCLoginProtocol.isReAuthRequiredForKcAction
 * re-authenticates when `authTime + maxAge < now`.
 */
import { describe, expect, it } from 'vitest';
import { aiaMaxAuthAge, aiaNeedsReauthentication } from '../../src/realm/aia-max-auth-age.ts';
import type { RealmDocument } from '../../src/realm/representation.ts';

const doc = (extra: Record<string, unknown> = {}) =>
  ({ id: 'r', realm: 'r', ...extra }) as RealmDocument;
const withConfig = (alias: string, config: Record<string, unknown>) =>
  doc({ requiredActions: [{ alias, providerId: alias, enabled: true, config }] });

describe('aiaMaxAuthAge', () => {
  it('defaults to Constants.KC_ACTION_MAX_AGE (300 s)', () => {
    expect(aiaMaxAuthAge(doc(), 'UPDATE_PASSWORD')).toBe(300);
    expect(aiaMaxAuthAge(doc(), 'CONFIGURE_TOTP')).toBe(300);
  });
  it("takes the required action's max_auth_age config", () => {
    expect(
      aiaMaxAuthAge(withConfig('CONFIGURE_TOTP', { max_auth_age: '60' }), 'CONFIGURE_TOTP'),
    ).toBe(60);
    expect(
      aiaMaxAuthAge(withConfig('UPDATE_PASSWORD', { max_auth_age: '0' }), 'UPDATE_PASSWORD'),
    ).toBe(0);
  });
  it('ignores a config that is not a whole number >= 0 (validateConfig refuses it)', () => {
    for (const bad of ['-1', 'abc', '', '1.5'])
      expect(
        aiaMaxAuthAge(withConfig('CONFIGURE_TOTP', { max_auth_age: bad }), 'CONFIGURE_TOTP'),
      ).toBe(300);
  });
  it("UPDATE_PASSWORD: the password policy's maxAuthAge comes first", () => {
    const d = {
      ...withConfig('UPDATE_PASSWORD', { max_auth_age: '60' }),
      passwordPolicy: 'length(8) and maxAuthAge(10)',
    };
    expect(aiaMaxAuthAge(d as RealmDocument, 'UPDATE_PASSWORD')).toBe(10);
    expect(
      aiaMaxAuthAge({ ...doc(), passwordPolicy: 'maxAuthAge' } as RealmDocument, 'UPDATE_PASSWORD'),
    ).toBe(300);
    expect(
      aiaMaxAuthAge(
        { ...doc(), passwordPolicy: 'maxAuthAge(10)' } as RealmDocument,
        'CONFIGURE_TOTP',
      ),
    ).toBe(300);
  });
});

describe('aiaNeedsReauthentication (authTime + maxAge < now)', () => {
  it('is strict at the boundary', () => {
    expect(aiaNeedsReauthentication(doc(), 'UPDATE_PASSWORD', 1000, 1300)).toBe(false);
    expect(aiaNeedsReauthentication(doc(), 'UPDATE_PASSWORD', 1000, 1301)).toBe(true);
    expect(aiaNeedsReauthentication(doc(), 'UPDATE_PASSWORD', 0, 1301)).toBe(true);
  });
});

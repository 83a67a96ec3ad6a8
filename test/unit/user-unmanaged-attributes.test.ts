/**
 * UserResource.getUnmanagedAttributes (Keycloak 26): the user's attributes the user profile does
 * not declare, without username and email and without all-blank values.
 */
import { describe, expect, it } from 'vitest';
import { unmanagedAttributes } from '../../src/admin/user-unmanaged-attributes.ts';

describe('unmanagedAttributes', () => {
  it('leaves out the attributes of the default user profile, username and email, and blank values', () => {
    expect(
      unmanagedAttributes(
        {
          firstName: ['A'],
          lastName: ['B'],
          username: ['u'],
          email: ['u@example.com'],
          extra: ['x', ''],
          blank: ['', ' '],
          single: 'y',
        },
        {},
      ),
    ).toEqual({ extra: ['x', ''], single: ['y'] });
  });

  it('treats an attribute the realm profile declares as managed', () => {
    const config = JSON.stringify({
      attributes: [{ name: 'username' }, { name: 'email' }, { name: 'department' }],
    });
    const realm = {
      components: {
        'org.keycloak.userprofile.UserProfileProvider': [
          {
            providerId: 'declarative-user-profile',
            config: { 'kc.user.profile.config': [config] },
          },
        ],
      },
    };
    expect(unmanagedAttributes({ department: ['r&d'], firstName: ['A'] }, realm)).toEqual({
      firstName: ['A'],
    });
  });

  it('answers {} for a user without attributes', () => {
    expect(unmanagedAttributes(undefined, {})).toEqual({});
  });
});

/**
 * realm/import-consents.ts: a user's `clientConsents` as Keycloak's UserConsentRepresentation
 * (clientId, grantedClientScopes, createdDate, lastUpdatedDate; RepresentationToModel
 * .createClientConsent), and the refusal of a consent naming a client the realm lacks.
 */
import { describe, expect, it } from 'vitest';
import { consentProblems, userConsents, withoutConsents } from '../../src/realm/import-consents.ts';
import type { RealmRepresentation } from '../../src/model/representation.ts';

describe('userConsents', () => {
  it('reads the entries, keeping their dates; a missing lastUpdatedDate is the createdDate', () => {
    const user = {
      username: 'u',
      clientConsents: [
        { clientId: 'a', grantedClientScopes: ['profile', 'email', 'email'], createdDate: 5 },
        { grantedClientScopes: ['x'] },
        'junk',
      ],
    };
    expect(userConsents(user, 99)).toEqual([
      { clientId: 'a', grantedScopes: ['email', 'profile'], createdDate: 5, lastUpdatedDate: 5 },
    ]);
    expect(userConsents({ clientConsents: [{ clientId: 'b' }] }, 99)).toEqual([
      { clientId: 'b', grantedScopes: [], createdDate: 99, lastUpdatedDate: 99 },
    ]);
  });

  it('withoutConsents drops the field only', () => {
    expect(withoutConsents({ username: 'u', clientConsents: [] })).toEqual({ username: 'u' });
  });
});

describe('consentProblems', () => {
  it("names each consent whose client the realm does not have, with Keycloak's message", () => {
    const rep = {
      clients: [{ clientId: 'web' }],
      users: [{ username: 'u', clientConsents: [{ clientId: 'web' }, { clientId: 'gone' }] }],
    } as unknown as RealmRepresentation;
    expect(consentProblems(rep)).toEqual([
      {
        path: 'users[0].clientConsents[1].clientId',
        reason: 'Unable to find client specified for consent mappings: gone',
      },
    ]);
  });
});

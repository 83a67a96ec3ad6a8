/**
 * The deletion guard's pure part (keys/removal-guard.ts): when a key becomes removable, which keys
 * a change removes, and which of them are not removable yet. Token lifetimes per alg follow
 * Keycloak's realm lifespans (keys/token-lifetime.ts; Keycloak's defaults: accessTokenLifespan
 * 300 s, ssoSessionMaxLifespan 36,000 s, offlineSessionIdleTimeout 2,592,000 s, RealmRepresentation).
 */
import { describe, expect, it } from 'vitest';
import {
  keysLeaving,
  removableAfter,
  unremovable,
  type GuardedKey,
} from '../../src/keys/removal-guard.ts';
import { tokenLifetime } from '../../src/keys/token-lifetime.ts';

const t = (iso: string) => new Date(iso);
const key = (over: Partial<GuardedKey>): GuardedKey => ({
  kid: 'k',
  alg: 'ML-DSA-65',
  status: 'PASSIVE',
  componentId: 'c',
  signedUntil: null,
  signedLifetime: null,
  ...over,
});

describe('removableAfter', () => {
  it('is null for a key that never signed', () => {
    expect(removableAfter({ signedUntil: null, signedLifetime: null }, 300)).toBeNull();
    expect(removableAfter({}, 300)).toBeNull();
  });
  it('is signedUntil plus the longer of the recorded and the current lifetime, rounded up to the second', () => {
    expect(
      removableAfter({ signedUntil: t('2026-01-01T00:00:00.000Z'), signedLifetime: 300 }, 60),
    ).toEqual(t('2026-01-01T00:05:00.000Z'));
    expect(
      removableAfter({ signedUntil: t('2026-01-01T00:00:00.000Z'), signedLifetime: 60 }, 300),
    ).toEqual(t('2026-01-01T00:05:00.000Z'));
    expect(
      removableAfter({ signedUntil: t('2026-01-01T00:00:00.250Z'), signedLifetime: 1 }, 0),
    ).toEqual(t('2026-01-01T00:00:02.000Z'));
  });
});

describe('keysLeaving and unremovable', () => {
  it('counts keys that verified before and are disabled or gone after', () => {
    const before = [
      key({ kid: 'a', status: 'ACTIVE' }),
      key({ kid: 'b' }),
      key({ kid: 'c', status: 'DISABLED' }),
      key({ kid: 'd' }),
    ];
    const after = [
      key({ kid: 'a', status: 'PASSIVE' }),
      key({ kid: 'b', status: 'DISABLED' }),
      key({ kid: 'c', status: 'DISABLED' }),
    ];
    expect(keysLeaving(before, after).map((k) => k.kid)).toEqual(['b', 'd']);
  });
  it('names the keys whose tokens are still valid, by the realm lifetime of their alg', () => {
    const now = t('2026-01-01T00:00:00Z').getTime();
    const signedUntil = t('2025-12-31T23:59:00Z');
    const leaving = [
      key({ kid: 'pq', signedUntil, signedLifetime: 0 }),
      key({ kid: 'hs', alg: 'HS512', signedUntil, signedLifetime: 0 }),
      key({ kid: 'never' }),
    ];
    // Keycloak's defaults: 36,000 s for a signing alg, 2,592,000 s (offline) for HS512: both still valid.
    expect(unremovable(leaving, {}, now).map((b) => [b.key.kid, b.at.toISOString()])).toEqual([
      ['pq', '2026-01-01T09:59:00.000Z'],
      ['hs', '2026-01-30T23:59:00.000Z'],
    ]);
    // Lifespans of 30 s: all expired.
    expect(
      unremovable(
        leaving,
        {
          accessTokenLifespan: 30,
          ssoSessionMaxLifespan: 30,
          ssoSessionIdleTimeout: 30,
          offlineSessionIdleTimeout: 30,
        },
        now,
      ),
    ).toEqual([]);
  });
  it('token lifetime per alg follows the realm lifespans', () => {
    expect(tokenLifetime({}, 'RS256')).toBe(36_000);
    expect(tokenLifetime({ accessTokenLifespan: 2, ssoSessionMaxLifespan: 2 }, 'ML-DSA-65')).toBe(
      2,
    );
    expect(tokenLifetime({ offlineSessionMaxLifespanEnabled: true }, 'HS512')).toBe(5_184_000);
  });
});

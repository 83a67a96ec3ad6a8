/**
 * Keycloak 26's session expiry rules (server-spi-private SessionExpirationUtils and
 * RealmExpiration), case by case, with the values Keycloak's formulas give.
 */
import { describe, expect, it } from 'vitest';
import {
  clientSessionIdleTimestamp,
  clientSessionMaxTimestamp,
  refreshTokenSeconds,
  userSessionIdleTimestamp,
  userSessionMaxTimestamp,
  userSessionSeconds,
  type LifetimeSettings,
} from '../../src/oidc/session-lifetimes.ts';
import type { ClientRepresentation } from '../../src/model/representation.ts';

const realm: LifetimeSettings = {
  ssoSessionIdleTimeout: 1800,
  ssoSessionMaxLifespan: 36000,
  offlineSessionIdleTimeout: 2592000,
  clientSessionIdleTimeout: 0,
  clientSessionMaxLifespan: 0,
};
const online = { offline: false, rememberMe: false };
const remembered = { offline: false, rememberMe: true };
const offline = { offline: true, rememberMe: false };
const client = (attributes: Record<string, string>) =>
  ({ clientId: 'c', attributes }) as unknown as ClientRepresentation;

describe('user sessions (RealmExpiration)', () => {
  it('regular: created + ssoSessionMaxLifespan, lastRefresh + ssoSessionIdleTimeout', () => {
    expect(userSessionMaxTimestamp(realm, online, 1000)).toBe(37000);
    expect(userSessionIdleTimestamp(realm, online, 1000)).toBe(2800);
  });
  it('remember me takes the larger of the regular and RememberMe settings', () => {
    const r = {
      ...realm,
      ssoSessionIdleTimeoutRememberMe: 60,
      ssoSessionMaxLifespanRememberMe: 90000,
    };
    expect(userSessionIdleTimestamp(r, remembered, 0)).toBe(1800);
    expect(userSessionMaxTimestamp(r, remembered, 0)).toBe(90000);
    expect(userSessionMaxTimestamp(r, online, 0)).toBe(36000);
  });
  it('zero settings fall back to Keycloak Constants defaults', () => {
    const r = { ...realm, ssoSessionIdleTimeout: 0, ssoSessionMaxLifespan: 0 };
    expect(userSessionIdleTimestamp(r, online, 0)).toBe(1800);
    expect(userSessionMaxTimestamp(r, online, 0)).toBe(36000);
  });
  it('offline: no max unless offlineSessionMaxLifespanEnabled', () => {
    expect(userSessionMaxTimestamp(realm, offline, 0)).toBe(-1);
    const r = { ...realm, offlineSessionMaxLifespanEnabled: true, offlineSessionMaxLifespan: 100 };
    expect(userSessionMaxTimestamp(r, offline, 5)).toBe(105);
    expect(userSessionIdleTimestamp(r, offline, 5)).toBe(2592005);
  });
  it('userSessionSeconds is the earlier of idle and max, from now', () => {
    const r = { ...realm, ssoSessionIdleTimeout: 3, ssoSessionMaxLifespan: 5 };
    expect(userSessionSeconds(r, false, { now: 100, loginTime: 100 })).toBe(3);
    expect(userSessionSeconds(r, false, { now: 103, loginTime: 100 })).toBe(2);
  });
});

describe('client sessions and refresh tokens (TokenManager)', () => {
  it('the realm client-session settings override, never beyond the user session max', () => {
    const r = { ...realm, clientSessionIdleTimeout: 600, clientSessionMaxLifespan: 50000 };
    expect(clientSessionIdleTimestamp(r, undefined, online, 0)).toBe(600);
    expect(clientSessionMaxTimestamp(r, undefined, online, 100, 0)).toBe(36000);
  });
  it('client attributes override the realm', () => {
    const c = client({ 'client.session.idle.timeout': '30', 'client.session.max.lifespan': '60' });
    expect(clientSessionIdleTimestamp(realm, c, online, 10)).toBe(40);
    expect(clientSessionMaxTimestamp(realm, c, online, 10, 0)).toBe(70);
  });
  it('offline client sessions: clientOfflineSessionIdleTimeout and max only when enabled', () => {
    const r = { ...realm, clientOfflineSessionIdleTimeout: 100 };
    expect(clientSessionIdleTimestamp(r, undefined, offline, 0)).toBe(100);
    expect(clientSessionMaxTimestamp(r, undefined, offline, 0, 0)).toBe(-1);
    const enabled = {
      ...r,
      offlineSessionMaxLifespanEnabled: true,
      offlineSessionMaxLifespan: 500,
    };
    expect(clientSessionMaxTimestamp(enabled, undefined, offline, 10, 0)).toBe(500);
  });
  it('refresh token lifetime: min(idle, max) from now, and at least 1 s', () => {
    const r = { ...realm, ssoSessionIdleTimeout: 3, ssoSessionMaxLifespan: 5 };
    expect(refreshTokenSeconds(r, undefined, online, { now: 0, chainStart: 0, loginTime: 0 })).toBe(
      3,
    );
    expect(refreshTokenSeconds(r, undefined, online, { now: 4, chainStart: 0, loginTime: 0 })).toBe(
      1,
    );
    expect(refreshTokenSeconds(r, undefined, online, { now: 9, chainStart: 0, loginTime: 0 })).toBe(
      1,
    );
    expect(
      refreshTokenSeconds(realm, undefined, offline, { now: 0, chainStart: 0, loginTime: 0 }),
    ).toBe(2592000);
  });
});

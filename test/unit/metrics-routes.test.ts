/**
 * The `route` label of qsign_http_requests_total: a fixed set of names, the most specific path
 * first, anything else `other` (a client must not be able to make new label values).
 */
import { describe, expect, it } from 'vitest';
import { routeOf } from '../../src/metrics.ts';

const P = '/realms/demo/protocol/openid-connect';

describe('routeOf', () => {
  it('names each Keycloak endpoint by its own path, the longer ones before their prefixes', () => {
    expect(routeOf(`${P}/token`)).toBe('token');
    expect(routeOf(`${P}/token/introspect`)).toBe('token/introspect');
    expect(routeOf(`${P}/auth`)).toBe('auth');
    expect(routeOf(`${P}/auth/device`)).toBe('auth/device');
    expect(routeOf(`${P}/ext/par/request`)).toBe('ext/par/request');
    expect(routeOf(`${P}/certs`)).toBe('certs');
    expect(routeOf(`${P}/userinfo`)).toBe('userinfo');
    expect(routeOf(`${P}/revoke`)).toBe('revoke');
    expect(routeOf(`${P}/logout`)).toBe('logout');
    expect(routeOf(`${P}/logout/confirm`)).toBe('logout');
    expect(routeOf(`${P}/login-status-iframe.html`)).toBe('login-status-iframe.html');
    expect(routeOf(`${P}/login-status-iframe.html/init`)).toBe('login-status-iframe.html');
    expect(routeOf(`${P}/3p-cookies/step1.html`)).toBe('3p-cookies');
    expect(routeOf('/realms/demo')).toBe('realm');
    expect(routeOf('/realms/demo/')).toBe('realm');
    expect(routeOf('/realms/demo/.well-known/openid-configuration')).toBe('discovery');
    expect(routeOf('/realms/demo/account')).toBe('account');
    expect(routeOf('/realms/demo/device')).toBe('device');
  });

  it('gives paths with a variable part (ids) one name', () => {
    expect(routeOf('/realms/demo/login-actions/abc123/login')).toBe('login');
    expect(routeOf(`${P}/auth/Xy_9-resume-uid`)).toBe('auth');
    expect(routeOf('/realms/demo/device/Xy_9')).toBe('device');
    expect(routeOf('/admin/realms/demo/users/0b5c4a5e-1111-2222-3333-444455556666')).toBe('admin');
    expect(routeOf('/health/live')).toBe('health/live');
    expect(routeOf('/health/ready')).toBe('health/ready');
    expect(routeOf('/metrics')).toBe('metrics');
  });

  it('answers `other` for any other path, so made-up paths add no label value', () => {
    const made = [
      '/health/x1',
      '/health/ready/x',
      `${P}/tokenx`,
      `${P}/token/x`,
      `${P}/certs/1`,
      `${P}/auth/a/b`,
      `${P}/3p-cookies/x.html`,
      '/realms/demo/.well-known/x',
      '/realms/demo/accountx',
      '/realms/demo/x',
      '/metrics/x',
      '/',
      '/x',
      '/realms',
    ];
    for (const path of made) expect([path, routeOf(path)]).toEqual([path, 'other']);
  });
});

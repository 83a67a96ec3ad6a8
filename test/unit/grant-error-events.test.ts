/** The Keycloak `error` of each refused grant's _ERROR event (org.keycloak.events.Errors). */
import { describe, expect, it } from 'vitest';
import { keycloakGrantErrorEvent } from '../../src/oidc/keycloak-responses.ts';
import { DEVICE_CODE_GRANT } from '../../src/oidc/clients.ts';

describe('keycloakGrantErrorEvent', () => {
  it.each([
    [
      'refresh_token',
      { error: 'invalid_grant', error_detail: 'refresh token already used' },
      true,
      'invalid_token',
    ],
    [
      'authorization_code',
      { error: 'invalid_grant', error_detail: 'authorization code is expired' },
      true,
      'expired_code',
    ],
    [
      'authorization_code',
      { error: 'invalid_grant', error_detail: 'code_verifier does not match code_challenge' },
      true,
      'pkce_verification_failed',
    ],
    [
      'authorization_code',
      { error: 'invalid_grant', error_detail: 'authorization code already consumed' },
      true,
      'invalid_code',
    ],
    [
      DEVICE_CODE_GRANT,
      { error: 'invalid_grant', error_detail: 'device code already consumed' },
      true,
      'invalid_oauth2_device_code',
    ],
    [DEVICE_CODE_GRANT, { error: 'expired_token' }, true, 'expired_oauth2_device_code'],
    [DEVICE_CODE_GRANT, { error: 'slow_down' }, true, 'slow_down'],
    ['client_credentials', { error: 'invalid_client' }, true, 'invalid_client_credentials'],
    ['client_credentials', { error: 'invalid_client' }, false, 'client_not_found'],
    ['client_credentials', { error: 'invalid_scope' }, true, 'invalid_scope'],
  ])('%s %o (client known: %s) -> %s', (grantType, err, known, expected) => {
    expect(keycloakGrantErrorEvent(grantType, err, known)).toBe(expected);
  });

  it('records nothing for a device code the user has not confirmed yet (polled every few seconds)', () => {
    expect(
      keycloakGrantErrorEvent(DEVICE_CODE_GRANT, { error: 'authorization_pending' }, true),
    ).toBeUndefined();
  });
});

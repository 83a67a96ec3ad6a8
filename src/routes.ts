/**
 * Keycloak's OIDC URL layout under the issuer `{base}/realms/{realm}` (Keycloak "Securing
 * applications" guide, "Available endpoints"). Clients hardcode these paths.
 */
export const PROTOCOL = '/protocol/openid-connect';

export const KEYCLOAK_ROUTES = {
  authorization: `${PROTOCOL}/auth`,
  token: `${PROTOCOL}/token`,
  jwks: `${PROTOCOL}/certs`,
  userinfo: `${PROTOCOL}/userinfo`,
  end_session: `${PROTOCOL}/logout`,
  introspection: `${PROTOCOL}/token/introspect`,
  revocation: `${PROTOCOL}/revoke`,
  device_authorization: `${PROTOCOL}/auth/device`,
  /** Keycloak's device verification page (`verification_uri`): `/realms/{realm}/device`. */
  code_verification: '/device',
  pushed_authorization_request: `${PROTOCOL}/ext/par/request`,
} as const;

/** oidc-provider's cookie names: Keycloak's session cookie name, so keycloak-js's pages find it. */
export const COOKIE_NAMES = {
  session: 'KC_SESSION',
  interaction: 'KC_INTERACTION',
  resume: 'KC_INTERACTION_RESUME',
} as const;

/** Where oidc-provider sends the browser for login; served by interaction/login.ts. */
export const LOGIN_ACTIONS = '/login-actions';

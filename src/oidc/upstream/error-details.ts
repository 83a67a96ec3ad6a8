/**
 * The texts of oidc-provider 9.13.3's errors that we match to answer in Keycloak's words
 * (keycloak-responses.ts: TokenEndpoint's error texts, the _ERROR events' `error`). Upstream has
 * no error codes finer than OAuth's `error`, so its `error_description` / `error_detail` (or, for
 * PKCE, the `cause` message) is all there is to tell the cases apart. Each text is where upstream
 * throws it (lib/…); test/unit/oidc-upstream-contract.test.ts fails when an upgrade changes one.
 */
export const UPSTREAM_ERROR_TEXT = {
  /** error_description of invalid_request (lib/actions/token.js). */
  grantTypeNotAllowed: 'requested grant type is not allowed for this client',
  /** error_description of invalid_request without grant_type (lib/helpers/validate_presence.js). */
  missingGrantType: "missing required parameter 'grant_type'",
  /** The cause of invalid_grant (lib/helpers/pkce.js). */
  codeVerifierMissing: 'code_verifier must be provided',
  /** The cause of invalid_grant (lib/helpers/pkce.js). */
  codeVerifierMismatch: 'code_verifier does not match code_challenge',
  /** error_detail of invalid_grant (lib/actions/grants/authorization_code.js). */
  codeExpired: 'authorization code is expired',
  /** error_detail of invalid_grant (lib/actions/grants/authorization_code.js). */
  codeRedirectUriMismatch: 'authorization code redirect_uri mismatch',
  /** error_detail of invalid_grant (lib/actions/grants/refresh_token.js; also adapters/postgres.ts). */
  refreshTokenUsed: 'refresh token already used',
} as const;

/**
 * Prefixes of error_detail of invalid_grant: every authorization code refusal (lib/helpers/
 * grant_source.js `${label} not found` / `already consumed`, the two above) and every grant one
 * (`grant not found`, `grant is expired`, lib/helpers/grant_source.js).
 */
export const UPSTREAM_DETAIL_PREFIX = {
  authorizationCode: 'authorization code',
  grant: 'grant',
} as const;

/** Any PKCE refusal names the parameter (lib/helpers/pkce.js, lib/helpers/pkce_format.js). */
export const UPSTREAM_PKCE_TEXT = /code_verifier/;

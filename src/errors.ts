/**
 * The one base error of qsign-oidc, in the manner of jose's `JOSEError` and oidc-provider's
 * `OIDCProviderError`: every error type here extends QsignError, carries a `code` (jose's style,
 * `ERR_...`), and gets its HTTP status and whether its message may be shown to the caller from
 * ERRORS, the one table of them. `httpStatusOf(err)` gives the status of any thrown value (500
 * for what is not a QsignError: an internal error).
 *
 * The members are `httpStatus` and `exposeMessage`, not http-errors' `status` and `expose`: Koa and
 * oidc-provider read `status`/`expose` of ANY error they catch (oidc-provider's err_out shows
 * `message` as the `error` of an exposed one), so a QsignError escaping into them would change
 * what a client gets. Errors that ARE answers (AdminError, AccountError, ComponentError) keep their
 * own per-instance `status`, which `httpStatus` then returns.
 */

/** HTTP status and exposure of each code; `exposeMessage`: the message names nothing secret and may be shown to the caller. */
export const ERRORS = {
  // Answers of the admin and account REST APIs and of component checks (per-instance status).
  ERR_ADMIN_REQUEST: { status: 400, exposeMessage: true },
  ERR_ACCOUNT_REQUEST: { status: 400, exposeMessage: true },
  ERR_COMPONENT_INVALID: { status: 400, exposeMessage: true },
  // Bad input (a request, a realm file, a JSON body, a CLI argument).
  ERR_REALM_IMPORT: { status: 400, exposeMessage: true },
  ERR_REALM_PLACEHOLDER: { status: 400, exposeMessage: true },
  ERR_PASSWORD_POLICY_CONFIG: { status: 400, exposeMessage: true },
  ERR_EXPORT_OPTION: { status: 400, exposeMessage: true },
  ERR_CLI_USAGE: { status: 400, exposeMessage: true },
  ERR_JSON_TOO_DEEP: { status: 400, exposeMessage: true },
  ERR_INVALID_SCOPE: { status: 400, exposeMessage: true },
  ERR_JWK_NOT_USABLE: { status: 400, exposeMessage: true },
  ERR_DILITHIUM3_KEY: { status: 400, exposeMessage: true },
  ERR_BACKEND_REFUSED: { status: 400, exposeMessage: true },
  ERR_SMTP_NOT_ALLOWED: { status: 400, exposeMessage: true },
  ERR_REALM_NOT_FOUND: { status: 404, exposeMessage: true },
  ERR_PARTIAL_IMPORT_EXISTS: { status: 409, exposeMessage: true },
  ERR_KEY_CONFLICT: { status: 409, exposeMessage: true },
  // Token verification (the resource-server verifier, jose/verify-errors.ts; RFC 6750 invalid_token).
  ERR_JWS_INVALID: { status: 401, exposeMessage: true },
  ERR_JOSE_ALG_NOT_ALLOWED: { status: 401, exposeMessage: true },
  ERR_JWKS_NO_MATCHING_KEY: { status: 401, exposeMessage: true },
  ERR_JWKS_INVALID: { status: 401, exposeMessage: true },
  ERR_JWKS_TIMEOUT: { status: 401, exposeMessage: true },
  ERR_JWK_INVALID: { status: 401, exposeMessage: true },
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: { status: 401, exposeMessage: true },
  ERR_JWT_EXPIRED: { status: 401, exposeMessage: true },
  ERR_JWT_CLAIM_VALIDATION_FAILED: { status: 401, exposeMessage: true },
  ERR_JWS_VERIFICATION: { status: 401, exposeMessage: true },
  // Mail: a failure the administrator may read (Keycloak answers 500 with the reason).
  ERR_EMAIL: { status: 500, exposeMessage: true },
  // A back end or the store is down: 503, retry later (server.ts), the reason only in the log.
  ERR_STORE_UNAVAILABLE: { status: 503, exposeMessage: false },
  ERR_SIGNER_UNAVAILABLE: { status: 503, exposeMessage: false },
  ERR_VAULT: { status: 503, exposeMessage: false },
  ERR_VAULT_UNREACHABLE: { status: 503, exposeMessage: false },
  ERR_VAULT_AUTH: { status: 503, exposeMessage: false },
  ERR_KEY_UNUSABLE: { status: 503, exposeMessage: false },
  // The operator's configuration or secrets: never a client's business.
  ERR_CONFIG: { status: 500, exposeMessage: false },
  ERR_KEY_DECRYPTION: { status: 500, exposeMessage: false },
  ERR_WRONG_KEK: { status: 500, exposeMessage: false },
  ERR_REALM_SECRET: { status: 500, exposeMessage: false },
  ERR_CREDENTIAL_SECRET: { status: 500, exposeMessage: false },
  ERR_SERVICE_ACCOUNT: { status: 500, exposeMessage: false },
} as const satisfies Record<string, { status: number; exposeMessage: boolean }>;

export type ErrorCode = keyof typeof ERRORS;

export class QsignError extends Error {
  readonly code: ErrorCode;
  readonly #status: number | undefined;

  /**
   * @param options.status the status of an error that is an answer (AdminError...); otherwise ERRORS'.
   * @param options.cause the underlying error (kept for the log, never shown).
   */
  constructor(
    code: ErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.#status = options.status;
  }

  /** The HTTP status this error answers with where it reaches a client. */
  get httpStatus(): number {
    return this.#status ?? ERRORS[this.code].status;
  }

  /** Whether `message` may be shown to the caller (it names nothing secret). */
  get exposeMessage(): boolean {
    return ERRORS[this.code].exposeMessage;
  }
}

/** The HTTP status of any thrown value: a QsignError's, else 500 (an internal error). */
export function httpStatusOf(err: unknown): number {
  return err instanceof QsignError ? err.httpStatus : 500;
}

/** A mistake in a command line (keys/cli.ts, main.ts): the message says what to give instead. */
export class CliUsageError extends QsignError {
  constructor(message: string) {
    super('ERR_CLI_USAGE', message);
  }
}

/**
 * A stored key whose signer cannot be built here (its back end, component or private key is gone
 * or unusable): the key is loaded as unavailable (its alg answers 503, readiness names it).
 */
export class KeyUnusableError extends QsignError {
  constructor(message: string, cause?: unknown) {
    super('ERR_KEY_UNUSABLE', message, { cause });
  }
}

/**
 * Errors of the account REST API in Keycloak's shapes: a JAX-RS exception becomes
 * `{"error": message}` (KeycloakErrorHandler.getErrorCode: 401 "HTTP 401 Unauthorized", 403
 * "HTTP 403 Forbidden", 404 "Credential not found"...); ErrorResponse.error gives
 * `{"errorMessage": ...}`; a user-profile ValidationException gives `{"errors": [...]}` plus, for a
 * single error, its `field`, `errorMessage` and `params` (ErrorResponse.errors, shrink off).
 * Thrown anywhere in an account handler; account/router.ts turns them into responses.
 */
import { QsignError } from '../errors.ts';
import type { ProfileError } from '../realm/user-profile.ts';

export class AccountError extends QsignError {
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    super('ERR_ACCOUNT_REQUEST', String(body.error ?? body.errorMessage ?? status), { status });
    this.name = 'AccountError';
    this.status = status;
    this.body = body;
  }
}

export const unauthorized = () => new AccountError(401, { error: 'HTTP 401 Unauthorized' });
export const forbidden = () => new AccountError(403, { error: 'HTTP 403 Forbidden' });
/** A JAX-RS NotFoundException / BadRequestException with a message. */
export const jaxrs = (status: number, message: string) =>
  new AccountError(status, { error: message });
/** ErrorResponse.error(message, status). */
export const errorResponse = (status: number, errorMessage: string) =>
  new AccountError(status, { errorMessage });
/** A body Jackson could not read (KeycloakErrorHandler, JsonProcessingException). */
export const cannotParse = () =>
  new AccountError(400, { error: 'invalid_request', error_description: 'Cannot parse the JSON' });

/** ErrorResponse.errors(errors, 400, false): the list, and the first one's fields when it is alone. */
export function validationErrors(errors: ProfileError[]): AccountError {
  const body: Record<string, unknown> = { errors };
  if (errors.length === 1) Object.assign(body, errors[0]);
  return new AccountError(400, body);
}

/**
 * Errors of the admin REST API in Keycloak's shapes: 400/409 `{"errorMessage": "..."}` (with
 * `field` for a bad component config), 401/403/404 `{"error": "..."}`. Thrown anywhere in an admin
 * handler; the admin router turns them, and every other error that is an answer, into responses
 * with adminErrorResponse, the one place of those shapes. Keycloak: services/.../ErrorResponse.java
 * (`ErrorRepresentation.errorMessage`, `field`) for what its handlers refuse, and
 * KeycloakErrorHandler (`{"error": message}`) for JAX-RS NotAuthorized/Forbidden/NotFound.
 */
import { QsignError, httpStatusOf } from '../errors.ts';
import { ComponentError } from '../keys/component-model.ts';
export class AdminError extends QsignError {
  readonly status: number;
  readonly body: Record<string, string>;
  constructor(status: number, body: Record<string, string>) {
    super('ERR_ADMIN_REQUEST', body.errorMessage ?? body.error, { status });
    this.name = 'AdminError';
    this.status = status;
    this.body = body;
  }
}

export const badRequest = (errorMessage: string, field?: string) =>
  new AdminError(400, field ? { field, errorMessage } : { errorMessage });
export const conflict = (errorMessage: string) => new AdminError(409, { errorMessage });
export const notFound = (error: string) => new AdminError(404, { error });
export const unauthorized = () => new AdminError(401, { error: 'HTTP 401 Unauthorized' });
export const forbidden = () => new AdminError(403, { error: 'HTTP 403 Forbidden' });

/** Statuses Keycloak answers with `{"error": ...}` (JAX-RS exceptions, KeycloakErrorHandler). */
const JAXRS_STATUSES = new Set([401, 403, 404]);

/**
 * The admin API's answer to `err`, or undefined when it is no answer (an internal error: the
 * caller rethrows it, the server logs it and answers 500). Answers: an AdminError's own body; a
 * ComponentError's `{field?, errorMessage}`; the body parser's 400/413; a value the store cannot
 * hold (SQLSTATE class 22) 400; any other QsignError whose message may be shown and whose status
 * is 4xx (errors.ts ERRORS), its message in Keycloak's shape for the status.
 */
export function adminErrorResponse(
  err: unknown,
): { status: number; body: Record<string, string> } | undefined {
  if (err instanceof AdminError) return { status: err.status, body: err.body };
  if (err instanceof ComponentError)
    return {
      status: err.status,
      body: err.field
        ? { field: err.field, errorMessage: err.message }
        : { errorMessage: err.message },
    };
  if (err instanceof QsignError) {
    const status = httpStatusOf(err);
    if (!err.exposeMessage || status < 400 || status >= 500) return undefined;
    return {
      status,
      body: JAXRS_STATUSES.has(status) ? { error: err.message } : { errorMessage: err.message },
    };
  }
  const status = (err as { status?: number } | undefined)?.status;
  // Body parser errors (malformed JSON, too large).
  if (status === 400) return { status, body: { errorMessage: 'Cannot parse the JSON' } };
  if (status === 413) return { status, body: { errorMessage: 'Request entity too large' } };
  // SQLSTATE class 22 (data exception: a value the store cannot hold): the input was bad.
  if (/^22/.test(String((err as { code?: unknown } | undefined)?.code ?? '')))
    return { status: 400, body: { errorMessage: 'invalid input' } };
  return undefined;
}

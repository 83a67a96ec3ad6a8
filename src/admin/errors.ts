/**
 * Errors of the admin REST API in Keycloak's shapes: 400/409 `{"errorMessage": "..."}` (with
 * `field` for a bad component config), 401/403/404 `{"error": "..."}`. Thrown anywhere in an admin
 * handler; the admin router turns them into responses.
 */
export class AdminError extends Error {
  readonly status: number;
  readonly body: Record<string, string>;
  constructor(status: number, body: Record<string, string>) {
    super(body.errorMessage ?? body.error);
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

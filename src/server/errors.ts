/**
 * How a request's error becomes an answer: a store or signer that is down answers 503 with
 * `Retry-After`, a client error thrown by a body parser answers its 4xx as an OAuth error, anything
 * else 500 `unknown_error` (Keycloak's text) with the error in the log only; never a stack trace.
 */
import type { Context } from 'koa';
import type { Logger } from '../log.ts';
import { StoreUnavailableError } from '../store/sql.ts';
import { SignerUnavailableError } from '../signer/signer.ts';

export function isUnavailable(err: unknown): boolean {
  return err instanceof StoreUnavailableError || err instanceof SignerUnavailableError;
}

/** Sets the status and the `{"error","error_description"}` body for `err`, thrown while serving. */
export function answerError(ctx: Context, err: unknown, log: Logger, requestId: string): void {
  if (isUnavailable(err)) {
    log.warn(
      { requestId, err: { name: (err as Error).name, message: (err as Error).message } },
      'back end unavailable',
    );
    ctx.status = 503;
    ctx.set('Retry-After', '5');
    ctx.body = {
      error: 'temporarily_unavailable',
      error_description: 'The service is temporarily unavailable; retry later.',
    };
  } else if (
    typeof (err as { status?: number }).status === 'number' &&
    (err as { status: number }).status >= 400 &&
    (err as { status: number }).status < 500
  ) {
    // Body parser errors (malformed, too large, wrong charset): a protocol error, not a crash.
    ctx.status = (err as { status: number }).status;
    ctx.body = {
      error: 'invalid_request',
      error_description: ctx.status === 413 ? 'request entity too large' : 'malformed request',
    };
  } else {
    log.error({ requestId, err }, 'unhandled error');
    ctx.status = 500;
    ctx.body = {
      error: 'unknown_error',
      error_description: 'For more on this error consult the server log.',
    };
  }
}

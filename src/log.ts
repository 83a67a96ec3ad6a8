/**
 * The process logger: pino JSON lines on stdout. Secrets never go in: request logs carry method,
 * path without query string, status and duration; the redact list guards the usual fields.
 */
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'qsign-oidc' },
    redact: { paths: ['password', 'client_secret', 'secret', 'token', 'access_token', 'refresh_token', 'id_token', '*.password', '*.secret', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
  });
}
export type { Logger };

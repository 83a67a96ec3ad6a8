/**
 * The process logger: pino JSON lines on stdout. Secrets never go in: request logs carry method,
 * path without query string, status and duration; the redact list guards the usual fields.
 */
import { pino, type Logger } from 'pino';

/**
 * Lines are written without blocking the event loop (pino's asynchronous destination on stdout:
 * lines logged while a write is in flight go out together in the next one); pino flushes what is
 * left when the process exits, so only a hard kill can lose the last lines.
 * @param level pino level name (LOG_LEVEL).
 * @param destination file path or descriptor; default 1 (stdout).
 */
export function createLogger(level: string, destination: string | number = 1): Logger {
  return pino(
    {
      level,
      base: { service: 'qsign-oidc' },
      redact: {
        paths: [
          'password',
          'client_secret',
          'secret',
          'token',
          'access_token',
          'refresh_token',
          'id_token',
          '*.password',
          '*.secret',
          'headers.authorization',
          'headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: destination, sync: false }),
  );
}
export type { Logger };

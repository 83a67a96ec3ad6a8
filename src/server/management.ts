/**
 * The management interface (MANAGEMENT_PORT): health probes and metrics are served there alone,
 * and nothing else is; a path on the wrong port answers 404.
 */
import type { Middleware } from 'koa';

/** Paths of the management interface (MANAGEMENT_PORT): health probes and metrics. */
export const isManagementPath = (path: string) =>
  path === '/metrics' || path.startsWith('/health/');

export function managementPortOnly(managementPort: number): Middleware {
  return async (ctx, next) => {
    const onManagementPort = ctx.req.socket.localPort === managementPort;
    if (onManagementPort === isManagementPath(ctx.path)) {
      await next();
      return;
    }
    ctx.status = 404;
    ctx.body = { error: 'HTTP 404 Not Found' };
  };
}

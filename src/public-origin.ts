/**
 * The origin of every URL the server builds from a request (oidc-provider's endpoint URLs in
 * discovery, redirects to its own pages) is PUBLIC_BASE_URL's, never the request's `Host` or
 * `X-Forwarded-Host`: as Keycloak does once `hostname` is set (Keycloak "Configuring the
 * hostname (v2)" guide). Taken from the request, a forged host header made discovery advertise
 * another server's endpoints (`Host: evil.example`), and one that is not a host at all made it
 * answer 500 (`X-Forwarded-Host: >`). The issuer was already fixed; now the endpoints agree with it.
 */
import type { Middleware } from 'koa';

/**
 * Middleware giving `ctx.href` (what oidc-provider resolves its URLs against) the public origin,
 * and, for an `https:` PUBLIC_BASE_URL, letting `Secure` cookies be set whatever the connection:
 * TLS ends before this server (at the ingress), and without trusted proxy headers the connection
 * looks like plain HTTP, on which the cookies library refuses a `Secure` cookie (a 500 at `/auth`).
 */
export function publicOrigin(baseUrl: string): Middleware {
  const origin = new URL(baseUrl).origin;
  const https = origin.startsWith('https:');
  return async (ctx, next) => {
    if (https) ctx.cookies.secure = true;
    // An absolute-form request target (`GET http://other/path HTTP/1.1`) keeps only its path.
    const target = ctx.originalUrl.startsWith('/') ? ctx.originalUrl : '/';
    Object.defineProperty(ctx.request, 'href', { value: `${origin}${target}`, configurable: true });
    await next();
  };
}

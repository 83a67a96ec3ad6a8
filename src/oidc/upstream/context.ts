/**
 * oidc-provider 9.13.3's request context and application, where we reach past its typings:
 * `Provider.ctx` (the request's context from its AsyncLocalStorage; public, but typed on the
 * class only through the instance), `ctx.oidc.redirectUriCheckPerformed` (the flag its
 * authorization checks set once the redirect URI is verified), its Koa app's `maxIpsCount`, and
 * `Session.findByUid`. test/unit/oidc-upstream-contract.test.ts checks each is still there.
 */
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/** The oidc-provider request being served (undefined outside one). */
export function currentContext(ProviderClass: unknown): KoaContextWithOIDC | undefined {
  return (ProviderClass as { ctx?: KoaContextWithOIDC }).ctx;
}

/** Marks the request's redirect URI as verified, so that oidc-provider redirects its errors there. */
export function markRedirectUriChecked(ctx: KoaContextWithOIDC): void {
  (ctx.oidc as unknown as { redirectUriCheckPerformed: boolean }).redirectUriCheckPerformed = true;
}

/**
 * Sets oidc-provider's own Koa app to take the last X-Forwarded-For entry, as the server's
 * (proxy-headers.ts): koa-mount runs its middleware with its app as `ctx.app`.
 */
export function setMaxIpsCount(provider: Provider, count: number): void {
  (provider as unknown as { app: { maxIpsCount: number } }).app.maxIpsCount = count;
}

type SessionRecord = { authorizations?: Record<string, { sid?: string }> };

/** The stored browser session with this uid (Session.findByUid, not in the typings). */
export function findSessionByUid(
  provider: Provider,
  uid: string,
): Promise<SessionRecord | undefined> {
  const Session = provider.Session as unknown as {
    findByUid(uid: string): Promise<SessionRecord | undefined>;
  };
  return Session.findByUid(uid);
}

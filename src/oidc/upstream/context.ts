/**
 * oidc-provider 9.13.3's request context, where we reach past its typings: `Provider.ctx` (the
 * request's context from its AsyncLocalStorage, a static getter the typings do not declare) and
 * `ctx.oidc.redirectUriCheckPerformed` (the flag its authorization checks set once the redirect
 * URI is verified). test/unit/oidc-upstream-contract.test.ts checks each is still there.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';

/** The oidc-provider request being served (undefined outside one). */
export function currentContext(ProviderClass: unknown): KoaContextWithOIDC | undefined {
  return (ProviderClass as { ctx?: KoaContextWithOIDC }).ctx;
}

/** Marks the request's redirect URI as verified, so that oidc-provider redirects its errors there. */
export function markRedirectUriChecked(ctx: KoaContextWithOIDC): void {
  (ctx.oidc as unknown as { redirectUriCheckPerformed: boolean }).redirectUriCheckPerformed = true;
}

/**
 * Keycloak redirect URI rules (wildcards, relative URIs, redirect-uri.ts) and `sid` in every
 * token, on oidc-provider's Client model (upstream/client.ts), per its documented recipe of
 * overriding Client#redirectUriAllowed / #postLogoutRedirectUriAllowed.
 */
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { redirectPatterns, postLogoutPatterns } from '../clients.ts';
import { matchesRedirect } from '../redirect-uri.ts';
import type { RealmContext } from '../realm-context.ts';
import { patchClientPrototype } from '../upstream/client.ts';
import { currentContext } from '../upstream/context.ts';

/**
 * Whether this request is an authorization request answered in the fragment (response_mode
 * `fragment`, or the default of a response type with `token` / `id_token`): its redirect URI may
 * then carry a fragment of its own (redirect-uri.ts, keycloak-responses.ts).
 */
export function fragmentResponse(ctx: KoaContextWithOIDC | undefined): boolean {
  const route = ctx?.oidc?.route;
  if (route !== 'authorization' && route !== 'resume') return false;
  const params = (ctx!.oidc.params ?? {}) as { response_mode?: unknown; response_type?: unknown };
  if (params.response_mode !== undefined) return params.response_mode === 'fragment';
  return String(params.response_type ?? '')
    .split(' ')
    .some((t) => t === 'token' || t === 'id_token');
}

export function installClientRules(provider: Provider, rc: RealmContext): void {
  const { realm } = rc;
  patchClientPrototype(provider, {
    // Keycloak's `sid` (the browser session's id) is in every token of the session; oidc-provider
    // records it on codes, and so on the tokens made from them, when Client#includeSid() is true.
    includeSid: () => true,
    redirectUriAllowed(uri: string) {
      const kc = realm.client(this.clientId);
      return kc
        ? matchesRedirect(uri, redirectPatterns(kc, rc.baseUrl), {
            allowFragment: fragmentResponse(currentContext(Provider)),
          })
        : false;
    },
    postLogoutRedirectUriAllowed(uri: string) {
      const kc = realm.client(this.clientId);
      return kc ? matchesRedirect(uri, postLogoutPatterns(kc, rc.baseUrl)) : false;
    },
  });
}

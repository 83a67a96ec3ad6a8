/**
 * DPoP (RFC 9449) for the grants this server adds to oidc-provider (the password grant):
 * oidc-provider binds the tokens of its own grants to a DPoP proof (`jkt` on the token record,
 * `token_type: DPoP`, and for public clients the refresh token too), but a grant registered through
 * `registerGrantType` gets only `ctx`. This applies oidc-provider's own helpers (internal modules of
 * the pinned oidc-provider 9.13.3, declared in oidc-provider-internals.d.ts): the proof is
 * validated as at the built-in grants (400 invalid_dpop_proof when bad, replay checked), the
 * access token is bound, and a public client's refresh token carries the same binding.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import validateDpop from 'oidc-provider/lib/helpers/validate_dpop.js';
import { applyDpopBinding } from 'oidc-provider/lib/helpers/grant_common.js';
import { setRefreshTokenBindings } from 'oidc-provider/lib/helpers/set_rt_bindings.js';

/** The request's validated DPoP proof, or undefined without a `DPoP` header. @throws InvalidDpopProof */
export async function dpopProof(ctx: KoaContextWithOIDC): Promise<unknown> {
  return validateDpop(ctx.oidc.provider, ctx);
}

/** Binds the access token (and a public client's refresh token) to the proof's key, when there is one. */
export async function bindToDpop(
  ctx: KoaContextWithOIDC,
  proof: unknown,
  accessToken: object,
  refreshToken?: object,
): Promise<void> {
  if (!proof) return;
  await applyDpopBinding(ctx.oidc.provider, ctx, proof, accessToken);
  if (refreshToken) await setRefreshTokenBindings(ctx, accessToken, refreshToken);
}

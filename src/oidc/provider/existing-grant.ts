/** oidc-provider's `loadExistingGrant` hook, as Keycloak grants scopes (consent-check.ts). */
import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

/** Keycloak grants every requested scope without a consent screen unless the client asks for consent. */
export async function loadExistingGrant(
  ctx: KoaContextWithOIDC,
  known: ReadonlySet<string>,
): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const clientId = oidc.client!.clientId;
  const grantId =
    (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ||
    oidc.session!.grantIdFor(clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  grant ??= new oidc.provider.Grant({ clientId, accountId: oidc.session!.accountId });
  // Whether the login chose remember me: its refresh tokens' lifetime depends on it (sso-session.ts).
  (grant as Grant & { rememberMe?: boolean }).rememberMe = oidc.session!.transient !== true;
  const scopes = [...(oidc.requestParamScopes as Set<string>)].filter((s) => known.has(s));
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = oidc.requestParamClaims as Set<string> | undefined;
  if (claims?.size) grant.addOIDCClaims([...claims]);
  await grant.save();
  return grant;
}

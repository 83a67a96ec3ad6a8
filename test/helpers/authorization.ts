/**
 * Starts an authorization-code request (PKCE S256, RFC 7636 appendix B's verifier) the way a
 * browser would, without following redirects: the answer, its login page and the cookies it set.
 */
export const PKCE_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

export async function startAuthorization(
  baseUrl: string,
  realm: string,
  clientId: string,
  redirectUri: string,
): Promise<{ response: Response; loginUrl: URL; cookie: string }> {
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: redirectUri,
    code_challenge: PKCE_CHALLENGE,
    code_challenge_method: 'S256',
  });
  const response = await fetch(`${baseUrl}/realms/${realm}/protocol/openid-connect/auth?${query}`, {
    redirect: 'manual',
  });
  const loginUrl = new URL(response.headers.get('location') ?? '/', baseUrl);
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { response, loginUrl, cookie };
}

/**
 * A whole authorization-code login as a browser does it, without a browser: the authorization
 * request (PKCE S256), the login form posted with the user's password, the redirects followed by
 * hand with the cookies kept, and the code exchanged at the token endpoint. Each call is a new
 * browser (its own cookie jar), so it makes a new session. `userAgent` is sent on every request.
 */
import { PKCE_CHALLENGE } from './authorization.ts';

/** RFC 7636 appendix B's verifier, whose S256 challenge is PKCE_CHALLENGE. */
const PKCE_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

export interface CodeFlowTokens {
  access_token: string;
  refresh_token: string;
  id_token?: string;
  session_state?: string;
}

export async function codeFlowLogin(options: {
  baseUrl: string;
  realm: string;
  clientId: string;
  redirectUri: string;
  username: string;
  password: string;
  userAgent?: string;
}): Promise<CodeFlowTokens> {
  const { baseUrl, realm, clientId, redirectUri } = options;
  const jar = new Map<string, string>();
  const headers = () => ({
    cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
    ...(options.userAgent ? { 'user-agent': options.userAgent } : {}),
  });
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  };
  const go = async (url: string, init: RequestInit = {}) =>
    keep(
      await fetch(new URL(url, baseUrl), {
        redirect: 'manual',
        ...init,
        headers: { ...headers(), ...(init.headers as Record<string, string>) },
      }),
    );
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: redirectUri,
    code_challenge: PKCE_CHALLENGE,
    code_challenge_method: 'S256',
  });
  let res = await go(`/realms/${realm}/protocol/openid-connect/auth?${query}`);
  const page = await (await go(res.headers.get('location')!)).text();
  const action = /action="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
  if (!action) throw new Error(`no login form: ${page.slice(0, 200)}`);
  res = await go(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: options.username, password: options.password }),
  });
  for (let hops = 0; hops < 5; hops++) {
    const location = res.headers.get('location');
    if (!location) throw new Error(`login stopped with ${res.status}`);
    if (location.startsWith(redirectUri)) {
      const code = new URL(location).searchParams.get('code');
      if (!code) throw new Error(`no code in ${location}`);
      const token = await fetch(`${baseUrl}/realms/${realm}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          client_id: clientId,
          code_verifier: PKCE_VERIFIER,
        }),
      });
      if (!token.ok) throw new Error(`token: ${token.status} ${await token.text()}`);
      return (await token.json()) as CodeFlowTokens;
    }
    res = await go(location);
  }
  throw new Error('too many redirects');
}

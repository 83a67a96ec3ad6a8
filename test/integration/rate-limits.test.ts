/**
 * Which requests count against which rate limit (src/request-limits.ts): the per-client limit of
 * the token endpoint counts only requests whose client authenticated; the login form has a
 * per-client limit too, by the interaction's client.
 */
import { afterEach, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.ts';
import { startAuthorization } from '../helpers/authorization.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const realm = (attributes: Record<string, string>) => ({
  realm: `limits${Date.now()}`,
  attributes,
  clients: [
    { clientId: 'svc', secret: 's', serviceAccountsEnabled: true, standardFlowEnabled: false },
    { clientId: 'web', publicClient: true, redirectUris: ['http://localhost:4000/*'] },
  ],
  users: [{ username: 'alice', credentials: [{ value: 'alice' }] }],
});

it("token.perClient: wrong secrets do not use up the client's budget; its authenticated requests do", async () => {
  const rep = realm({ 'qsign.rateLimit.token.perClient': '3' });
  server = await startServer({ realms: [rep] });
  const grant = async (secret: string, body = 'grant_type=client_credentials') =>
    (
      await fetch(`${server!.baseUrl}/realms/${rep.realm}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`svc:${secret}`).toString('base64')}`,
        },
        body,
      })
    ).status;
  const wrong = [];
  for (let i = 0; i < 3; i += 1) wrong.push(await grant('guess'));
  // Malformed credentials, refused before the secret is checked: an empty secret, two mechanisms.
  wrong.push(
    await grant(''),
    await grant('s', 'grant_type=client_credentials&client_id=svc&client_secret=s'),
  );
  expect(wrong).toEqual([401, 401, 401, 400, 400]);
  const right = [];
  for (let i = 0; i < 4; i += 1) right.push(await grant('s'));
  expect(right).toEqual([200, 200, 200, 429]);
});

it("login.perClient: login attempts count against the interaction's client, across interactions", async () => {
  const rep = realm({ 'qsign.rateLimit.login.perClient': '2' });
  server = await startServer({ realms: [rep] });
  /** One login attempt (a wrong password) in a fresh interaction of `web`. */
  const attempt = async () => {
    const { loginUrl, cookie } = await startAuthorization(
      server!.baseUrl,
      rep.realm,
      'web',
      'http://localhost:4000/cb',
    );
    const res = await fetch(`${loginUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: 'username=alice&password=wrong',
      redirect: 'manual',
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  };
  const seen = [await attempt(), await attempt(), await attempt()];
  expect(seen.map((s) => s.status)).toEqual([200, 200, 429]);
  expect(Number(seen[2]!.retryAfter)).toBeGreaterThan(0);
});

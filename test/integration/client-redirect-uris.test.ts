/**
 * Client redirect URI metadata that Keycloak accepts (issue 18 item 4), through HTTP against a
 * running server. Expected behaviour from Keycloak 26's RedirectUtils.verifyRedirectUri /
 * matchesRedirects (services/src/main/java/org/keycloak/protocol/oidc/utils/RedirectUtils.java:
 * a pattern ending in `*` is a prefix, anything else is compared whole) and the Keycloak 21.1.2
 * upgrade note "Changes in validating schemes for valid redirect URIs" (custom schemes need a
 * pattern of that scheme: "a general pattern like `*` does not cover them anymore"):
 * - a native app whose only redirect URI uses a custom scheme (`com.example.app://cb`,
 *   RFC 8252 §7.1) completes the code flow with PKCE (RFC 7636, S256);
 * - `redirectUris: ["*"]` allows any http(s) URI, not a custom scheme, and an omitted
 *   redirect_uri is not filled in;
 * - `+` among post-logout URIs means the redirect URIs (OIDCAdvancedConfigWrapper
 *   .getPostLogoutRedirectUris), next to other entries;
 * - a host wildcard (`https://*.example.com/*`) is accepted at import and, as in Keycloak's
 *   string comparison, is no wildcard: it matches no real host;
 * - a truly invalid URI refuses the realm at import with its JSON path and Keycloak's message
 *   (DefaultClientValidationProvider.checkUri: "Redirect URIs must not contain an URI fragment",
 *   "A redirect URI uses an illegal scheme", "A redirect URI is not a valid URI").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { asJson } from '../helpers/json.ts';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { adminCall, passwordToken, TEST_ADMIN_PASSWORD } from '../helpers/admin.ts';

const REALM = {
  realm: 'uris',
  clients: [
    {
      clientId: 'native',
      publicClient: true,
      redirectUris: ['com.example.app://cb'],
      attributes: { 'pkce.code.challenge.method': 'S256', 'post.logout.redirect.uris': '+' },
    },
    { clientId: 'anything', publicClient: true, redirectUris: ['*'] },
    {
      clientId: 'plus',
      publicClient: true,
      redirectUris: ['http://localhost:6000/*'],
      attributes: { 'post.logout.redirect.uris': '+##https://other.example/bye' },
    },
    {
      clientId: 'hosts',
      publicClient: true,
      redirectUris: ['https://*.example.com/*', 'https://app.example.com/cb'],
    },
  ],
  users: [{ username: 'alice', credentials: [{ value: 'alice-pw' }] }],
};

describe('client redirect URIs as Keycloak accepts them', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      realmFiles: [path.join(REPO, 'realms', 'master.json')],
      realms: [REALM],
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const P = () => `${server.baseUrl}/realms/uris/protocol/openid-connect`;
  const authUrl = (params: Record<string, string>) =>
    `${P()}/auth?${new URLSearchParams({ response_type: 'code', scope: 'openid', ...params })}`;
  const authorize = (params: Record<string, string>) =>
    fetch(authUrl(params), { redirect: 'manual', headers: { accept: 'text/html' } });
  const token = async (form: Record<string, string>) => {
    const res = await fetch(`${P()}/token`, { method: 'POST', body: new URLSearchParams(form) });
    return { status: res.status, body: asJson(await res.json()) };
  };

  it('a native app with only a custom-scheme redirect URI completes the code flow with PKCE', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const done = await signIn(
      new TestBrowser(),
      authUrl({
        client_id: 'native',
        redirect_uri: 'com.example.app://cb',
        state: 's1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      server.baseUrl,
      'alice',
      'alice-pw',
    );
    expect(done.url.startsWith('com.example.app://cb?'), done.url).toBe(true);
    const answer = new URL(done.url).searchParams;
    expect(answer.get('state')).toBe('s1');
    const code = answer.get('code')!;
    // Without the verifier the code is refused (the client's pkce.code.challenge.method is S256).
    const refused = await token({
      grant_type: 'authorization_code',
      client_id: 'native',
      code,
      redirect_uri: 'com.example.app://cb',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    const done2 = await signIn(
      new TestBrowser(),
      authUrl({
        client_id: 'native',
        redirect_uri: 'com.example.app://cb',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      server.baseUrl,
      'alice',
      'alice-pw',
    );
    const tokens = await token({
      grant_type: 'authorization_code',
      client_id: 'native',
      code: new URL(done2.url).searchParams.get('code')!,
      redirect_uri: 'com.example.app://cb',
      code_verifier: verifier,
    });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(typeof tokens.body.id_token).toBe('string');
    expect(typeof tokens.body.refresh_token).toBe('string');
    // Another custom scheme or path is not this client's.
    for (const other of ['com.example.app://other', 'com.evil.app://cb']) {
      expect(
        (
          await authorize({
            client_id: 'native',
            redirect_uri: other,
            code_challenge: challenge,
            code_challenge_method: 'S256',
          })
        ).status,
        other,
      ).toBe(400);
    }
  });

  it('"*" allows any http(s) URI, no custom scheme, and an omitted redirect_uri is not filled in', async () => {
    const done = await signIn(
      new TestBrowser(),
      authUrl({ client_id: 'anything', redirect_uri: 'https://anywhere.example/cb?x=1' }),
      server.baseUrl,
      'alice',
      'alice-pw',
    );
    expect(done.url.startsWith('https://anywhere.example/cb?x=1&'), done.url).toBe(true);
    const code = new URL(done.url).searchParams.get('code')!;
    const tokens = await token({
      grant_type: 'authorization_code',
      client_id: 'anything',
      code,
      redirect_uri: 'https://anywhere.example/cb?x=1',
    });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(
      (await authorize({ client_id: 'anything', redirect_uri: 'http://localhost:7777/' })).status,
    ).toBe(303);
    expect(
      (await authorize({ client_id: 'anything', redirect_uri: 'com.example.app://cb' })).status,
    ).toBe(400);
    const omitted = await authorize({ client_id: 'anything' });
    expect(omitted.status).toBe(400);
    expect(omitted.headers.get('location')).toBeNull();
  });

  it('"+" among post-logout URIs means the redirect URIs, next to the other entries', async () => {
    const logoutTo = async (clientId: string, uri: string) => {
      const browser = new TestBrowser();
      const res = await browser.fetch(
        `${P()}/logout?${new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: uri, state: 'ls' })}`,
      );
      if (res.status !== 200) return { status: res.status, location: res.headers.get('location') };
      // No browser session: the logout form submits itself (oidc-provider's page).
      const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(await res.text())!;
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(form[2])![1];
      const out = await browser.fetch(new URL(form[1], server.baseUrl).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf, logout: 'yes' }),
      });
      return { status: out.status, location: out.headers.get('location') };
    };
    expect(await logoutTo('plus', 'http://localhost:6000/bye')).toEqual({
      status: 303,
      location: 'http://localhost:6000/bye?state=ls',
    });
    expect(await logoutTo('plus', 'https://other.example/bye')).toEqual({
      status: 303,
      location: 'https://other.example/bye?state=ls',
    });
    expect(await logoutTo('native', 'com.example.app://cb')).toEqual({
      status: 303,
      location: 'com.example.app://cb?state=ls',
    });
    expect((await logoutTo('plus', 'https://other.example/elsewhere')).status).toBe(400);
  });

  it("a host wildcard is imported and, as in Keycloak's string comparison, matches no real host", async () => {
    expect(
      (await authorize({ client_id: 'hosts', redirect_uri: 'https://app.example.com/cb' })).status,
    ).toBe(303);
    for (const uri of ['https://evil.example.com/cb', 'https://a.b.example.com/x']) {
      expect((await authorize({ client_id: 'hosts', redirect_uri: uri })).status, uri).toBe(400);
    }
  });

  it('a truly invalid URI refuses the realm at import, with its JSON path; nothing is created', async () => {
    const admin = await passwordToken(server.baseUrl, 'master', 'admin', TEST_ADMIN_PASSWORD);
    const cases: [unknown, string][] = [
      [
        { clientId: 'a', redirectUris: ['https://ok.example/*', 'javascript:alert(1)'] },
        'clients[0].redirectUris[1]: A redirect URI uses an illegal scheme (javascript): "javascript:alert(1)"',
      ],
      [
        { clientId: 'a', redirectUris: ['https://ok.example/cb#frag'] },
        'clients[0].redirectUris[0]: Redirect URIs must not contain an URI fragment: "https://ok.example/cb#frag"',
      ],
      [
        { clientId: 'a', redirectUris: ['http://'] },
        'clients[0].redirectUris[0]: A redirect URI is not a valid URI: "http://"',
      ],
      [
        { clientId: 'a', redirectUris: ['cb'] },
        'clients[0].redirectUris[0]: A redirect URI is not a valid URI (a relative one starts with "/"): "cb"',
      ],
      [
        {
          clientId: 'a',
          redirectUris: ['/cb'],
          attributes: { 'post.logout.redirect.uris': '+##https://x .example/' },
        },
        'clients[0].attributes["post.logout.redirect.uris"]: A redirect URI is not a valid URI: "https://x .example/"',
      ],
    ];
    for (const [client, message] of cases) {
      const res = await adminCall(server.baseUrl, admin, 'POST', '', {
        realm: 'refused',
        enabled: true,
        clients: [client],
      });
      expect(res.status, message).toBe(400);
      expect(JSON.stringify(res.body), message).toContain(JSON.stringify(message).slice(1, -1));
    }
    expect((await adminCall(server.baseUrl, admin, 'GET', '/refused')).status).toBe(404);
    // What Keycloak accepts imports: relative, custom scheme, wildcards, port wildcard, "", "+" / "-".
    const ok = await adminCall(server.baseUrl, admin, 'POST', '', {
      realm: 'accepted',
      enabled: true,
      clients: [
        {
          clientId: 'a',
          redirectUris: [
            '/cb/*',
            'com.example.app:/oauth2redirect',
            'custom:*',
            'http://localhost:4000*',
            'https://host:*/cb',
            '',
            '*',
          ],
          attributes: { 'post.logout.redirect.uris': '-' },
        },
      ],
    });
    expect(ok.status, ok.text).toBe(201);
  });
});

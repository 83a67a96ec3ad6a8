/**
 * End to end against the real server with real clients: openid-client v6 for every grant and
 * endpoint, jose verifying every ML-DSA-65 token through the JWKS at /certs. The suite runs on
 * the embedded store (PGlite) and on the real PostgreSQL on 127.0.0.1:5432.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asJson } from '../helpers/json.ts';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { REPO, startServer, type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';

const insecure = { execute: [oidc.allowInsecureRequests] };
const REALMS = [
  path.join(REPO, 'realms', 'master.json'),
  path.join(REPO, 'realms', 'demo.json'),
  path.join(REPO, 'test', 'fixtures', 'test-realm.json'),
];
const SPA_REDIRECT = 'http://localhost:3000/callback';

/** No response may leak a stack trace or an internal error message. */
function expectNoStack(text: string) {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(text).not.toMatch(/Error:|TypeError|ReferenceError/);
}

const stores = await testStores();

describe.each(stores)('OIDC flows on $name', (store) => {
  let server: TestServer;
  let issuer: string;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    server = await startStoreServer(store, { master: false, realmFiles: REALMS });
    issuer = `${server.baseUrl}/realms/demo`;
    jwks = createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`));
  });
  afterAll(() => server?.close());

  const verify = (token: string, alg = 'ML-DSA-65') =>
    jwtVerify(token, jwks, { issuer, algorithms: [alg] });
  const confidential = (
    clientId: string,
    secret: string,
    metadata: Partial<oidc.ClientMetadata> = {},
  ) =>
    oidc.discovery(
      new URL(issuer),
      clientId,
      { client_secret: secret, id_token_signed_response_alg: 'ML-DSA-65', ...metadata },
      oidc.ClientSecretBasic(secret),
      insecure,
    );
  const publicClient = (clientId: string) =>
    oidc.discovery(
      new URL(issuer),
      clientId,
      { id_token_signed_response_alg: 'ML-DSA-65' },
      oidc.None(),
      insecure,
    );
  const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });
  const tokenUrl = () => `${issuer}/protocol/openid-connect/token`;
  const basic = (id: string, secret: string) => ({
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
  });

  it('serves discovery, the realm info and a JWKS with the ML-DSA-65 key in AKP form', async () => {
    const discovery = await (
      await fetch(`${issuer}/.well-known/openid-configuration`)
    )
      .json()
      .then(asJson);
    expect(discovery.issuer).toBe(issuer);
    expect(discovery.token_endpoint).toBe(`${issuer}/protocol/openid-connect/token`);
    expect(discovery.jwks_uri).toBe(`${issuer}/protocol/openid-connect/certs`);
    expect(discovery.introspection_endpoint).toBe(
      `${issuer}/protocol/openid-connect/token/introspect`,
    );
    expect(discovery.end_session_endpoint).toBe(`${issuer}/protocol/openid-connect/logout`);
    expect(discovery.grant_types_supported).toEqual(
      expect.arrayContaining([
        'authorization_code',
        'client_credentials',
        'refresh_token',
        'password',
      ]),
    );
    expect(discovery.id_token_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['ML-DSA-65', 'RS256']),
    );

    const info = await (await fetch(issuer)).json().then(asJson);
    expect(Object.keys(info)).toEqual([
      'realm',
      'public_key',
      'token-service',
      'account-service',
      'tokens-not-before',
    ]);
    expect(info['token-service']).toBe(`${issuer}/protocol/openid-connect`);

    const keys = (
      await (await fetch(`${issuer}/protocol/openid-connect/certs`)).json().then(asJson)
    ).keys;
    const mldsa = keys.find((k: { alg: string }) => k.alg === 'ML-DSA-65');
    expect(mldsa).toMatchObject({ kty: 'AKP', use: 'sig' });
    expect(Buffer.from(mldsa.pub, 'base64url')).toHaveLength(1952);
    expect(mldsa.priv).toBeUndefined();
    expect(keys.find((k: { alg: string }) => k.alg === 'RS256')).toMatchObject({ kty: 'RSA' });
    expect(keys.some((k: { kty: string }) => k.kty === 'oct')).toBe(false);
  });

  it('client_credentials returns an ML-DSA-65 JWT with Keycloak claims that jose verifies via /certs', async () => {
    const config = await confidential('demo-service', 'demo-service-secret');
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toBeUndefined();
    expect((tokens as Record<string, unknown>)['refresh_expires_in']).toBe(0);
    expect((tokens as Record<string, unknown>)['not-before-policy']).toBe(0);
    const { payload, protectedHeader } = await verify(tokens.access_token);
    expect(protectedHeader).toMatchObject({ alg: 'ML-DSA-65', typ: 'JWT' });
    expect(payload).toMatchObject({
      iss: issuer,
      typ: 'Bearer',
      azp: 'demo-service',
      client_id: 'demo-service',
      preferred_username: 'service-account-demo-service',
      resource_access: { 'demo-service': { roles: ['reports:read'] } },
    });
    // Keycloak joins the applied scopes from a hash set (DefaultClientSessionContext.getScopeString):
    // their order is unspecified.
    expect(String(payload.scope).split(' ').sort()).toEqual(['email', 'profile']);
    expect(payload.jti).toMatch(/^trrtcc:/);
    expect((payload.realm_access as { roles: string[] }).roles).toEqual(
      expect.arrayContaining(['default-roles-demo', 'offline_access', 'uma_authorization']),
    );
    expect(payload.aud).toBe('account');
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('signs with RS256 for a client whose access.token.signed.response.alg asks for it', async () => {
    const config = await confidential('demo-legacy', 'demo-legacy-secret');
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe('RS256');
    await verify(tokens.access_token, 'RS256');
  });

  it('password grant, refresh, userinfo, introspection and revocation work end to end', async () => {
    const config = await publicClient('demo-cli');
    const tokens = await oidc.genericGrantRequest(config, 'password', {
      username: 'alice',
      password: 'alice',
      scope: 'openid',
    });
    const access = await verify(tokens.access_token);
    expect(access.payload).toMatchObject({
      sub: expect.any(String),
      typ: 'Bearer',
      azp: 'demo-cli',
      preferred_username: 'alice',
      email: 'alice@example.com',
      given_name: 'Alice',
      family_name: 'Liddell',
      name: 'Alice Liddell',
      email_verified: true,
      resource_access: expect.objectContaining({ 'demo-service': { roles: ['reports:read'] } }),
    });
    // `openid` first (TokenUtil.attachOIDCScope), the rest in no specified order (a hash set).
    expect(access.payload.scope).toMatch(/^openid /);
    expect(String(access.payload.scope).split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    expect(access.payload.jti).toMatch(/^onrtro:/);
    expect(access.payload.sid).toEqual(expect.any(String));
    expect((tokens as Record<string, unknown>).session_state).toBe(access.payload.sid);
    const id = await verify(tokens.id_token!);
    expect(id.payload).toMatchObject({
      aud: 'demo-cli',
      sub: access.payload.sub,
      preferred_username: 'alice',
      sid: access.payload.sid,
    });

    // keycloak-js decodes the refresh token: it must be a JWT with Keycloak's claims.
    const refresh = decodeJwt(tokens.refresh_token!);
    expect(decodeProtectedHeader(tokens.refresh_token!).alg).toBe('HS512');
    expect(refresh).toMatchObject({
      typ: 'Refresh',
      iss: issuer,
      aud: issuer,
      azp: 'demo-cli',
      sub: access.payload.sub,
    });
    // exp − now, as Keycloak computes it: 1799 when a second boundary passes while the grant runs.
    expect((tokens as Record<string, unknown>).refresh_expires_in).toBeOneOf([1799, 1800]);

    const info = await oidc.fetchUserInfo(config, tokens.access_token, access.payload.sub!);
    expect(info).toMatchObject({
      sub: access.payload.sub,
      preferred_username: 'alice',
      email: 'alice@example.com',
    });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    const again = await verify(refreshed.access_token);
    expect(again.payload.sub).toBe(access.payload.sub);
    expect(again.payload.jti).toMatch(/^onrtrt:/);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    // Introspection is for confidential clients (a resource server); a public client learns nothing.
    expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(false);
    const resourceServer = await confidential('demo-service', 'demo-service-secret');
    const active = await oidc.tokenIntrospection(resourceServer, refreshed.access_token);
    expect(active).toMatchObject({
      active: true,
      sub: access.payload.sub,
      client_id: 'demo-cli',
      preferred_username: 'alice',
      typ: 'Bearer',
    });
    const activeRefresh = await oidc.tokenIntrospection(resourceServer, refreshed.refresh_token!, {
      token_type_hint: 'refresh_token',
    });
    expect(activeRefresh.active).toBe(true);
    // A wrong hint does not matter (RFC 7662 §2.1: the server extends its search).
    expect(
      (
        await oidc.tokenIntrospection(resourceServer, refreshed.refresh_token!, {
          token_type_hint: 'access_token',
        })
      ).active,
    ).toBe(true);
    expect(
      (
        await oidc.tokenIntrospection(resourceServer, refreshed.access_token, {
          token_type_hint: 'refresh_token',
        })
      ).active,
    ).toBe(true);

    await oidc.tokenRevocation(config, refreshed.access_token);
    expect((await oidc.tokenIntrospection(resourceServer, refreshed.access_token)).active).toBe(
      false,
    );
    await expect(
      oidc.fetchUserInfo(config, refreshed.access_token, access.payload.sub!),
    ).rejects.toThrow();

    // The rotated-out refresh token is refused with Keycloak's text.
    const reuse = await post(tokenUrl(), {
      grant_type: 'refresh_token',
      client_id: 'demo-cli',
      refresh_token: tokens.refresh_token!,
    });
    expect(reuse.status).toBe(400);
    expect((await reuse.json().then(asJson)).error).toBe('invalid_grant');
  });

  it('a refresh token sent twice at once is honoured once, and the reuse revokes its grant (RFC 9700 section 4.14.2)', async () => {
    const tokens = await (
      await post(tokenUrl(), {
        grant_type: 'password',
        client_id: 'demo-cli',
        username: 'alice',
        password: 'alice',
        scope: 'openid',
      })
    )
      .json()
      .then(asJson);
    const refresh = () =>
      post(tokenUrl(), {
        grant_type: 'refresh_token',
        client_id: 'demo-cli',
        refresh_token: String(tokens.refresh_token),
      });
    const answers = await Promise.all(Array.from({ length: 4 }, refresh));
    const bodies = await Promise.all(answers.map((a) => a.json().then(asJson)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400, 400]);
    const refused = bodies.filter((b) => b.error);
    expect(refused.map((b) => b.error)).toEqual([
      'invalid_grant',
      'invalid_grant',
      'invalid_grant',
    ]);
    // The first reuse seen gets Keycloak's answer to a refresh token used before; the later ones
    // may find the token, or its grant, already revoked by it.
    expect(refused.map((b) => b.error_description)).toContain('Stale token');
    for (const b of refused)
      expect(['Stale token', 'Invalid refresh token', 'Session not active']).toContain(
        b.error_description,
      );
    // The reuse revoked the grant, so the refresh token the winner got no longer works either.
    const winner = bodies.find((b) => b.refresh_token)!;
    const next = await post(tokenUrl(), {
      grant_type: 'refresh_token',
      client_id: 'demo-cli',
      refresh_token: String(winner.refresh_token),
    });
    expect(next.status).toBe(400);
  });

  it('authorization code + PKCE through the login form, then RP-initiated logout', async () => {
    const config = await publicClient('demo-spa');
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: SPA_REDIRECT,
      scope: 'openid',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const browser = new TestBrowser();
    const first = await browser.follow(url.toString(), server.baseUrl);
    const page = await first.response!.text();
    expect(page).toContain('<label for="username">Username or email</label>');
    expect(page).toContain('<label for="password">Password</label>');
    expect(page).toContain('>Sign In</button>');
    expect(first.response!.headers.get('content-security-policy')).toContain("default-src 'none'");

    const wrong = await signIn(
      new TestBrowser(),
      url.toString(),
      server.baseUrl,
      'alice',
      'not-her-password',
    );
    expect(wrong.page).toContain('Invalid username or password.');
    const unknown = await signIn(
      new TestBrowser(),
      url.toString(),
      server.baseUrl,
      'nobody',
      'alice',
    );
    expect(unknown.page).toContain('Invalid username or password.');

    const done = await signIn(browser, url.toString(), server.baseUrl, 'alice', 'alice');
    expect(done.url.startsWith(SPA_REDIRECT)).toBe(true);
    const callback = new URL(done.url);
    expect(callback.searchParams.get('iss')).toBe(issuer);
    expect(callback.searchParams.get('session_state')).toEqual(expect.any(String));
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const access = await verify(tokens.access_token);
    expect(access.payload).toMatchObject({
      azp: 'demo-spa',
      preferred_username: 'alice',
      'allowed-origins': ['http://localhost:3000', 'http://127.0.0.1:3000'],
    });
    expect(access.payload.jti).toMatch(/^onrtac:/);
    expect(access.payload.auth_time).toEqual(expect.any(Number));
    const id = await verify(tokens.id_token!);
    expect(id.payload).toMatchObject({
      nonce,
      typ: 'ID',
      azp: 'demo-spa',
      aud: 'demo-spa',
      preferred_username: 'alice',
      at_hash: expect.any(String),
    });
    expect(id.payload.sid).toBe(access.payload.sid);
    expect(callback.searchParams.get('session_state')).toBe(access.payload.sid);
    // The session id stays in the refresh token and in the tokens a refresh makes, also for a
    // refresh token stored without it (issued before oidc-provider recorded sid on every code).
    expect(decodeJwt(tokens.refresh_token!).sid).toBe(access.payload.sid);
    await server.db.query(
      "UPDATE oidc_payloads SET payload = payload - 'sid' WHERE model = 'RefreshToken' AND id = $1",
      [decodeJwt(tokens.refresh_token!).jti],
    );
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect((await verify(refreshed.access_token)).payload.sid).toBe(access.payload.sid);
    expect((await verify(refreshed.id_token!)).payload.sid).toBe(access.payload.sid);
    // at_hash for ML-DSA: left half of SHAKE256 with 64-byte output (oidc-provider's choice, see README).
    const digest = createHash('shake256', { outputLength: 64 })
      .update(tokens.access_token)
      .digest();
    expect(id.payload.at_hash).toBe(digest.subarray(0, 32).toString('base64url'));

    // SSO: a second authorization request in the same browser needs no password.
    const sso = await browser.follow(
      oidc
        .buildAuthorizationUrl(config, {
          redirect_uri: SPA_REDIRECT,
          scope: 'openid',
          state: 's2',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        })
        .toString(),
      server.baseUrl,
    );
    expect(new URL(sso.url).searchParams.get('code')).toBeTruthy();

    // Logout with id_token_hint and a registered post_logout_redirect_uri.
    const logoutUrl = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://localhost:3000/',
    });
    const confirm = await browser.follow(logoutUrl.toString(), server.baseUrl);
    const confirmPage = await confirm.response!.text();
    // With a valid id_token_hint Keycloak asks nothing: the page submits itself (script from this origin).
    expect(confirmPage).toContain('You are being signed out.');
    expect(confirmPage).toContain('<script src="/resources/logout.js"></script>');
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(confirmPage)!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(form[2])![1];
    const out = await browser.fetch(new URL(form[1], server.baseUrl).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('http://localhost:3000/');
    // The session is gone: the next authorization request shows the login form again.
    const after = await browser.follow(url.toString(), server.baseUrl);
    expect(await after.response!.text()).toContain('kc-form-login');
    // Without an id_token_hint a signed-in user is asked.
    const other = new TestBrowser();
    await signIn(other, url.toString(), server.baseUrl, 'alice', 'alice');
    const withoutHint = await other.fetch(`${issuer}/protocol/openid-connect/logout`);
    expect(await withoutHint.text()).toContain('Do you want to log out?');
    // Tokens of the ended session no longer refresh.
    const refresh = await post(tokenUrl(), {
      grant_type: 'refresh_token',
      client_id: 'demo-spa',
      refresh_token: tokens.refresh_token!,
    });
    expect(refresh.status).toBe(400);
  });

  describe('negative paths answer with exact status and Keycloak error bodies', () => {
    it('wrong client secret: 401 invalid_client', async () => {
      const res = await post(
        tokenUrl(),
        { grant_type: 'client_credentials' },
        basic('demo-service', 'wrong'),
      );
      expect(res.status).toBe(401);
      expect(await res.json().then(asJson)).toEqual({
        error: 'invalid_client',
        error_description: 'Invalid client or Invalid client credentials',
      });
    });

    it('unknown client: 401 invalid_client', async () => {
      const res = await post(
        tokenUrl(),
        { grant_type: 'client_credentials' },
        basic('no-such-client', 'x'),
      );
      expect(res.status).toBe(401);
      expect(await res.json().then(asJson)).toEqual({
        error: 'invalid_client',
        error_description: 'Invalid client or Invalid client credentials',
      });
    });

    it('grant not enabled for the client', async () => {
      let res = await post(
        tokenUrl(),
        { grant_type: 'password', username: 'alice', password: 'alice' },
        basic('demo-service', 'demo-service-secret'),
      );
      expect(res.status).toBe(400);
      expect(await res.json().then(asJson)).toEqual({
        error: 'unauthorized_client',
        error_description: 'Client not allowed for direct access grants',
      });
      res = await post(tokenUrl(), { grant_type: 'client_credentials', client_id: 'demo-cli' });
      expect(res.status).toBe(401);
      expect(await res.json().then(asJson)).toEqual({
        error: 'unauthorized_client',
        error_description: 'Public client not allowed to retrieve service account',
      });
      res = await post(
        tokenUrl(),
        { grant_type: 'authorization_code', code: 'x', redirect_uri: SPA_REDIRECT },
        basic('demo-service', 'demo-service-secret'),
      );
      expect(res.status).toBe(400);
      expect(await res.json().then(asJson)).toEqual({
        error: 'invalid_grant',
        error_description: 'Client not allowed to exchange code',
      });
    });

    it('wrong password and unknown user look the same (401, as Keycloak answers a wrong password); disabled user is told so', async () => {
      for (const [username, password] of [
        ['alice', 'nope'],
        ['ghost', 'alice'],
        ['alice', ''],
      ]) {
        const res = await post(tokenUrl(), {
          grant_type: 'password',
          client_id: 'demo-cli',
          username,
          password,
        });
        expect(res.status).toBe(401);
        expect(await res.json().then(asJson)).toEqual({
          error: 'invalid_grant',
          error_description: 'Invalid user credentials',
        });
      }
      // A service account's user cannot log in, and is answered as a wrong password (Keycloak's
      // ValidateUsername answers 400: stricter here, docs/protocol-security.md).
      const serviceUser = await post(tokenUrl(), {
        grant_type: 'password',
        client_id: 'demo-cli',
        username: 'service-account-demo-service',
        password: 'x',
      });
      expect(serviceUser.status).toBe(401);
      expect(await serviceUser.json().then(asJson)).toEqual({
        error: 'invalid_grant',
        error_description: 'Invalid user credentials',
      });
      const missing = await post(tokenUrl(), {
        grant_type: 'password',
        client_id: 'demo-cli',
        password: 'alice',
      });
      expect(missing.status).toBe(401);
      expect(await missing.json().then(asJson)).toEqual({
        error: 'invalid_request',
        error_description: 'Missing parameter: username',
      });
      const realmTest = tokenUrl().replace('/realms/demo/', '/realms/test/');
      const res = await post(realmTest, {
        grant_type: 'password',
        client_id: 'cli',
        username: 'disabled-user',
        password: 'secret',
      });
      expect(res.status).toBe(400);
      expect(await res.json().then(asJson)).toEqual({
        error: 'invalid_grant',
        error_description: 'Account disabled',
      });
    });

    it('unknown realm: 404 {"error":"Realm does not exist"} on every path', async () => {
      for (const p of [
        '',
        '/.well-known/openid-configuration',
        '/protocol/openid-connect/token',
        '/protocol/openid-connect/certs',
      ]) {
        const res = await fetch(`${server.baseUrl}/realms/nowhere${p}`, {
          method: p.endsWith('token') ? 'POST' : 'GET',
        });
        expect(res.status).toBe(404);
        expect(await res.json().then(asJson)).toEqual({ error: 'Realm does not exist' });
      }
    });

    it('wrong redirect_uri: 400 error page "Invalid parameter: redirect_uri", no redirect', async () => {
      const res = await fetch(
        `${issuer}/protocol/openid-connect/auth?client_id=demo-spa&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://evil.example/cb')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
        { headers: { accept: 'text/html' }, redirect: 'manual' },
      );
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('Invalid parameter: redirect_uri');
      expectNoStack(html);
    });

    describe('authorization codes', () => {
      const codeFor = async (clientId = 'demo-spa', realm = 'demo', redirect = SPA_REDIRECT) => {
        const verifier = oidc.randomPKCECodeVerifier();
        const auth = new URL(`${server.baseUrl}/realms/${realm}/protocol/openid-connect/auth`);
        auth.search = new URLSearchParams({
          client_id: clientId,
          response_type: 'code',
          scope: 'openid',
          redirect_uri: redirect,
          state: 'st',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        }).toString();
        const done = await signIn(
          new TestBrowser(),
          auth.toString(),
          server.baseUrl,
          'alice',
          'alice',
        );
        return { code: new URL(done.url).searchParams.get('code')!, verifier };
      };
      const exchange = (
        code: string,
        verifier?: string,
        clientId = 'demo-spa',
        realm = 'demo',
        redirect = SPA_REDIRECT,
      ) =>
        post(tokenUrl().replace('/realms/demo/', `/realms/${realm}/`), {
          grant_type: 'authorization_code',
          client_id: clientId,
          code,
          redirect_uri: redirect,
          ...(verifier ? { code_verifier: verifier } : {}),
        });

      it('missing PKCE verifier', async () => {
        const { code } = await codeFor();
        const res = await exchange(code);
        expect(res.status).toBe(400);
        expect(await res.json().then(asJson)).toEqual({
          error: 'invalid_grant',
          error_description: 'PKCE code verifier not specified',
        });
      });

      it('wrong PKCE verifier', async () => {
        const { code } = await codeFor();
        const res = await exchange(code, oidc.randomPKCECodeVerifier());
        expect(res.status).toBe(400);
        expect(await res.json().then(asJson)).toEqual({
          error: 'invalid_grant',
          error_description: 'PKCE verification failed: Code mismatch',
        });
      });

      it('replayed code', async () => {
        const { code, verifier } = await codeFor();
        expect((await exchange(code, verifier)).status).toBe(200);
        const res = await exchange(code, verifier);
        expect(res.status).toBe(400);
        expect(await res.json().then(asJson)).toEqual({
          error: 'invalid_grant',
          error_description: 'Code not valid',
        });
      });

      it('expired code (realm accessCodeLifespan 1 s)', async () => {
        const { code, verifier } = await codeFor('web', 'test', 'http://localhost:4000/cb');
        await new Promise((r) => setTimeout(r, 2_100));
        const res = await exchange(code, verifier, 'web', 'test', 'http://localhost:4000/cb');
        expect(res.status).toBe(400);
        expect((await res.json().then(asJson)).error).toBe('invalid_grant');
      });
    });

    it('a tampered or truncated access token is refused at userinfo and inactive at introspection', async () => {
      const config = await confidential('demo-service', 'demo-service-secret');
      const { access_token: token } = await oidc.clientCredentialsGrant(config);
      const [h, p, s] = token.split('.');
      const flipped = Buffer.from(s, 'base64url');
      flipped[10] ^= 1;
      for (const bad of [
        `${h}.${p}.${flipped.toString('base64url')}`,
        `${h}.${p}.${s.slice(0, 100)}`,
      ]) {
        const res = await fetch(`${issuer}/protocol/openid-connect/userinfo`, {
          headers: { authorization: `Bearer ${bad}` },
        });
        expect(res.status).toBe(401);
        expectNoStack(await res.text());
        expect((await oidc.tokenIntrospection(config, bad)).active).toBe(false);
      }
    });

    it('no response carries a stack trace', async () => {
      const probes: [string, RequestInit][] = [
        [
          tokenUrl(),
          {
            method: 'POST',
            body: 'grant_type=%%%',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          },
        ],
        [
          tokenUrl(),
          { method: 'POST', body: '{"a":', headers: { 'content-type': 'application/json' } },
        ],
        [
          `${issuer}/protocol/openid-connect/auth?client_id=nope`,
          { headers: { accept: 'text/html' } },
        ],
        [
          `${issuer}/protocol/openid-connect/userinfo`,
          { headers: { authorization: 'Bearer a.b.c' } },
        ],
        [`${issuer}/login-actions/nope`, {}],
        [
          `${issuer}/protocol/openid-connect/logout?id_token_hint=garbage`,
          { headers: { accept: 'text/html' } },
        ],
      ];
      for (const [url, init] of probes) {
        const res = await fetch(url, { ...init, redirect: 'manual' });
        expect(res.status).toBeLessThan(500);
        expectNoStack(await res.text());
      }
    });
  });
});

describe('observability', () => {
  it('serves Prometheus metrics: requests by route, tokens by realm and alg, signing latency by back end', async () => {
    // One signing thread whatever the runner's cores, so the gauge cannot read 0 by coincidence.
    const server = await startServer({
      realmFiles: [path.join(REPO, 'realms', 'demo.json')],
      env: { SIGNING_THREADS: '1' },
    });
    try {
      const res = await fetch(`${server.baseUrl}/realms/demo/protocol/openid-connect/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      expect(res.status).toBe(200);
      const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/qsign_http_requests_total\{route="token",status="200"\} \d+/);
      expect(metrics).toMatch(
        /qsign_tokens_issued_total\{realm="demo",alg="ML-DSA-65",type="access"\} \d+/,
      );
      expect(metrics).toMatch(/qsign_signing_seconds_count\{backend="local",alg="ML-DSA-65"\} \d+/);
      expect(metrics).toContain('\nqsign_signing_threads 1\n');
      expect(metrics).not.toContain('demo-service-secret');
    } finally {
      await server.close();
    }
  });
});

describe('transient client_credentials tokens', () => {
  it('are not stored, introspect from their claims, and stay revoked once revoked', async () => {
    const server = await startServer({ realmFiles: [path.join(REPO, 'realms', 'demo.json')] });
    try {
      const auth = {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`,
      };
      const issued = await (
        await fetch(`${server.baseUrl}/realms/demo/protocol/openid-connect/token`, {
          method: 'POST',
          headers: auth,
          body: 'grant_type=client_credentials',
        })
      )
        .json()
        .then(asJson);
      expect(
        await server.db.query("SELECT 1 FROM oidc_payloads WHERE model = 'ClientCredentials'"),
      ).toEqual([]);
      const introspect = async () =>
        (
          await fetch(`${server.baseUrl}/realms/demo/protocol/openid-connect/token/introspect`, {
            method: 'POST',
            headers: auth,
            body: new URLSearchParams({ token: issued.access_token }),
          })
        )
          .json()
          .then(asJson);
      expect(await introspect()).toMatchObject({
        active: true,
        client_id: 'demo-service',
        preferred_username: 'service-account-demo-service',
        typ: 'Bearer',
      });
      const revoked = await fetch(`${server.baseUrl}/realms/demo/protocol/openid-connect/revoke`, {
        method: 'POST',
        headers: auth,
        body: new URLSearchParams({ token: issued.access_token }),
      });
      expect(revoked.status).toBe(200);
      expect((await introspect()).active).toBe(false);
    } finally {
      await server.close();
    }
  });
});

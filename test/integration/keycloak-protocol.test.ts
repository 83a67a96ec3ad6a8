/**
 * Keycloak's own protocol behaviour that its client libraries rely on (issue 18, items 6-11,
 * 13, 14), through HTTP against a running server, with openid-client v6 where it has the feature.
 * Expected values come from Keycloak 26's source, cited per test:
 * - post-logout redirect URIs fall back to the redirect URIs (OIDCAdvancedConfigWrapper
 *   .getPostLogoutRedirectUris; admin console help: "'+' or an empty field will use the list of
 *   valid redirect uris. A value of '-' will not allow any");
 * - POST logout with form fields, and the non-browser logout with `refresh_token`
 *   (LogoutEndpoint#logout() POST, #logoutToken: 204, "No refresh token", TokenManager's
 *   "Invalid refresh token. Token client and authorized client don't match");
 * - discovery's check_session_iframe and auth-method lists (OIDCWellKnownProvider#getConfig);
 * - implicit and hybrid flows, and the refusal texts (AuthorizationEndpointChecker.checkResponseType);
 * - response_mode=fragment keeps the redirect URI's own fragment (OIDCRedirectUriBuilder
 *   .FragmentRedirectUriBuilder: existing fragment, then `&` and the parameters);
 * - introspection of an empty token is `{"active":false}` (TokenIntrospectionEndpoint: only a
 *   missing token is 400 "Token not provided.");
 * - client authentication by clientAuthenticatorType (ClientIdAndSecretAuthenticator,
 *   JWTClientAuthenticator, JWTClientSecretAuthenticator);
 * - DPoP-bound tokens (RFC 9449; Keycloak's DPoPUtil: `cnf.jkt`, token_type DPoP, bound refresh
 *   tokens for public clients).
 * Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, importPKCS8 } from 'jose';
import { asJson } from '../helpers/json.ts';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';

const insecure = { execute: [oidc.allowInsecureRequests] };
const SECRET_JWT = 'a-shared-secret-for-client-secret-jwt-of-48-bytes!';
const IMPLICIT_OFF =
  'Client is not allowed to initiate browser login with given response_type. Implicit flow is disabled for the client.';
const STANDARD_OFF =
  'Client is not allowed to initiate browser login with given response_type. Standard flow is disabled for the client.';

/** A self-signed certificate (base64 DER, as Keycloak stores `jwt.credential.certificate`) and its PKCS#8 key. */
function selfSignedCertificate(): { certificate: string; keyPem: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'qsign-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      path.join(dir, 'k.pem'),
      '-out',
      path.join(dir, 'c.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=jwt-cert',
    ],
    { stdio: 'ignore' },
  );
  const pem = readFileSync(path.join(dir, 'c.pem'), 'utf8');
  return {
    certificate: pem.replace(/-----[^-]+-----|\s/g, ''),
    keyPem: readFileSync(path.join(dir, 'k.pem'), 'utf8'),
  };
}

function realm(jwksUrl: string, certificate: string) {
  return {
    realm: 'kc',
    defaultSignatureAlgorithm: 'RS256',
    clients: [
      {
        clientId: 'spa',
        publicClient: true,
        redirectUris: ['http://localhost:5000/*'],
        webOrigins: ['+'],
        directAccessGrantsEnabled: true,
      },
      {
        clientId: 'spa2',
        publicClient: true,
        redirectUris: ['http://localhost:5004/*'],
        directAccessGrantsEnabled: true,
      },
      {
        clientId: 'nologout',
        publicClient: true,
        redirectUris: ['http://localhost:5001/*'],
        attributes: { 'post.logout.redirect.uris': '-' },
      },
      {
        clientId: 'implicit',
        publicClient: true,
        standardFlowEnabled: false,
        implicitFlowEnabled: true,
        redirectUris: ['http://localhost:5002/*'],
      },
      {
        clientId: 'hybrid',
        publicClient: true,
        implicitFlowEnabled: true,
        redirectUris: ['http://localhost:5003/*'],
      },
      {
        clientId: 'conf',
        secret: 'conf-secret',
        directAccessGrantsEnabled: true,
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
      },
      {
        clientId: 'jwt-url',
        clientAuthenticatorType: 'client-jwt',
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
        attributes: { 'use.jwks.url': 'true', 'jwks.url': jwksUrl },
      },
      {
        clientId: 'jwt-cert',
        clientAuthenticatorType: 'client-jwt',
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
        attributes: { 'jwt.credential.certificate': certificate },
      },
      {
        clientId: 'secret-jwt',
        clientAuthenticatorType: 'client-secret-jwt',
        secret: SECRET_JWT,
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
      },
    ],
    users: [
      { username: 'alice', email: 'alice@example.com', credentials: [{ value: 'alice-pw' }] },
    ],
  };
}

const stores = await testStores();

describe.each(stores)('Keycloak protocol behaviour on $name', (store) => {
  let server: TestServer;
  let jwksServer: http.Server;
  let issuer = '';
  let jwtKey: CryptoKey;
  let cert: { certificate: string; keyPem: string };

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    jwtKey = pair.privateKey;
    const jwk = {
      ...(await exportJWK(pair.publicKey)),
      kid: 'jwt-url-1',
      alg: 'RS256',
      use: 'sig',
    };
    jwksServer = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    cert = selfSignedCertificate();
    server = await startStoreServer(store, {
      master: false,
      realms: [
        realm(
          `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`,
          cert.certificate,
        ),
      ],
    });
    issuer = `${server.baseUrl}/realms/kc`;
  }, 120_000);
  afterAll(async () => {
    jwksServer?.close();
    await server?.close();
  });

  const P = () => `${issuer}/protocol/openid-connect`;
  const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });
  const basic = (id: string, secret: string) => ({
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
  });
  const passwordGrant = async (
    clientId: string,
    extra: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) =>
    (
      await post(
        `${P()}/token`,
        {
          grant_type: 'password',
          client_id: clientId,
          username: 'alice',
          password: 'alice-pw',
          scope: 'openid',
          ...extra,
        },
        headers,
      )
    )
      .json()
      .then(asJson);
  const authUrl = (params: Record<string, string>) =>
    `${P()}/auth?${new URLSearchParams({ scope: 'openid', state: 'st-1', nonce: 'n-1', ...params })}`;
  /** Signs alice in through the login page; the final redirect to the client. */
  const login = async (params: Record<string, string>, browser = new TestBrowser()) =>
    (await signIn(browser, authUrl(params), server.baseUrl, 'alice', 'alice-pw')).url;
  const fragmentOf = (url: string) => new URLSearchParams(url.slice(url.indexOf('#') + 1));

  describe('post-logout redirect URIs (OIDCAdvancedConfigWrapper.getPostLogoutRedirectUris)', () => {
    const logout = (clientId: string, uri: string) =>
      new TestBrowser().fetch(
        `${P()}/logout?${new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: uri, state: 'ls' })}`,
      );

    it('without the attribute, a URI matching the redirect URIs is accepted and the logout ends there', async () => {
      const browser = new TestBrowser();
      const res = await browser.fetch(
        `${P()}/logout?${new URLSearchParams({ client_id: 'spa', post_logout_redirect_uri: 'http://localhost:5000/bye', state: 'ls' })}`,
      );
      expect(res.status).toBe(200);
      // No browser session: the logout form submits itself (oidc-provider's page).
      const page = await res.text();
      const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(page)!;
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(form[2])![1];
      const out = await browser.fetch(new URL(form[1], server.baseUrl).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf, logout: 'yes' }),
      });
      expect(out.status).toBe(303);
      expect(out.headers.get('location')).toBe('http://localhost:5000/bye?state=ls');
    });

    it('a URI outside the redirect URIs, or any URI with "-", is refused with Keycloak\'s page', async () => {
      for (const [clientId, uri] of [
        ['spa', 'http://localhost:5999/bye'],
        ['nologout', 'http://localhost:5001/bye'],
      ]) {
        const res = await logout(clientId, uri);
        expect(res.status, `${clientId} ${uri}`).toBe(400);
        expect(res.headers.get('location')).toBeNull();
      }
    });
  });

  describe('logout by POST (LogoutEndpoint#logout POST, #logoutToken)', () => {
    it('RP-initiated logout by POST with form fields is the GET logout', async () => {
      const res = await post(`${P()}/logout`, {
        client_id: 'spa',
        post_logout_redirect_uri: 'http://localhost:5000/bye',
        state: 'x',
        unknown: 'dropped',
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(
        `${P()}/logout?client_id=spa&post_logout_redirect_uri=${encodeURIComponent('http://localhost:5000/bye')}&state=x`,
      );
      // With a valid id_token_hint of the browser's session it signs out without asking, as the GET does.
      const browser = new TestBrowser();
      const callback = new URL(
        await login(
          { client_id: 'spa', response_type: 'code', redirect_uri: 'http://localhost:5000/cb' },
          browser,
        ),
      );
      const tokens = await (
        await post(`${P()}/token`, {
          grant_type: 'authorization_code',
          client_id: 'spa',
          code: callback.searchParams.get('code')!,
          redirect_uri: 'http://localhost:5000/cb',
        })
      )
        .json()
        .then(asJson);
      const posted = await browser.fetch(`${P()}/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          id_token_hint: String(tokens.id_token),
          post_logout_redirect_uri: 'http://localhost:5000/bye',
        }),
      });
      expect(posted.status).toBe(303);
      const page = await (await browser.fetch(posted.headers.get('location')!)).text();
      expect(page).toContain('<script src="/resources/logout.js"></script>');
    });

    it('refresh_token logout ends the browser session and revokes its tokens: 204', async () => {
      const browser = new TestBrowser();
      const callback = new URL(
        await login(
          { client_id: 'spa', response_type: 'code', redirect_uri: 'http://localhost:5000/cb' },
          browser,
        ),
      );
      const tokens = await (
        await post(`${P()}/token`, {
          grant_type: 'authorization_code',
          client_id: 'spa',
          code: callback.searchParams.get('code')!,
          redirect_uri: 'http://localhost:5000/cb',
        })
      )
        .json()
        .then(asJson);
      const res = await post(`${P()}/logout`, {
        client_id: 'spa',
        refresh_token: String(tokens.refresh_token),
      });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      const refresh = await post(`${P()}/token`, {
        grant_type: 'refresh_token',
        client_id: 'spa',
        refresh_token: String(tokens.refresh_token),
      });
      expect(refresh.status).toBe(400);
      const userinfo = await fetch(`${P()}/userinfo`, {
        headers: { authorization: `Bearer ${String(tokens.access_token)}` },
      });
      expect(userinfo.status).toBe(401);
      // The browser session is gone too: prompt=none now answers login_required.
      const silent = await browser.follow(
        authUrl({
          client_id: 'spa',
          response_type: 'code',
          redirect_uri: 'http://localhost:5000/cb',
          prompt: 'none',
        }),
        server.baseUrl,
      );
      expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
    });

    it("a confidential client authenticates; Keycloak's errors for a wrong client, token or secret", async () => {
      const tokens = await passwordGrant('conf', {}, basic('conf', 'conf-secret'));
      const other = await passwordGrant('spa');
      const intro = () =>
        post(
          `${P()}/token/introspect`,
          { token: String(tokens.access_token) },
          basic('conf', 'conf-secret'),
        )
          .then((r) => r.json())
          .then(asJson);
      expect((await intro()).active).toBe(true);
      expect(
        await (
          await post(
            `${P()}/logout`,
            { refresh_token: String(tokens.refresh_token) },
            basic('conf', 'wrong'),
          )
        ).json(),
      ).toEqual({
        error: 'invalid_client',
        error_description: 'Invalid client or Invalid client credentials',
      });
      const mismatch = await post(
        `${P()}/logout`,
        { refresh_token: String(other.refresh_token) },
        basic('conf', 'conf-secret'),
      );
      expect(mismatch.status).toBe(400);
      expect(await mismatch.json()).toEqual({
        error: 'invalid_grant',
        error_description: "Invalid refresh token. Token client and authorized client don't match",
      });
      const garbage = await post(
        `${P()}/logout`,
        { refresh_token: 'not-a-token' },
        basic('conf', 'conf-secret'),
      );
      expect([garbage.status, await garbage.json()]).toEqual([
        400,
        { error: 'invalid_grant', error_description: 'Invalid refresh token' },
      ]);
      const empty = await post(
        `${P()}/logout`,
        { refresh_token: '' },
        basic('conf', 'conf-secret'),
      );
      expect([empty.status, await empty.json()]).toEqual([
        400,
        { error: 'invalid_request', error_description: 'No refresh token' },
      ]);
      expect((await intro()).active).toBe(true);
      // The client secret in the form works as well as HTTP Basic (ClientIdAndSecretAuthenticator).
      expect(
        (
          await post(`${P()}/logout`, {
            client_id: 'conf',
            client_secret: 'conf-secret',
            refresh_token: String(tokens.refresh_token),
          })
        ).status,
      ).toBe(204);
      expect((await intro()).active).toBe(false);
      // The other client's tokens are untouched.
      expect(
        (
          await post(`${P()}/token`, {
            grant_type: 'refresh_token',
            client_id: 'spa',
            refresh_token: String(other.refresh_token),
          })
        ).status,
      ).toBe(200);
    });
  });

  it('discovery advertises check_session_iframe and what works here (OIDCWellKnownProvider)', async () => {
    const d = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json().then(asJson);
    expect(d.check_session_iframe).toBe(`${P()}/login-status-iframe.html`);
    const iframe = await fetch(String(d.check_session_iframe));
    expect(iframe.status).toBe(200);
    expect(await iframe.text()).toContain('<script');
    expect(d.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining([
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'client_secret_jwt',
      ]),
    );
    expect(d.introspection_endpoint_auth_methods_supported).toEqual([
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'client_secret_jwt',
    ]);
    expect(d.revocation_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining([
        'client_secret_basic',
        'private_key_jwt',
        'client_secret_jwt',
        'none',
      ]),
    );
    expect(d.response_types_supported).toEqual(
      expect.arrayContaining([
        'code',
        'id_token',
        'id_token token',
        'code id_token',
        'code token',
        'code id_token token',
      ]),
    );
    expect(d.grant_types_supported).toEqual(
      expect.arrayContaining(['implicit', 'authorization_code']),
    );
    expect(d.prompt_values_supported).toEqual(['none', 'login', 'consent']);
    expect(d.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
  });

  describe('implicit and hybrid flows (AuthorizationEndpointChecker.checkResponseType)', () => {
    it('a client with implicitFlowEnabled gets id_token and access_token in the fragment, with session_state', async () => {
      const url = await login({
        client_id: 'implicit',
        response_type: 'id_token token',
        redirect_uri: 'http://localhost:5002/cb',
        response_mode: 'fragment',
      });
      expect(url.startsWith('http://localhost:5002/cb#')).toBe(true);
      const f = fragmentOf(url);
      expect(f.get('state')).toBe('st-1');
      expect(f.get('token_type')).toBe('Bearer');
      expect(decodeJwt(f.get('id_token')!)).toMatchObject({
        nonce: 'n-1',
        azp: 'implicit',
        typ: 'ID',
        at_hash: expect.any(String),
      });
      const access = decodeJwt(f.get('access_token')!);
      expect(access).toMatchObject({ azp: 'implicit', typ: 'Bearer', preferred_username: 'alice' });
      expect(f.get('session_state')).toBe(access.sid);
      expect(f.get('refresh_token')).toBeNull();
      // Keycloak's accessTokenLifespanForImplicitFlow (default 900 s), not accessTokenLifespan (300 s).
      expect(Number(access.exp) - Number(access.iat)).toBe(900);
      const userinfo = await fetch(`${P()}/userinfo`, {
        headers: { authorization: `Bearer ${f.get('access_token')}` },
      });
      expect(await userinfo.json()).toMatchObject({ preferred_username: 'alice' });
    });

    it('hybrid (code id_token) for a client with both flows', async () => {
      const f = fragmentOf(
        await login({
          client_id: 'hybrid',
          response_type: 'code id_token',
          redirect_uri: 'http://localhost:5003/cb',
        }),
      );
      expect(f.get('code')).toEqual(expect.any(String));
      expect(decodeJwt(f.get('id_token')!)).toMatchObject({
        c_hash: expect.any(String),
        azp: 'hybrid',
      });
      const tokens = await post(`${P()}/token`, {
        grant_type: 'authorization_code',
        client_id: 'hybrid',
        code: f.get('code')!,
        redirect_uri: 'http://localhost:5003/cb',
      });
      expect(tokens.status).toBe(200);
    });

    it("a disabled flow is refused at the redirect URI with Keycloak's unauthorized_client text", async () => {
      const ask = async (params: Record<string, string>) => {
        const res = await fetch(authUrl(params), { redirect: 'manual' });
        expect(res.status).toBe(303);
        return res.headers.get('location')!;
      };
      const implicitOff = await ask({
        client_id: 'spa',
        response_type: 'id_token token',
        redirect_uri: 'http://localhost:5000/cb',
      });
      expect(implicitOff.startsWith('http://localhost:5000/cb#')).toBe(true);
      expect(Object.fromEntries(fragmentOf(implicitOff))).toMatchObject({
        error: 'unauthorized_client',
        error_description: IMPLICIT_OFF,
        state: 'st-1',
      });
      const standardOff = await ask({
        client_id: 'implicit',
        response_type: 'code',
        redirect_uri: 'http://localhost:5002/cb',
      });
      expect(Object.fromEntries(new URL(standardOff).searchParams)).toMatchObject({
        error: 'unauthorized_client',
        error_description: STANDARD_OFF,
        state: 'st-1',
      });
      // An unregistered redirect URI is still never redirected to.
      const foreign = await fetch(
        authUrl({
          client_id: 'spa',
          response_type: 'id_token token',
          redirect_uri: 'http://evil.example/cb',
        }),
        { redirect: 'manual' },
      );
      expect(foreign.status).toBe(400);
      expect(foreign.headers.get('location')).toBeNull();
    });
  });

  describe("response_mode=fragment keeps the redirect URI's fragment (FragmentRedirectUriBuilder)", () => {
    it('a hash-routed app gets its route back, then the parameters; the code redeems with the same redirect_uri', async () => {
      const redirectUri = 'http://localhost:5000/app/#/orders/7?tab=2';
      const url = await login({
        client_id: 'spa',
        response_type: 'code',
        response_mode: 'fragment',
        redirect_uri: redirectUri,
      });
      expect(url.startsWith('http://localhost:5000/app/#/orders/7?tab=2&')).toBe(true);
      const params = fragmentOf(url.slice(url.indexOf('&')));
      expect(params.get('state')).toBe('st-1');
      expect(params.get('session_state')).toEqual(expect.any(String));
      const tokens = await post(`${P()}/token`, {
        grant_type: 'authorization_code',
        client_id: 'spa',
        code: params.get('code')!,
        redirect_uri: redirectUri,
      });
      expect(tokens.status).toBe(200);
    });

    it('a fragment is refused in query mode, and one carrying OAuth response parameters always', async () => {
      for (const [mode, uri] of [
        ['query', 'http://localhost:5000/app/#/x'],
        ['fragment', 'http://localhost:5000/app/#state=forged'],
        ['fragment', 'http://localhost:5000/app/#/x&code=stolen'],
      ]) {
        const res = await fetch(
          authUrl({
            client_id: 'spa',
            response_type: 'code',
            response_mode: mode,
            redirect_uri: uri,
          }),
          { redirect: 'manual', headers: { accept: 'text/html' } },
        );
        expect(res.status, uri).toBe(400);
        expect(await res.text()).toContain('Invalid parameter: redirect_uri');
      }
    });
  });

  it('introspection of an empty token is {"active":false}; a missing one stays 400 (TokenIntrospectionEndpoint)', async () => {
    const empty = await post(
      `${P()}/token/introspect`,
      { token: '' },
      basic('conf', 'conf-secret'),
    );
    expect([empty.status, await empty.json()]).toEqual([200, { active: false }]);
    expect((await post(`${P()}/token/introspect`, {}, basic('conf', 'conf-secret'))).status).toBe(
      400,
    );
    // Still only for an authenticated confidential client.
    expect(
      (await post(`${P()}/token/introspect`, { token: '' }, basic('conf', 'wrong'))).status,
    ).toBe(401);
  });

  describe('client authentication by clientAuthenticatorType', () => {
    const clientCredentials = async (clientId: string, auth: oidc.ClientAuth) => {
      const config = await oidc.discovery(new URL(issuer), clientId, {}, auth, insecure);
      return oidc.clientCredentialsGrant(config);
    };

    it('client-jwt with jwks.url: private_key_jwt (openid-client PrivateKeyJwt); a foreign key is refused', async () => {
      const tokens = await clientCredentials(
        'jwt-url',
        oidc.PrivateKeyJwt({ key: jwtKey, kid: 'jwt-url-1' }),
      );
      expect(decodeJwt(tokens.access_token)).toMatchObject({
        azp: 'jwt-url',
        preferred_username: 'service-account-jwt-url',
      });
      const foreign = (await generateKeyPair('RS256')).privateKey;
      await expect(
        clientCredentials('jwt-url', oidc.PrivateKeyJwt({ key: foreign, kid: 'jwt-url-1' })),
      ).rejects.toMatchObject({ error: 'invalid_client' });
    });

    it('client-jwt with jwt.credential.certificate', async () => {
      const key = await importPKCS8(cert.keyPem, 'RS256');
      const tokens = await clientCredentials('jwt-cert', oidc.PrivateKeyJwt(key));
      expect(decodeJwt(tokens.access_token).azp).toBe('jwt-cert');
    });

    it('client-secret-jwt (openid-client ClientSecretJwt); a wrong secret or a plain secret is refused', async () => {
      const tokens = await clientCredentials('secret-jwt', oidc.ClientSecretJwt(SECRET_JWT));
      expect(decodeJwt(tokens.access_token).azp).toBe('secret-jwt');
      await expect(
        clientCredentials('secret-jwt', oidc.ClientSecretJwt(`${SECRET_JWT}x`)),
      ).rejects.toMatchObject({ error: 'invalid_client' });
      const plain = await post(
        `${P()}/token`,
        { grant_type: 'client_credentials' },
        basic('secret-jwt', SECRET_JWT),
      );
      expect(plain.status).toBe(401);
    });

    it('client-secret: basic and post', async () => {
      expect(
        (await clientCredentials('conf', oidc.ClientSecretBasic('conf-secret'))).access_token,
      ).toEqual(expect.any(String));
      expect(
        (await clientCredentials('conf', oidc.ClientSecretPost('conf-secret'))).access_token,
      ).toEqual(expect.any(String));
    });
  });

  describe('DPoP (RFC 9449)', () => {
    it("a public client's code flow with DPoP: token_type DPoP, cnf.jkt in the access and refresh tokens, proof needed at userinfo and refresh", async () => {
      const config = await oidc.discovery(new URL(issuer), 'spa2', {}, oidc.None(), insecure);
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const dpop = oidc.getDPoPHandle(config, keyPair);
      const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: 'http://localhost:5004/cb',
        scope: 'openid',
        state: 'd1',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const done = await signIn(
        new TestBrowser(),
        url.toString(),
        server.baseUrl,
        'alice',
        'alice-pw',
      );
      const tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(done.url),
        { pkceCodeVerifier: verifier, expectedState: 'd1' },
        undefined,
        { DPoP: dpop },
      );
      expect(tokens.token_type).toBe('dpop');
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
      expect(decodeJwt(tokens.refresh_token!).cnf).toEqual({ jkt });
      const sub = String(decodeJwt(tokens.access_token).sub);
      expect(
        await oidc.fetchUserInfo(config, tokens.access_token, sub, { DPoP: dpop }),
      ).toMatchObject({ preferred_username: 'alice' });
      const asBearer = await fetch(`${P()}/userinfo`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(asBearer.status).toBe(401);
      const noProof = await post(`${P()}/token`, {
        grant_type: 'refresh_token',
        client_id: 'spa2',
        refresh_token: tokens.refresh_token!,
      });
      expect(noProof.status).toBe(400);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, {
        DPoP: dpop,
      });
      expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });
      const introspected = await post(
        `${P()}/token/introspect`,
        { token: refreshed.access_token },
        basic('conf', 'conf-secret'),
      )
        .then((r) => r.json())
        .then(asJson);
      expect(introspected).toMatchObject({ active: true, cnf: { jkt } });
    });

    it("the password grant (Keycloak's direct grant) binds its tokens to a DPoP proof too; a bad proof is refused", async () => {
      const config = await oidc.discovery(new URL(issuer), 'spa2', {}, oidc.None(), insecure);
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
      const tokens = await oidc.genericGrantRequest(
        config,
        'password',
        { username: 'alice', password: 'alice-pw', scope: 'openid' },
        { DPoP: oidc.getDPoPHandle(config, keyPair) },
      );
      expect(tokens.token_type).toBe('dpop');
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
      expect(decodeJwt(tokens.refresh_token!).cnf).toEqual({ jkt });
      const bad = await post(
        `${P()}/token`,
        { grant_type: 'password', client_id: 'spa2', username: 'alice', password: 'alice-pw' },
        { dpop: 'not-a-proof' },
      );
      expect(bad.status).toBe(400);
      expect((await bad.json().then(asJson)).error).toBe('invalid_dpop_proof');
      const plain = await passwordGrant('spa2');
      expect([plain.token_type, decodeJwt(String(plain.access_token)).cnf]).toEqual([
        'Bearer',
        undefined,
      ]);
    });

    it('client_credentials with DPoP binds the token too; without a proof the token is Bearer', async () => {
      const config = await oidc.discovery(
        new URL(issuer),
        'conf',
        {},
        oidc.ClientSecretBasic('conf-secret'),
        insecure,
      );
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const bound = await oidc.clientCredentialsGrant(config, undefined, {
        DPoP: oidc.getDPoPHandle(config, keyPair),
      });
      expect(bound.token_type).toBe('dpop');
      expect(decodeJwt(bound.access_token).cnf).toEqual({
        jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)),
      });
      const plain = await oidc.clientCredentialsGrant(config);
      expect(plain.token_type).toBe('bearer');
      expect(decodeJwt(plain.access_token).cnf).toBeUndefined();
    });
  });
});

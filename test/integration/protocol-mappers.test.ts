/**
 * Client scopes and protocol mappers through HTTP, on PGlite and PostgreSQL: a realm file with
 * its own client scopes and mappers; the access token, id token and userinfo carry their claims
 * as Keycloak 26 emits them. Expected values follow Keycloak's mapper classes
 * (services/src/main/java/org/keycloak/protocol/oidc/mappers/: UserAttributeMapper,
 * HardcodedClaim, AudienceProtocolMapper, GroupMembershipMapper, UserRealmRoleMappingMapper,
 * UserSessionNoteMapper), OIDCAttributeMapperHelper (include flags, dotted claim names) and
 * TokenManager (optional scopes by `scope=`, isValidScope: "Invalid scopes: ..."), and the
 * Server Administration Guide, "Managing OpenID Connect and SAML Clients" > "Client scopes" and
 * "Protocol mappers".
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { asJson } from '../helpers/json.ts';
import * as oidc from 'openid-client';
import { builtinClientScope } from '../../src/mappers/builtin-client-scopes.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REDIRECT = 'http://localhost:3000/callback';
const ALL = {
  'access.token.claim': 'true',
  'id.token.claim': 'true',
  'userinfo.token.claim': 'true',
  'introspection.token.claim': 'true',
};
const mapper = (name: string, protocolMapper: string, config: Record<string, string>) => ({
  name,
  protocol: 'openid-connect',
  protocolMapper,
  config,
});

const REALM = {
  realm: 'mappers',
  enabled: true,
  keycloakVersion: '26.0.0',
  roles: { realm: [{ name: 'editor' }], client: { api: [{ name: 'read' }] } },
  groups: [{ name: 'staff', subGroups: [{ name: 'devs' }] }],
  clientScopes: [
    builtinClientScope('basic'),
    builtinClientScope('profile'),
    builtinClientScope('roles'),
    builtinClientScope('acr'),
    {
      name: 'company',
      protocol: 'openid-connect',
      attributes: { 'include.in.token.scope': 'false' },
      protocolMappers: [
        mapper('department', 'oidc-usermodel-attribute-mapper', {
          ...ALL,
          'user.attribute': 'department',
          'claim.name': 'department',
          'jsonType.label': 'String',
        }),
        mapper('tenant', 'oidc-hardcoded-claim-mapper', {
          ...ALL,
          'claim.value': 'acme',
          'claim.name': 'tenant',
          'jsonType.label': 'String',
        }),
        mapper('api audience', 'oidc-audience-mapper', {
          'included.client.audience': 'api',
          'access.token.claim': 'true',
          'id.token.claim': 'false',
        }),
        mapper('groups', 'oidc-group-membership-mapper', {
          ...ALL,
          'full.path': 'true',
          'claim.name': 'groups',
        }),
        mapper('flat roles', 'oidc-usermodel-realm-role-mapper', {
          ...ALL,
          multivalued: 'true',
          'claim.name': 'roles',
          'jsonType.label': 'String',
        }),
        mapper('not introspected', 'oidc-hardcoded-claim-mapper', {
          'access.token.claim': 'true',
          'introspection.token.claim': 'false',
          'claim.value': 'at-only',
          'claim.name': 'at_only',
          'jsonType.label': 'String',
        }),
      ],
    },
    {
      name: 'extra',
      protocol: 'openid-connect',
      attributes: { 'include.in.token.scope': 'true' },
      protocolMappers: [
        mapper('extra claim', 'oidc-hardcoded-claim-mapper', {
          ...ALL,
          'claim.value': 'yes',
          'claim.name': 'extra_claim',
          'jsonType.label': 'String',
        }),
        mapper('plan', 'oidc-hardcoded-claim-mapper', {
          ...ALL,
          'claim.value': 'gold',
          'claim.name': 'org.plan',
          'jsonType.label': 'String',
        }),
        mapper('scripted', 'oidc-script-based-protocol-mapper', {
          ...ALL,
          script: 'token.setOtherClaims("x", 1)',
          'claim.name': 'x',
        }),
      ],
    },
  ],
  defaultDefaultClientScopes: ['basic', 'profile', 'roles', 'acr'],
  defaultOptionalClientScopes: [],
  clients: [
    {
      clientId: 'web',
      publicClient: true,
      directAccessGrantsEnabled: true,
      standardFlowEnabled: true,
      redirectUris: ['http://localhost:3000/*'],
      webOrigins: ['+'],
      defaultClientScopes: ['basic', 'profile', 'roles', 'acr', 'company'],
      optionalClientScopes: ['extra'],
    },
    { clientId: 'api', bearerOnly: true },
    {
      clientId: 'lite',
      publicClient: true,
      directAccessGrantsEnabled: true,
      standardFlowEnabled: false,
      attributes: { 'client.use.lightweight.access.token.enabled': 'true' },
      defaultClientScopes: ['basic', 'company'],
      optionalClientScopes: [],
    },
    {
      clientId: 'svc',
      publicClient: false,
      secret: 'svc-secret',
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      defaultClientScopes: ['basic', 'roles'],
      optionalClientScopes: [],
      // The "Client ID" mapper Keycloak < 26.1 put on every service-account client.
      protocolMappers: [
        mapper('Client ID', 'oidc-usersessionmodel-note-mapper', {
          ...ALL,
          'user.session.note': 'clientId',
          'claim.name': 'clientId',
          'jsonType.label': 'String',
        }),
      ],
    },
  ],
  users: [
    {
      username: 'alice',
      enabled: true,
      email: 'alice@example.com',
      emailVerified: true,
      firstName: 'Alice',
      lastName: 'Liddell',
      attributes: { department: ['R&D'] },
      credentials: [{ type: 'password', value: 'alice' }],
      // default-roles-mappers as a Keycloak export lists it (Keycloak's import grants no default role).
      realmRoles: ['editor', 'default-roles-mappers'],
      clientRoles: { api: ['read'] },
      groups: ['/staff/devs'],
    },
  ],
};

const stores = await testStores();

describe.each(stores)('protocol mappers on $name', (store) => {
  let server: TestServer;
  let issuer: string;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  const logDir = mkdtempSync(path.join(tmpdir(), 'qsign-mappers-log-'));
  const logFile = path.join(logDir, 'server.log');
  beforeAll(async () => {
    server = await startStoreServer(store, {
      master: false,
      realms: [REALM],
      logFile,
      env: { LOG_LEVEL: 'warn' },
    });
    issuer = `${server.baseUrl}/realms/mappers`;
    jwks = createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    rmSync(logDir, { recursive: true, force: true });
  });

  const verify = async (jwt: string): Promise<JWTPayload> =>
    (await jwtVerify(jwt, jwks, { issuer })).payload;
  async function token(form: Record<string, string>, auth?: [string, string]) {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (auth) headers.authorization = `Basic ${Buffer.from(auth.join(':')).toString('base64')}`;
    const res = await fetch(`${issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: await res.json().then(asJson) };
  }
  async function userinfo(accessToken: string) {
    const res = await fetch(`${issuer}/protocol/openid-connect/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(res.status).toBe(200);
    return res.json().then(asJson);
  }
  const password = (scope: string) =>
    token({
      grant_type: 'password',
      client_id: 'web',
      username: 'alice',
      password: 'alice',
      scope,
    });

  it("default scopes' mappers: user attribute, hardcoded claim, audience, full group paths, realm roles as `roles`", async () => {
    const { status, body } = await password('openid');
    expect(status).toBe(200);
    const access = await verify(String(body.access_token));
    expect(access).toMatchObject({
      department: 'R&D',
      tenant: 'acme',
      groups: ['/staff/devs'],
      azp: 'web',
      typ: 'Bearer',
      preferred_username: 'alice',
    });
    expect(access.roles).toEqual(expect.arrayContaining(['editor']));
    expect(access.realm_access).toEqual({ roles: expect.arrayContaining(['editor']) });
    expect(access.resource_access).toMatchObject({ api: { roles: ['read'] } });
    // The audience mapper names `api`; the roles scope's audience resolve mapper adds it again
    // (a set) and `account`, whose roles the user holds through the default roles.
    expect([...(access.aud as string[])].sort()).toEqual(['account', 'api']);
    expect(access.auth_time).toEqual(expect.any(Number));
    // `company` has include.in.token.scope false: applied, not listed. Optional `extra` not asked for.
    // basic, roles and acr have include.in.token.scope false in Keycloak 26 (as `company` here).
    expect(access.scope).toBe('openid profile');
    expect(body.scope).toBe(access.scope);
    expect(access).not.toHaveProperty('extra_claim');
    expect(access).not.toHaveProperty('org');

    const id = await verify(String(body.id_token));
    expect(id).toMatchObject({
      typ: 'ID',
      aud: 'web',
      azp: 'web',
      department: 'R&D',
      tenant: 'acme',
      groups: ['/staff/devs'],
      preferred_username: 'alice',
      sid: access.sid,
    });
    expect(id.roles).toEqual(expect.arrayContaining(['editor']));
    expect(id.auth_time).toBe(access.auth_time);
    expect(id).not.toHaveProperty('extra_claim');

    const info = await userinfo(String(body.access_token));
    expect(info).toMatchObject({
      sub: access.sub,
      department: 'R&D',
      tenant: 'acme',
      groups: ['/staff/devs'],
      preferred_username: 'alice',
    });
    expect(info.roles).toEqual(expect.arrayContaining(['editor']));
    // UserInfoEndpoint copies neither aud nor acr, auth_time, azp.
    for (const claim of ['aud', 'acr', 'auth_time', 'azp', 'extra_claim'])
      expect(info).not.toHaveProperty(claim);
  });

  it("introspection answers the introspection target's claims (introspection.token.claim), with username, client_id, token_type", async () => {
    const { body } = await password('openid extra');
    const access = await verify(String(body.access_token));
    expect(access.at_only).toBe('at-only');
    const res = await fetch(`${issuer}/protocol/openid-connect/token/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('svc:svc-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ token: String(body.access_token) }),
    });
    const answer = await res.json().then(asJson);
    expect(answer).toMatchObject({
      active: true,
      client_id: 'web',
      username: 'alice',
      token_type: 'Bearer',
      sub: access.sub,
      scope: access.scope,
      aud: access.aud,
      department: 'R&D',
      tenant: 'acme',
      extra_claim: 'yes',
      groups: ['/staff/devs'],
      typ: 'Bearer',
      azp: 'web',
      exp: access.exp,
    });
    expect(answer).not.toHaveProperty('at_only');
  });

  it("a client with lightweight access tokens gets only the lightweight.claim mappers' claims; introspection gives the rest", async () => {
    // Keycloak 26 Server Administration Guide, "Using lightweight access token": mappers write
    // to it only with "Add to lightweight access token" (lightweight.claim) on; a resource server
    // introspects the token for the other claims.
    const { status, body } = await token({
      grant_type: 'password',
      client_id: 'lite',
      username: 'alice',
      password: 'alice',
    });
    expect(status).toBe(200);
    const access = await verify(String(body.access_token));
    expect(access).toMatchObject({ typ: 'Bearer', azp: 'lite' });
    for (const claim of ['department', 'tenant', 'groups', 'roles', 'sub', 'aud'])
      expect(access).not.toHaveProperty(claim);
    const res = await fetch(`${issuer}/protocol/openid-connect/token/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('svc:svc-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ token: String(body.access_token) }),
    });
    expect(await res.json().then(asJson)).toMatchObject({
      active: true,
      client_id: 'lite',
      department: 'R&D',
      tenant: 'acme',
      groups: ['/staff/devs'],
      sub: expect.any(String),
    });
  });

  it("scope= adds an optional scope's mappers (dotted claim names nest); its name is in `scope`", async () => {
    const { status, body } = await password('openid extra');
    expect(status).toBe(200);
    const access = await verify(String(body.access_token));
    expect(access).toMatchObject({ extra_claim: 'yes', org: { plan: 'gold' }, department: 'R&D' });
    expect(String(access.scope).split(' ')).toContain('extra');
    expect(String(access.scope).split(' ')).not.toContain('company');
    // The script mapper's provider is not deployed here: skipped, the token is issued without it,
    // and the skip is logged once for this realm version however many tokens are issued.
    expect(access).not.toHaveProperty('x');
    expect((await password('openid extra')).status).toBe(200);
    // The log is written asynchronously: wait for the line.
    const skippedLines = () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.mapper === 'scripted (oidc-script-based-protocol-mapper)');
    const skipped = await vi.waitFor(
      () => {
        const lines = skippedLines();
        expect(lines.length).toBeGreaterThan(0);
        return lines;
      },
      { timeout: 10_000 },
    );
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ realm: 'mappers', clientId: 'web', level: 40 });
    expect(await verify(String(body.id_token))).toMatchObject({
      extra_claim: 'yes',
      org: { plan: 'gold' },
    });
    expect(await userinfo(String(body.access_token))).toMatchObject({
      extra_claim: 'yes',
      org: { plan: 'gold' },
    });
    // The refresh token carries the same scope, and the refreshed tokens the same claims.
    const refreshed = await token({
      grant_type: 'refresh_token',
      client_id: 'web',
      refresh_token: String(body.refresh_token),
    });
    expect(refreshed.status).toBe(200);
    expect(await verify(String(refreshed.body.access_token))).toMatchObject({
      extra_claim: 'yes',
      department: 'R&D',
      scope: access.scope,
    });
    // Without a scope parameter: the default scopes, at login and at refresh.
    const plain = await token({
      grant_type: 'password',
      client_id: 'web',
      username: 'alice',
      password: 'alice',
    });
    expect((await verify(String(plain.body.access_token))).scope).toBe('profile');
    const again = await token({
      grant_type: 'refresh_token',
      client_id: 'web',
      refresh_token: String(plain.body.refresh_token),
    });
    expect(again.status).toBe(200);
    expect(await verify(String(again.body.access_token))).toMatchObject({
      department: 'R&D',
      scope: 'profile',
    });
    expect(again.body.scope).toBe('profile');
  });

  it("authorization code flow: the id token and access token carry the mappers' claims of the requested scopes", async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const query = new URLSearchParams({
      client_id: 'web',
      response_type: 'code',
      scope: 'openid extra',
      redirect_uri: REDIRECT,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce: 'n-1',
    });
    const done = await signIn(
      new TestBrowser(),
      `${issuer}/protocol/openid-connect/auth?${query}`,
      server.baseUrl,
      'alice',
      'alice',
    );
    const code = new URL(done.url).searchParams.get('code');
    expect(code).toEqual(expect.any(String));
    const { status, body } = await token({
      grant_type: 'authorization_code',
      client_id: 'web',
      code: code!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect([status, body.error_description]).toEqual([200, undefined]);
    const access = await verify(String(body.access_token));
    expect(access).toMatchObject({
      extra_claim: 'yes',
      department: 'R&D',
      groups: ['/staff/devs'],
      aud: expect.arrayContaining(['api']),
    });
    const id = await verify(String(body.id_token));
    expect(id).toMatchObject({
      nonce: 'n-1',
      extra_claim: 'yes',
      department: 'R&D',
      tenant: 'acme',
      aud: 'web',
      sid: access.sid,
    });
    expect(id.auth_time).toBe(access.auth_time);
    expect(id.at_hash).toEqual(expect.any(String));
  });

  it('a scope the client has not got is invalid_scope "Invalid scopes: ..." at the token and authorization endpoints', async () => {
    const refused = await password('openid nope');
    expect(refused).toEqual({
      status: 400,
      body: expect.objectContaining({
        error: 'invalid_scope',
        error_description: 'Invalid scopes: openid nope',
      }),
    });
    // A realm scope that is not one of this client's scopes is just as invalid.
    const svcScope = await token({ grant_type: 'client_credentials', scope: 'extra' }, [
      'svc',
      'svc-secret',
    ]);
    expect(svcScope).toEqual({
      status: 400,
      body: expect.objectContaining({
        error: 'invalid_scope',
        error_description: 'Invalid scopes: extra',
      }),
    });
    const svcUnknown = await token({ grant_type: 'client_credentials', scope: 'nope' }, [
      'svc',
      'svc-secret',
    ]);
    expect(svcUnknown).toEqual({
      status: 400,
      body: expect.objectContaining({
        error: 'invalid_scope',
        error_description: 'Invalid scopes: nope',
      }),
    });
    const query = new URLSearchParams({
      client_id: 'web',
      response_type: 'code',
      scope: 'openid nope',
      redirect_uri: REDIRECT,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const auth = await fetch(`${issuer}/protocol/openid-connect/auth?${query}`, {
      redirect: 'manual',
    });
    expect([auth.status, auth.headers.get('location')]).toEqual([
      303,
      expect.stringContaining('error=invalid_scope'),
    ]);
    const location = new URL(auth.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    expect(location.searchParams.get('error_description')).toBe('Invalid scopes: openid nope');
  });

  it("client_credentials: the client's own session note mapper gives `clientId`; no auth_time", async () => {
    const { status, body } = await token({ grant_type: 'client_credentials' }, [
      'svc',
      'svc-secret',
    ]);
    expect(status).toBe(200);
    const access = await verify(String(body.access_token));
    expect(access).toMatchObject({ clientId: 'svc', azp: 'svc', sub: expect.any(String) });
    expect(access).not.toHaveProperty('auth_time');
    // svc has neither `profile` nor `service_account`: no username, no client_id claim.
    expect(access).not.toHaveProperty('preferred_username');
    expect(access).not.toHaveProperty('client_id');
    // basic and roles have include.in.token.scope false: an empty scope.
    expect(access.scope).toBe('');
  });
});

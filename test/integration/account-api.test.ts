/**
 * The account REST API (`/realms/{realm}/account/...`) as Keycloak 26's AccountRestService serves
 * it to @keycloak/keycloak-account-ui, driven with real tokens of the realm's `account-console`
 * client from a full authorization-code login (PKCE; Keycloak gives that client no direct grant).
 * Expected bodies come from Keycloak's sources: AccountLoader (content negotiation, audience,
 * service accounts), Auth (token roles), AccountRestService / ErrorResponse.errors (validation
 * body), the default user profile (keycloak-default-user-profile.json) and its validators
 * (LengthValidator, EmailValidator, UsernameMutationValidator, ReadOnlyAttributeUnchangedValidator,
 * AttributeRequiredByMetadataValidator), SessionResource, AccountCredentialResource,
 * CredentialDeleteHelper, KeycloakErrorHandler (`{"error": message}`). Runs on PGlite and on
 * PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.ts';
import { codeFlowLogin, type CodeFlowTokens } from '../helpers/code-flow.ts';
import { asJson, type Json } from '../helpers/json.ts';
import { testStores } from '../helpers/components.ts';

const REALM = 'acct';
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const FIREFOX_WIN =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const user = (username: string, extra: Record<string, unknown> = {}) => ({
  username,
  enabled: true,
  email: `${username}@example.com`,
  firstName: username[0].toUpperCase() + username.slice(1),
  lastName: 'Tester',
  credentials: [{ type: 'password', value: `${username}-pw` }],
  // Keycloak realm exports list the default role explicitly (it holds account/manage-account).
  realmRoles: ['default-roles-acct'],
  ...extra,
});

let server: TestServer;
let base: string;
const ACCOUNT_REDIRECT = () => `${server.baseUrl}/realms/${REALM}/account/`;

let dropDb: (() => Promise<void>) | undefined;
const login = (username: string, userAgent = CHROME) =>
  codeFlowLogin({
    baseUrl: server.baseUrl,
    realm: REALM,
    clientId: 'account-console',
    redirectUri: ACCOUNT_REDIRECT(),
    username,
    password: `${username}-pw`,
    userAgent,
  });

/** A call as the account console makes it: Content-Type application/json, bearer token. */
async function call(
  token: string | undefined,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...init.headers,
    },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? asJson(JSON.parse(text)) : undefined,
    headers: res.headers,
  };
}

async function passwordGrant(clientId: string, username: string) {
  const res = await fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: clientId,
      username,
      password: `${username}-pw`,
    }),
  });
  expect(res.status).toBe(200);
  return asJson(await res.json()).access_token as string;
}

async function refresh(tokens: CodeFlowTokens): Promise<number> {
  const res = await fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: 'account-console',
      refresh_token: tokens.refresh_token,
    }),
  });
  await res.body?.cancel();
  return res.status;
}

const stores = await testStores();

describe.each(stores)('account API on $name', (store) => {
  beforeAll(async () => {
    const db = await store.databaseUrl?.();
    dropDb = db?.drop;
    server = await startServer({
      databaseUrl: db?.url,
      realms: [
        {
          realm: REALM,
          users: [
            user('alice'),
            user('bob'),
            user('carol'),
            user('dave', { attributes: { department: ['R&D'] } }),
            user('erin'),
            user('viewer'),
          ],
          clients: [
            {
              clientId: 'spa',
              publicClient: true,
              directAccessGrantsEnabled: true,
              redirectUris: ['http://localhost:3000/*'],
              webOrigins: ['http://localhost:3000'],
            },
            // A client whose tokens carry no `account` role: no `account` audience.
            {
              clientId: 'narrow',
              publicClient: true,
              directAccessGrantsEnabled: true,
              fullScopeAllowed: false,
            },
            // Tokens with view-profile only (scope mapping), for the role checks.
            {
              clientId: 'viewonly',
              publicClient: true,
              directAccessGrantsEnabled: true,
              fullScopeAllowed: false,
            },
            { clientId: 'svc', secret: 'svc-secret', serviceAccountsEnabled: true },
          ],
          clientScopeMappings: { account: [{ client: 'viewonly', roles: ['view-profile'] }] },
        },
      ],
    });
    base = `${server.baseUrl}/realms/${REALM}/account`;
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await dropDb?.();
  });

  describe('account API profile', () => {
    it('GET / answers the account UserRepresentation with Keycloak default user-profile metadata', async () => {
      const { access_token } = await login('alice');
      const { status, body, headers } = await call(access_token, '/?userProfileMetadata=true');
      expect(status).toBe(200);
      expect(headers.get('cache-control')).toBe('no-cache');
      expect(body).toMatchObject({
        username: 'alice',
        firstName: 'Alice',
        lastName: 'Tester',
        email: 'alice@example.com',
        emailVerified: false,
      });
      expect(body.attributes).toBeUndefined();
      const meta = Object.fromEntries(
        body.userProfileMetadata.attributes.map((a: Json) => [a.name, a]),
      );
      expect(Object.keys(meta)).toEqual(['username', 'email', 'firstName', 'lastName']);
      // editUsernameAllowed is false by default: username is read-only in the ACCOUNT context.
      expect(meta.username).toMatchObject({
        readOnly: true,
        required: false,
        displayName: '${username}',
      });
      expect(meta.username.validators.length).toEqual({ min: 3, max: 255 });
      expect(meta.email).toMatchObject({ readOnly: false, required: true });
      expect(meta.firstName.validators).toHaveProperty('person-name-prohibited-characters');
      expect(body.userProfileMetadata.groups).toEqual([
        expect.objectContaining({ name: 'user-metadata', displayHeader: 'User metadata' }),
      ]);
      const plain = await call(access_token, '/?userProfileMetadata=false');
      expect(plain.body.userProfileMetadata).toBeUndefined();
    });

    it('is the API only for JSON requests (AccountLoader); keycloak-js sends Accept: application/json', async () => {
      const token = await passwordGrant('spa', 'alice');
      const res = await fetch(`${base}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
      expect(res.status).toBe(200);
      expect(asJson(await res.json()).username).toBe('alice');
      const page = await fetch(`${base}/`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/html' },
      });
      const text = await page.text();
      expect(text).not.toContain('"username":"alice"');
      // A page request is the Account Console's (src/console/account-page.ts): its HTML page when
      // the consoles are built, else a 404 saying how to build them; never the API's JSON.
      expect(
        page.status === 200 ? page.headers.get('content-type') : `${page.status} ${text}`,
      ).toMatch(/^text\/html|^404 .*build:console/);
      // The versioned prefix of AccountRestApiVersion.
      const versioned = await call(token, '/v1alpha1/');
      expect(versioned.status).toBe(200);
      expect(versioned.body.username).toBe('alice');
    });

    it('POST / updates names and email (204), resets emailVerified on an email change, records nothing else', async () => {
      const { access_token } = await login('carol');
      await server.db.query(
        `UPDATE users SET representation = jsonb_set(representation, '{emailVerified}', 'true') WHERE username = 'carol'`,
      );
      const before = (await call(access_token, '/')).body;
      expect(before.emailVerified).toBe(true);
      const updated = await call(access_token, '/', {
        method: 'POST',
        body: {
          ...before,
          firstName: 'Caroline',
          lastName: 'Updated',
          email: 'Carol.New@Example.com',
        },
      });
      expect(updated.status).toBe(204);
      const after = (await call(access_token, '/')).body;
      expect(after).toMatchObject({
        username: 'carol',
        firstName: 'Caroline',
        lastName: 'Updated',
        email: 'carol.new@example.com',
        emailVerified: false,
      });
    });

    it('refuses bad input with Keycloak validation errors and changes nothing', async () => {
      const { access_token } = await login('dave');
      const before = (await call(access_token, '/')).body;
      const post = (change: Record<string, unknown>) =>
        call(access_token, '/', { method: 'POST', body: { ...before, ...change } });

      const long = await post({ firstName: 'x'.repeat(256) });
      expect(long.status).toBe(400);
      // LengthValidator with only `max`: error-invalid-length-too-long, params [attribute, min, max].
      expect(long.body.errors).toEqual([
        {
          field: 'firstName',
          errorMessage: 'error-invalid-length-too-long',
          params: ['${firstName}', null, '255'],
        },
      ]);
      expect(long.body).toMatchObject({
        field: 'firstName',
        errorMessage: 'error-invalid-length-too-long',
      });

      const email = await post({ email: 'not-an-email' });
      expect(email.body.errors).toEqual([
        { field: 'email', errorMessage: 'error-invalid-email', params: ['${email}'] },
      ]);
      const required = await post({ lastName: '' });
      expect(required.body.errors).toEqual([
        {
          field: 'lastName',
          errorMessage: 'error-user-attribute-required',
          params: ['${lastName}'],
        },
      ]);
      const chars = await post({ firstName: 'Dave<script>' });
      expect(chars.body.errors[0]).toMatchObject({
        field: 'firstName',
        errorMessage: 'error-person-name-invalid-character',
      });
      // editUsernameAllowed is off: UsernameMutationValidator.
      const username = await post({ username: 'dave2' });
      expect(username.status).toBe(400);
      expect(username.body.errors).toEqual([
        { field: 'username', errorMessage: 'readOnlyUsernameMessage', params: ['${username}'] },
      ]);
      // Unmanaged attributes are read-only for the user (no unmanagedAttributePolicy).
      const unknown = await post({ attributes: { department: ['R&D'], isAdmin: ['true'] } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors).toEqual([
        {
          field: 'isAdmin',
          errorMessage: 'updateReadOnlyAttributesRejectedMessage',
          params: ['isAdmin'],
        },
      ]);
      const changed = await post({ attributes: { department: ['Sales'] } });
      expect(changed.body.errors[0]).toMatchObject({
        field: 'department',
        errorMessage: 'updateReadOnlyAttributesRejectedMessage',
      });
      const notJson = await call(access_token, '/', { method: 'POST', body: '{"firstName":' });
      expect(notJson).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      const wrongType = await post({ firstName: { $ne: 1 } });
      expect(wrongType.status).toBe(400);
      const nul = await post({ firstName: 'a\u0000b' });
      expect(nul.status).toBe(400);
      const huge = await post({ lastName: 'y'.repeat(100_000) });
      expect(huge.status).toBe(413);
      // A read-only attribute sent unchanged, or left out, is fine.
      const same = await post({ attributes: { department: ['R&D'] } });
      expect(same.status).toBe(204);
      const stored = await server.db.query<{ representation: Json }>(
        "SELECT representation FROM users WHERE username = 'dave'",
      );
      expect(stored[0].representation).toMatchObject({
        username: 'dave',
        firstName: 'Dave',
        lastName: 'Tester',
        attributes: { department: ['R&D'] },
      });
    });

    it('refuses an email another user has with 409 emailExistsMessage', async () => {
      const { access_token } = await login('erin');
      const before = (await call(access_token, '/')).body;
      const res = await call(access_token, '/', {
        method: 'POST',
        body: { ...before, email: 'ALICE@example.com' },
      });
      expect(res.status).toBe(409);
      expect(res.body.errors).toEqual([
        { field: 'email', errorMessage: 'emailExistsMessage', params: [] },
      ]);
    });
  });

  describe('account API authentication', () => {
    it('answers 401 without a token, with a bad one, for a token without the account audience, a service account, a disabled user', async () => {
      expect(await call(undefined, '/')).toMatchObject({
        status: 401,
        body: { error: 'HTTP 401 Unauthorized' },
      });
      expect((await call('not.a.token', '/sessions')).status).toBe(401);
      const narrow = await passwordGrant('narrow', 'alice');
      expect((await call(narrow, '/')).status).toBe(401);
      const svc = await fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'svc',
          client_secret: 'svc-secret',
        }),
      });
      const svcToken = asJson(await svc.json()).access_token as string;
      expect((await call(svcToken, '/')).status).toBe(401);
      const { access_token } = await login('viewer');
      expect((await call(access_token, '/')).status).toBe(200);
      await server.db.query(
        `UPDATE users SET representation = jsonb_set(representation, '{enabled}', 'false') WHERE username = 'viewer'`,
      );
      expect((await call(access_token, '/')).status).toBe(401);
      await server.db.query(
        `UPDATE users SET representation = jsonb_set(representation, '{enabled}', 'true') WHERE username = 'viewer'`,
      );
    });

    it('checks the token roles of the account client: view-profile reads, manage-account is needed to change', async () => {
      const token = await passwordGrant('viewonly', 'bob');
      const read = await call(token, '/');
      expect(read.status).toBe(200);
      const write = await call(token, '/', { method: 'POST', body: read.body });
      expect(write).toMatchObject({ status: 403, body: { error: 'HTTP 403 Forbidden' } });
      expect((await call(token, '/sessions', { method: 'DELETE' })).status).toBe(403);
      expect((await call(token, '/applications')).status).toBe(403);
    });

    it('answers CORS for the origins of the token client (webOrigins) and the preflight', async () => {
      const token = await passwordGrant('spa', 'bob');
      const ok = await call(token, '/', { headers: { origin: 'http://localhost:3000' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
      const other = await call(token, '/', { headers: { origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const pre = await fetch(`${base}/sessions`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:3000',
          'access-control-request-method': 'DELETE',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      expect(pre.status).toBe(200);
      expect(pre.headers.get('access-control-allow-methods')).toContain('DELETE');
      expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
        'authorization',
      );
    });
  });

  describe('account API sessions and devices', () => {
    it('lists the sessions with devices, signs out another one (its refresh token stops working), keeps the current', async () => {
      const phone = await login('alice', FIREFOX_WIN);
      const desk = await login('alice', CHROME);
      const sessions = await call(desk.access_token, '/sessions');
      expect(sessions.status).toBe(200);
      const current = sessions.body.find((s: Json) => s.current);
      const other = sessions.body.find((s: Json) => s.browser === 'Firefox/133.0');
      expect(current).toMatchObject({ browser: 'Chrome/140.0.0', ipAddress: '127.0.0.1' });
      expect(current.clients).toEqual([
        { clientId: 'account-console', clientName: '${client_account-console}' },
      ]);
      expect(current.expires - current.started).toBe(36000);
      expect(other).toMatchObject({ current: false });
      const devices = await call(desk.access_token, '/sessions/devices');
      const byOs = Object.fromEntries(devices.body.map((d: Json) => [d.os, d]));
      expect(byOs.Linux).toMatchObject({ current: true, mobile: false });
      expect(byOs.Windows).toMatchObject({ osVersion: '10.0', current: false });

      expect(await refresh(phone)).toBe(200);
      const out = await call(desk.access_token, `/sessions/${other.id}`, { method: 'DELETE' });
      expect(out.status).toBe(204);
      expect(await refresh(phone)).toBe(400);
      expect((await call(phone.access_token, '/')).status).toBe(401);
      expect((await call(desk.access_token, '/')).status).toBe(200);
      expect(await refresh(desk)).toBe(200);
      const left = (await call(desk.access_token, '/sessions')).body.map((s: Json) => s.id);
      expect(left).toContain(current.id);
      expect(left).not.toContain(other.id);
    });

    it('DELETE /sessions signs out every session but the current one; ?current=true all of them', async () => {
      const a = await login('erin');
      const b = await login('erin');
      const c = await login('erin');
      expect((await call(c.access_token, '/sessions', { method: 'DELETE' })).status).toBe(204);
      expect(await refresh(a)).toBe(400);
      expect(await refresh(b)).toBe(400);
      const mine = (await call(c.access_token, '/sessions')).body;
      expect(mine).toHaveLength(1);
      expect(mine[0].current).toBe(true);
      expect(
        (await call(c.access_token, '/sessions?current=true', { method: 'DELETE' })).status,
      ).toBe(204);
      expect(await refresh(c)).toBe(400);
    });

    it("cannot touch another user's sessions or credentials", async () => {
      const alice = await login('alice');
      const bob = await login('bob');
      const aliceSessions = (await call(alice.access_token, '/sessions')).body;
      const bobSessions = (await call(bob.access_token, '/sessions')).body;
      const aliceIds = aliceSessions.map((s: Json) => s.id);
      expect(bobSessions.some((s: Json) => aliceIds.includes(s.id))).toBe(false);
      for (const id of aliceIds)
        expect((await call(bob.access_token, `/sessions/${id}`, { method: 'DELETE' })).status).toBe(
          204,
        );
      expect(await refresh(alice)).toBe(200);
      expect((await call(alice.access_token, '/sessions')).body.map((s: Json) => s.id)).toEqual(
        expect.arrayContaining(aliceIds),
      );
      const aliceCreds = (await call(alice.access_token, '/credentials')).body;
      const pw = aliceCreds[0].userCredentialMetadatas[0].credential.id;
      const steal = await call(bob.access_token, `/credentials/${pw}`, { method: 'DELETE' });
      expect(steal).toMatchObject({ status: 404, body: { error: 'Credential not found' } });
    });
  });

  describe('account API credentials', () => {
    it('lists password and otp containers as Keycloak, never secrets; removes an OTP, refuses a password', async () => {
      const { access_token } = await login('bob');
      const bobId = (await call(access_token, '/')).body.id as string;
      await server.db.query(
        `INSERT INTO credentials (id, user_id, type, secret_data, credential_data) VALUES ($1, $2, 'otp', $3, $4)`,
        [
          `${bobId}-otp-test`,
          bobId,
          JSON.stringify({ value: 'JBSWY3DPEHPK3PXP' }),
          JSON.stringify({ subType: 'totp', digits: 6, period: 30, algorithm: 'HmacSHA1' }),
        ],
      );
      const list = await call(access_token, '/credentials');
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain('JBSWY3DPEHPK3PXP');
      const [password, otp] = list.body;
      expect(password).toMatchObject({
        type: 'password',
        category: 'basic-authentication',
        displayName: 'password-display-name',
        helptext: 'password-help-text',
        iconCssClass: 'kcAuthenticatorPasswordClass',
        updateAction: 'UPDATE_PASSWORD',
        removeable: false,
      });
      expect(password.userCredentialMetadatas[0].credential).toMatchObject({
        type: 'password',
        createdDate: expect.any(Number),
      });
      expect(password.userCredentialMetadatas[0].credential.secretData).toBeUndefined();
      expect(otp).toMatchObject({
        type: 'otp',
        category: 'two-factor',
        createAction: 'CONFIGURE_TOTP',
        removeable: true,
      });
      expect(otp.userCredentialMetadatas.map((m: Json) => m.credential.id)).toEqual([
        `${bobId}-otp-test`,
      ]);
      const only = await call(access_token, '/credentials?type=otp&user-credentials=false');
      expect(only.body).toHaveLength(1);
      expect(only.body[0].userCredentialMetadatas).toBeUndefined();

      const pwId = password.userCredentialMetadatas[0].credential.id;
      expect(await call(access_token, `/credentials/${pwId}`, { method: 'DELETE' })).toMatchObject({
        status: 400,
        body: { error: 'Credential type cannot be removed' },
      });
      expect((await call(access_token, '/credentials/nope', { method: 'DELETE' })).status).toBe(
        404,
      );
      const removed = await call(access_token, `/credentials/${bobId}-otp-test`, {
        method: 'DELETE',
      });
      expect(removed.status).toBe(204);
      const again = await call(access_token, '/credentials?type=otp');
      expect(again.body[0].userCredentialMetadatas).toEqual([]);
    });
  });

  describe('account API applications, groups, linked accounts', () => {
    it('shows an offline token as offlineAccess; revoking the consent revokes it (revokeConsentToClient)', async () => {
      const res = await fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'spa',
          username: 'erin',
          password: 'erin-pw',
          scope: 'openid offline_access',
        }),
      });
      expect(res.status).toBe(200);
      const offline = asJson(await res.json());
      const { access_token } = await login('erin');
      const apps = (await call(access_token, '/applications')).body;
      // The password grant made a user session too (Keycloak's direct grant does), so spa is in use.
      expect(apps.find((a: Json) => a.clientId === 'spa')).toMatchObject({
        offlineAccess: true,
        inUse: true,
      });
      expect(
        (await call(access_token, '/applications/spa/consent', { method: 'DELETE' })).status,
      ).toBe(204);
      const again = await fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: 'spa',
          refresh_token: offline.refresh_token,
        }),
      });
      expect(again.status).toBe(400);
      // UserConsentManager.revokeConsentToClient: the offline token goes; the client sessions are
      // logged out only when a consent was revoked, and spa (no consentRequired) had none.
      const after = (await call(access_token, '/applications')).body;
      expect(after.find((a: Json) => a.clientId === 'spa')).toMatchObject({
        offlineAccess: false,
        inUse: true,
      });
    });

    it('lists the applications in use, refuses an unknown client consent, answers empty linked accounts', async () => {
      const { access_token } = await login('carol');
      const apps = await call(access_token, '/applications');
      expect(apps.status).toBe(200);
      expect(apps.body.find((a: Json) => a.clientId === 'account-console')).toMatchObject({
        clientName: '${client_account-console}',
        inUse: true,
        offlineAccess: false,
        userConsentRequired: false,
        baseUrl: `/realms/${REALM}/account/`,
        effectiveUrl: `${server.baseUrl}/realms/${REALM}/account/`,
      });
      expect(
        await call(access_token, '/applications/nope/consent', { method: 'DELETE' }),
      ).toMatchObject({
        status: 404,
        body: { errorMessage: 'No client with clientId: nope found.' },
      });
      expect(
        (await call(access_token, '/applications/spa/consent', { method: 'DELETE' })).status,
      ).toBe(204);
      expect((await call(access_token, '/linked-accounts')).body).toEqual([]);
      expect((await call(access_token, '/groups')).body).toEqual([]);
      expect((await call(access_token, '/supportedLocales')).body).toEqual([]);
      expect((await call(access_token, '/no-such-resource')).status).toBe(404);
      expect((await call(access_token, '/credentials/a%00b', { method: 'DELETE' })).status).toBe(
        404,
      );
      expect((await call(access_token, '/sessions/a%00b', { method: 'DELETE' })).status).toBe(404);
    });
  });
});

/**
 * Every real Keycloak realm export in test/fixtures/keycloak-realms (copied from ../shared/fixtures) (its README.md says what
 * each exercises and which passwords are known) imports, and its users and clients get tokens as
 * they would from Keycloak: the quickstarts of keycloak/keycloak-quickstarts, and full exports of
 * Keycloak 24-26 (authservices-dotnet, sovity, tractusx, adaptive-authn).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { asJson } from '../helpers/json.ts';
import path from 'node:path';
import net from 'node:net';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { FIXTURES, REPO, startServer, type TestServer } from '../helpers/server.ts';
import { seedPgliteDataDir } from '../helpers/store-template.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { findRealm } from '../../src/store/realms.ts';
import { importRealmFiles } from '../../src/realm/partitions.ts';
import { RealmImportError } from '../../src/realm/import.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};

/** A scratch DATA_DIR holding the run's migrated template store (test/helpers/store-template.ts). */
const storeDir = (prefix: string) => {
  const dir = tempDir(prefix);
  seedPgliteDataDir(dir);
  return dir;
};

const fixture = (name: string) => path.join(FIXTURES, name);
const fixtureJson = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8'));
async function token(
  realm: string,
  form: Record<string, string>,
  auth?: [string, string],
  baseUrl = server!.baseUrl,
) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth) headers.authorization = `Basic ${Buffer.from(auth.join(':')).toString('base64')}`;
  const res = await fetch(`${baseUrl}/realms/${realm}/protocol/openid-connect/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: await res.json().then(asJson) };
}
/**
 * Verifies the token's signature against the realm's /certs with the alg of its header (these
 * realms sign RS256 or ML-DSA-65: whichever the server uses, the signature must verify).
 */
async function verified(realm: string, jwt: string, baseUrl = server!.baseUrl) {
  const issuer = `${baseUrl}/realms/${realm}`;
  const { alg } = decodeProtectedHeader(jwt);
  expect(['RS256', 'ML-DSA-65']).toContain(alg);
  return (
    await jwtVerify(jwt, createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`)), {
      issuer,
      algorithms: [alg!],
    })
  ).payload;
}
const rolesOf = (claims: Record<string, unknown>) => ({
  realm: (claims.realm_access as { roles: string[] } | undefined)?.roles ?? [],
  client: (clientId: string) =>
    (claims.resource_access as Record<string, { roles: string[] }> | undefined)?.[clientId]
      ?.roles ?? [],
});

/** Adds a user to a stored realm through a users file (partial-import rules), as an operator would. */
async function addUser(realm: string, user: Record<string, unknown>) {
  const file = path.join(tempDir('qsign-kc-user-'), 'users.json');
  writeFileSync(file, JSON.stringify({ realm, users: [{ enabled: true, ...user }] }));
  await importRealmFiles(server!.db, server!.config.keyEncryptionKey, [file], { env: {} });
}

/** An authorization code flow with PKCE through the login form; the token response. */
async function codeFlow(
  realm: string,
  clientId: string,
  redirectUri: string,
  username: string,
  password: string,
  auth?: [string, string],
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: redirectUri,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const done = await signIn(
    new TestBrowser(),
    `${server!.baseUrl}/realms/${realm}/protocol/openid-connect/auth?${query}`,
    server!.baseUrl,
    username,
    password,
  );
  const code = new URL(done.url).searchParams.get('code');
  expect(code, done.page?.slice(0, 300)).toEqual(expect.any(String));
  const res = await token(
    realm,
    {
      grant_type: 'authorization_code',
      code: code!,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      ...(auth ? {} : { client_id: clientId }),
    },
    auth,
  );
  expect([res.status, res.body.error_description]).toEqual([200, undefined]);
  return res.body as { access_token: string; id_token: string };
}

describe('Keycloak quickstart realm exports', () => {
  it('the fixture folder holds the nine exports this suite covers', () => {
    expect(
      readdirSync(FIXTURES)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual([
      'adaptive-authn-adaptive-kc26.5.7.json',
      'authservices-dotnet-Test-realm-kc24.0.3.json',
      'authservices-dotnet-Test-users-0-kc24.0.3.json',
      'quickstarts-device.json',
      'quickstarts-js-spa.json',
      'quickstarts-nodejs-resource-server.json',
      'quickstarts-spring-rest-authz-resource-server.json',
      'sovity-authority-portal-dev-kc24.0.4.json',
      'tractusx-portal-iam-CX-Central-kc25.0.6.json',
    ]);
  });

  it('js-spa: public client with direct access grants; realm and client roles in the token', async () => {
    server = await startServer({ realmFiles: [fixture('quickstarts-js-spa.json')] });
    const alice = await token('quickstart', {
      grant_type: 'password',
      client_id: 'spa',
      username: 'alice',
      password: 'alice',
      scope: 'openid',
    });
    expect(alice.status).toBe(200);
    const claims = await verified('quickstart', alice.body.access_token);
    // Exactly the roles the file lists, composites expanded: Keycloak's import adds no default role
    // (RepresentationToModel.createUser: addUser(…, addDefaultRoles = false, …)), and this file
    // (no keycloakVersion) lists none.
    expect([...(claims.realm_access as { roles: string[] }).roles].sort()).toEqual([
      'offline_access',
      'user',
    ]);
    expect(
      [...(claims.resource_access as Record<string, { roles: string[] }>).account.roles].sort(),
    ).toEqual(['manage-account', 'manage-account-links']);
    const admin = await token('quickstart', {
      grant_type: 'password',
      client_id: 'spa',
      username: 'admin',
      password: 'admin',
    });
    const adminClaims = await verified('quickstart', admin.body.access_token);
    expect(
      (adminClaims.resource_access as Record<string, { roles: string[] }>)['realm-management']
        .roles,
    ).toEqual(expect.arrayContaining(['realm-admin', 'manage-users', 'view-realm']));
    // The wildcard redirect URI admits any path under http://localhost:8080/.
    const auth = await fetch(
      `${server.baseUrl}/realms/quickstart/protocol/openid-connect/auth?client_id=spa&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://localhost:8080/app/callback')}&code_challenge=${'A'.repeat(43)}&code_challenge_method=S256`,
      { redirect: 'manual' },
    );
    expect(auth.status).toBe(303);
    expect(auth.headers.get('location')).toContain('/realms/quickstart/login-actions/');
  });

  it('nodejs-resource-server: CLI client logs in; the bearer-only client cannot get tokens', async () => {
    server = await startServer({
      realmFiles: [fixture('quickstarts-nodejs-resource-server.json')],
    });
    const alice = await token('quickstart', {
      grant_type: 'password',
      client_id: 'test-cli',
      username: 'alice',
      password: 'alice',
    });
    expect(alice.status).toBe(200);
    expect(await verified('quickstart', alice.body.access_token)).toMatchObject({
      azp: 'test-cli',
      preferred_username: 'alice',
    });
    const bearerOnly = await token('quickstart', {
      grant_type: 'password',
      client_id: 'resource-server',
      username: 'alice',
      password: 'alice',
    });
    expect(bearerOnly.status).toBeGreaterThanOrEqual(400);
    expect(bearerOnly.body.error).toBeDefined();
  });

  it('device: the device client gets tokens through the device authorization grant (RFC 8628, openid-client), not the password grant', async () => {
    server = await startServer({ realmFiles: [fixture('quickstarts-device.json')] });
    const res = await token('device-flow-quickstart', {
      grant_type: 'password',
      client_id: 'device-client',
      username: 'alice',
      password: 'password',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'unauthorized_client',
      error_description: 'Client not allowed for direct access grants',
    });

    const issuer = `${server.baseUrl}/realms/device-flow-quickstart`;
    const config = await oidc.discovery(new URL(issuer), 'device-client', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata().device_authorization_endpoint).toBe(
      `${issuer}/protocol/openid-connect/auth/device`,
    );
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    expect(device).toMatchObject({
      verification_uri: `${issuer}/device`,
      expires_in: 600,
      interval: 5,
    });
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const early = await token('device-flow-quickstart', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: 'device-client',
      device_code: device.device_code,
    });
    expect(early).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });

    // The user, in a browser: the verification page, a wrong code, the right one, confirm, log in.
    const browser = new TestBrowser();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)![1];
    const submit = async (fields: Record<string, string>) => {
      const page = await (await browser.fetch(device.verification_uri)).text();
      expect(page).toContain('Enter the code provided by your device and click Submit');
      return browser.fetch(device.verification_uri, {
        method: 'POST',
        headers: form,
        body: new URLSearchParams({ xsrf: xsrfOf(page), ...fields }),
      });
    };
    expect(await (await submit({ user_code: 'BBBB-BBBB' })).text()).toContain(
      'Invalid code, please try again.',
    );
    const sessionless = await fetch(device.verification_uri, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({ user_code: device.user_code }),
      redirect: 'manual',
    });
    expect([sessionless.status, sessionless.headers.get('location')]).toEqual([
      303,
      device.verification_uri,
    ]);
    const confirmPage = await (
      await submit({ user_code: device.user_code.toLowerCase().replace('-', '') })
    ).text();
    expect(confirmPage).toContain(device.user_code);
    const confirmed = await browser.fetch(device.verification_uri, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({
        xsrf: xsrfOf(confirmPage),
        user_code: device.user_code,
        confirm: 'yes',
      }),
    });
    expect(confirmed.status).toBe(303);
    const login = await signIn(
      browser,
      new URL(confirmed.headers.get('location')!, device.verification_uri).toString(),
      server.baseUrl,
      'alice',
      'password',
    );
    expect(login.page).toContain('Device Login Successful');

    // The device, polling at the stated interval.
    const tokens = await oidc.pollDeviceAuthorizationGrant(config, device);
    expect(await verified('device-flow-quickstart', tokens.access_token)).toMatchObject({
      azp: 'device-client',
      preferred_username: 'alice',
      typ: 'Bearer',
    });
    expect(tokens.claims()).toMatchObject({
      typ: 'ID',
      azp: 'device-client',
      email: 'alice@example.com',
    });
    expect(tokens.refresh_token).toBeDefined();
    // A device code works once.
    const again = await token('device-flow-quickstart', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: 'device-client',
      device_code: device.device_code,
    });
    expect(again.status).toBe(400);
  }, 30_000);

  it('spring authz: confidential client with secret, password grant, and its service account', async () => {
    server = await startServer({
      realmFiles: [fixture('quickstarts-spring-rest-authz-resource-server.json')],
    });
    const jdoe = await token(
      'quickstart',
      { grant_type: 'password', username: 'jdoe', password: 'jdoe' },
      ['authz-servlet', 'secret'],
    );
    expect(jdoe.status).toBe(200);
    expect((await verified('quickstart', jdoe.body.access_token)).realm_access).toMatchObject({
      roles: expect.arrayContaining(['user', 'user_premium']),
    });
    const sa = await token('quickstart', { grant_type: 'client_credentials' }, [
      'authz-servlet',
      'secret',
    ]);
    expect(sa.status).toBe(200);
    const claims = await verified('quickstart', sa.body.access_token);
    expect(claims).toMatchObject({
      preferred_username: 'service-account-authz-servlet',
      resource_access: expect.objectContaining({ 'authz-servlet': { roles: ['uma_protection'] } }),
    });
    const wrong = await token('quickstart', { grant_type: 'client_credentials' }, [
      'authz-servlet',
      'not-the-secret',
    ]);
    expect(wrong.status).toBe(401);
  });
});

/** The `kc.sh export --users different_files` pair, under the names Keycloak's `kc.sh import --dir` looks for (DirImportProvider). */
const TEST_REALM = 'authservices-dotnet-Test-realm-kc24.0.3.json';
const TEST_USERS = 'authservices-dotnet-Test-users-0-kc24.0.3.json';
function keycloakExportDir(): string {
  const dir = tempDir('qsign-kc-export-');
  copyFileSync(fixture(TEST_REALM), path.join(dir, 'Test-realm.json'));
  copyFileSync(fixture(TEST_USERS), path.join(dir, 'Test-users-0.json'));
  return dir;
}
const TEST_CLIENT: [string, string] = [
  'test-client',
  fixtureJson(TEST_REALM).clients.find((c: { clientId: string }) => c.clientId === 'test-client')
    .secret,
];
/** The KEY_ENCRYPTION_KEY startServer uses, so a store the CLI wrote opens there. */
const CLI_KEK = Buffer.alloc(32, 7).toString('base64');
const run = promisify(execFile);
const cli = (dataDir: string, ...args: string[]) => {
  seedPgliteDataDir(dataDir);
  return run(process.execPath, ['src/main.ts', 'import', ...args], {
    cwd: REPO,
    env: { ...process.env, DATA_DIR: dataDir, KEY_ENCRYPTION_KEY: CLI_KEK, LOG_LEVEL: 'info' },
  });
};
const cliFailure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the import to fail');
    },
    (err: { code: number; stderr: string }) => err,
  );

/**
 * test/test and testadminuser/test (the users file; passwords from the upstream README and
 * TestUsers.cs) through the confidential `test-client` (direct access grants, secret in the realm
 * file), with the roles the users file gives them, in the claims the client's own mappers name.
 */
async function checkTestRealmLogins(baseUrl: string) {
  const test = await token(
    'Test',
    { grant_type: 'password', username: 'test', password: 'test', scope: 'openid' },
    TEST_CLIENT,
    baseUrl,
  );
  expect(test.status).toBe(200);
  const claims = await verified('Test', test.body.access_token, baseUrl);
  expect(claims).toMatchObject({
    azp: 'test-client',
    preferred_username: 'test',
    email: 'test@test.com',
    given_name: 'TestFirstName',
  });
  expect(rolesOf(claims).realm).toEqual(expect.arrayContaining(['Reader', 'default-roles-test']));
  expect(rolesOf(claims).realm).not.toContain('Admin');
  expect(rolesOf(claims).client('test-client')).toContain('TestClientRole');
  const admin = await token(
    'Test',
    { grant_type: 'password', username: 'testadminuser', password: 'test' },
    TEST_CLIENT,
    baseUrl,
  );
  expect(admin.status).toBe(200);
  const adminClaims = await verified('Test', admin.body.access_token, baseUrl);
  expect(rolesOf(adminClaims).realm).toContain('Admin');
  expect(rolesOf(adminClaims).client('test-client')).not.toContain('TestClientRole');
  const wrong = await token(
    'Test',
    { grant_type: 'password', username: 'test', password: 'not-test' },
    TEST_CLIENT,
    baseUrl,
  );
  expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_grant']);
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe('Keycloak 24-26 full exports', () => {
  it('authservices-dotnet, REALMS_DIR at start: Test-realm.json and Test-users-0.json are one realm; test/test logs in with its roles', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['src/main.ts'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        REALMS_DIR: keycloakExportDir(),
        DATA_DIR: storeDir('qsign-kc-start-'),
        KEY_ENCRYPTION_KEY: CLI_KEK,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: baseUrl,
        LOG_LEVEL: 'info',
      },
    });
    let output = '';
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Resolves once the server listens, or when it exits first (the assertion below then shows why).
    const listening = new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        output += String(d);
        if (output.includes('qsign-oidc listening')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void exited.then(() => resolve());
    });
    try {
      await listening;
      expect(output).toContain('qsign-oidc listening');
      const imported = output
        .split('\n')
        .filter((l) => l.includes('"realm imported"'))
        .map((l) => JSON.parse(l));
      expect(imported).toEqual([
        expect.objectContaining({ realm: 'Test', status: 'created', users: 3, clients: 7 }),
      ]);
      expect(imported[0].file).toContain('Test-users-0.json');
      await checkTestRealmLogins(baseUrl);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 180_000);

  it('authservices-dotnet, `import --dir` and `import realm users`: merged; a users file alone adds to a stored realm (FAIL on existing users, --override replaces them)', async () => {
    const dir = keycloakExportDir();
    const viaDir = tempDir('qsign-kc-dir-');
    expect((await cli(viaDir, '--dir', dir)).stdout).toMatch(
      /"realm":"Test","status":"created","users":3,"clients":7/,
    );
    server = await startServer({ dataDir: viaDir });
    await checkTestRealmLogins(server.baseUrl);
    await server.close();
    server = undefined;

    // Named one by one, under any names: the users file is recognised by its content.
    const viaFiles = tempDir('qsign-kc-files-');
    expect((await cli(viaFiles, fixture(TEST_USERS), fixture(TEST_REALM))).stdout).toMatch(
      /"realm":"Test","status":"created","users":3,"clients":7/,
    );

    // The realm first (its service account user is created with it), then the users file.
    const stepwise = tempDir('qsign-kc-step-');
    await cli(stepwise, path.join(dir, 'Test-realm.json'));
    const refused = await cliFailure(cli(stepwise, path.join(dir, 'Test-users-0.json')));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `${path.join(dir, 'Test-users-0.json')}: realm rejected, nothing imported`,
    );
    expect(refused.stderr).toContain(
      'at users[0].username: a user with username "service-account-test-client" exists in realm "Test"',
    );
    server = await startServer({ dataDir: stepwise });
    expect(
      (
        await token(
          'Test',
          { grant_type: 'password', username: 'test', password: 'test' },
          TEST_CLIENT,
        )
      ).status,
    ).toBe(401);
    await server.close();
    server = undefined;
    expect((await cli(stepwise, '--override', path.join(dir, 'Test-users-0.json'))).stdout).toMatch(
      /"realm":"Test","status":"users added","users":3/,
    );
    server = await startServer({ dataDir: stepwise });
    await checkTestRealmLogins(server.baseUrl);
  }, 300_000);

  it('a users file whose users name roles its realm lacks fails with its own file name and JSON path, and nothing is written', async () => {
    const dir = keycloakExportDir();
    const users = JSON.parse(readFileSync(path.join(dir, 'Test-users-0.json'), 'utf8'));
    users.users[2].realmRoles.push('NoSuchRole');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(path.join(dir, 'Test-users-0.json'), JSON.stringify(users)),
    );
    const dataDir = tempDir('qsign-kc-bad-');
    const refused = await cliFailure(cli(dataDir, '--dir', dir));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `${path.join(dir, 'Test-users-0.json')}: realm rejected, nothing imported\n  at users[2].realmRoles[2]: realm role "NoSuchRole" does not exist\n`,
    );
    server = await startServer({ dataDir });
    expect(await findRealm(server.db, 'Test')).toBeUndefined();
  }, 180_000);

  // Keycloak applies test-client's own protocol mappers besides its scopes' (TokenManager
  // .getProtocolMappers: the client's mappers, then its scopes'): its audience mapper
  // (AudienceProtocolMapper, included.client.audience test-client, access.token.claim true,
  // id.token.claim false) adds test-client to `aud`; its realm and client role mappers write
  // realm_access.roles and resource_access.test-client.roles (`${client_id}` in the claim name).
  it("authservices-dotnet: test-client's audience mapper puts test-client in aud; its role mappers write realm_access and resource_access", async () => {
    // The realm file and its users file, imported as one realm (kc.sh import --dir).
    const dir = keycloakExportDir();
    server = await startServer();
    await importRealmFiles(
      server.db,
      server.config.keyEncryptionKey,
      [path.join(dir, 'Test-realm.json'), path.join(dir, 'Test-users-0.json')],
      { env: {} },
    );
    const test = await token(
      'Test',
      { grant_type: 'password', username: 'test', password: 'test', scope: 'openid' },
      TEST_CLIENT,
    );
    expect(test.status).toBe(200);
    const claims = await verified('Test', test.body.access_token);
    expect([claims.aud].flat()).toContain('test-client');
    expect(rolesOf(claims).realm).toEqual(expect.arrayContaining(['Reader', 'default-roles-test']));
    expect(rolesOf(claims).client('test-client')).toContain('TestClientRole');
    // The id token's audience is the client alone (the mapper's id.token.claim is false).
    expect((await verified('Test', test.body.id_token)).aud).toBe('test-client');
  });

  it("sovity: the confidential authority-portal-client gets a token for its service account, with that account's roles", async () => {
    const file = 'sovity-authority-portal-dev-kc24.0.4.json';
    server = await startServer({ realmFiles: [fixture(file)] });
    const secret = fixtureJson(file).clients.find(
      (c: { clientId: string }) => c.clientId === 'authority-portal-client',
    ).secret;
    const sa = await token('authority-portal', { grant_type: 'client_credentials' }, [
      'authority-portal-client',
      secret,
    ]);
    expect(sa.status).toBe(200);
    const claims = await verified('authority-portal', sa.body.access_token);
    expect(claims).toMatchObject({
      azp: 'authority-portal-client',
      preferred_username: 'service-account-authority-portal-client',
    });
    // The service account user's clientRoles in the file.
    expect(rolesOf(claims).client('realm-management')).toEqual(
      expect.arrayContaining(['query-users', 'view-users', 'manage-users']),
    );
    expect(rolesOf(claims).realm).toContain('default-roles-authority-portal');
    // The client's own "Client ID", "Client Host", "Client IP Address" session note mappers
    // (UserSessionNoteMapper; ClientCredentialsGrantType sets the notes): the caller's address.
    expect(claims).toMatchObject({
      clientId: 'authority-portal-client',
      clientHost: '127.0.0.1',
      clientAddress: '127.0.0.1',
    });
    const wrong = await token('authority-portal', { grant_type: 'client_credentials' }, [
      'authority-portal-client',
      'not-the-secret',
    ]);
    expect(wrong.status).toBe(401);
    // Its users have no credentials: imported, never logged in.
    const doc = (await findRealm(server.db, 'authority-portal'))!.doc;
    expect(doc.groups).toHaveLength(9);
  });

  it("sovity: oauth2-proxy's two audience mappers put authority-portal-client and oauth2-proxy in the access token's aud (not the id token's)", async () => {
    const file = 'sovity-authority-portal-dev-kc24.0.4.json';
    server = await startServer({ realmFiles: [fixture(file)] });
    await addUser('authority-portal', {
      username: 'probe',
      email: 'probe@example.com',
      firstName: 'Pro',
      lastName: 'Be',
      credentials: [{ type: 'password', value: 'probe-pw' }],
    });
    const proxy = fixtureJson(file).clients.find(
      (c: { clientId: string }) => c.clientId === 'oauth2-proxy',
    );
    const redirect = 'https://authority-portal.example.com/oauth2/callback';
    const tokens = await codeFlow(
      'authority-portal',
      'oauth2-proxy',
      redirect,
      'probe',
      'probe-pw',
      ['oauth2-proxy', proxy.secret],
    );
    const access = await verified('authority-portal', tokens.access_token);
    expect([access.aud].flat()).toEqual(
      expect.arrayContaining(['authority-portal-client', 'oauth2-proxy']),
    );
    expect(access).toMatchObject({
      azp: 'oauth2-proxy',
      preferred_username: 'probe',
      name: 'Pro Be',
    });
    expect((await verified('authority-portal', tokens.id_token)).aud).toBe('oauth2-proxy');
  });

  it('tractusx: imports with its 37 clients; clients whose secret the export masked as ********** cannot authenticate with it', async () => {
    const file = 'tractusx-portal-iam-CX-Central-kc25.0.6.json';
    const json = fixtureJson(file);
    server = await startServer({ realmFiles: [fixture(file)] });
    const stored = (await findRealm(server.db, 'CX-Central'))!.doc.clients.map((c) => c.clientId);
    const inFile: string[] = json.clients.map((c: { clientId: string }) => c.clientId);
    expect(inFile).toHaveLength(37);
    expect(stored).toEqual(expect.arrayContaining(inFile));
    // Keycloak's partial export writes ********** in place of each secret (StripSecretsUtils.stripClient):
    // the secret is not in the file, and the mask must not become one (19 of them have service accounts).
    const masked = json.clients.filter((c: { secret?: string }) => c.secret === '**********');
    expect(masked).toHaveLength(23);
    for (const client of masked as { clientId: string }[]) {
      const res = await token('CX-Central', { grant_type: 'client_credentials' }, [
        client.clientId,
        '**********',
      ]);
      expect([client.clientId, res.status, res.body.error]).toEqual([
        client.clientId,
        401,
        'invalid_client',
      ]);
    }
    // The secret generated in place of the mask works (the file's key providers carry no material: keys generated on import).
    const generated = (await findRealm(server.db, 'CX-Central'))!.doc.clients.find(
      (c) => c.clientId === 'sa-cl2-01',
    )!.secret!;
    expect(generated).not.toBe('**********');
    const sa = await token('CX-Central', { grant_type: 'client_credentials' }, [
      'sa-cl2-01',
      generated,
    ]);
    expect(sa.status).toBe(200);
    // Its own mappers: the service account user's `bpn` attribute, the client_id / clientHost /
    // clientAddress session notes (UserAttributeMapper, UserSessionNoteMapper).
    expect(await verified('CX-Central', sa.body.access_token)).toMatchObject({
      azp: 'sa-cl2-01',
      preferred_username: 'service-account-sa-cl2-01',
      bpn: 'BPNL00000003CRHK',
      client_id: 'sa-cl2-01',
      clientHost: '127.0.0.1',
      clientAddress: '127.0.0.1',
    });
  });

  it("tractusx: the `catena` scope's attribute mappers (organisation, bpn, username) and Cl2-CX-Portal's audience mappers", async () => {
    server = await startServer({
      realmFiles: [fixture('tractusx-portal-iam-CX-Central-kc25.0.6.json')],
    });
    await addUser('CX-Central', {
      username: 'probe',
      email: 'probe@example.com',
      attributes: { organisation: ['Probe Corp'], bpn: ['BPNL000000000PRB'] },
      credentials: [{ type: 'password', value: 'probe-pw' }],
    });
    const res = await token('CX-Central', {
      grant_type: 'password',
      client_id: 'Cl2-CX-Portal',
      username: 'probe',
      password: 'probe-pw',
      scope: 'openid',
    });
    expect(res.status).toBe(200);
    const access = await verified('CX-Central', res.body.access_token);
    expect(access).toMatchObject({
      organisation: 'Probe Corp',
      bpn: 'BPNL000000000PRB',
      preferred_username: 'probe',
    });
    expect([access.aud].flat()).toEqual(
      expect.arrayContaining(['Cl1-CX-Registration', 'Cl2-CX-Portal']),
    );
    // catena's include.in.token.scope is true; it is one of Cl2-CX-Portal's default scopes.
    expect(String(access.scope).split(' ')).toContain('catena');
    expect(await verified('CX-Central', res.body.id_token)).toMatchObject({
      organisation: 'Probe Corp',
      bpn: 'BPNL000000000PRB',
    });
    const info = await fetch(
      `${server.baseUrl}/realms/CX-Central/protocol/openid-connect/userinfo`,
      { headers: { authorization: `Bearer ${res.body.access_token}` } },
    )
      .then((r) => r.json())
      .then(asJson);
    expect(info).toMatchObject({
      organisation: 'Probe Corp',
      bpn: 'BPNL000000000PRB',
      preferred_username: 'probe',
    });
  });

  it("adaptive-authn: imports; a users file of the stored realm adds a user (partial-import rules), whose token verifies against the realm's keys", async () => {
    const file = 'adaptive-authn-adaptive-kc26.5.7.json';
    server = await startServer({ realmFiles: [fixture(file)] });
    const stored = (await findRealm(server.db, 'adaptive'))!;
    expect(stored.doc.clients.map((c) => c.clientId)).toEqual(
      expect.arrayContaining(
        fixtureJson(file).clients.map((c: { clientId: string }) => c.clientId),
      ),
    );
    // Both users (user/user, admin/admin) also hold an `otp` credential: another helper is making
    // a password-only login of such users refused (issue 15, no silent 2FA downgrade), so their
    // login is not asserted here. A user of our own, added by a users file, logs in instead.
    const dir = tempDir('qsign-kc-adaptive-');
    const usersFile = (name: string, users: unknown[]) => {
      const f = path.join(dir, name);
      writeFileSync(f, JSON.stringify({ realm: 'adaptive', users }));
      return f;
    };
    const add = (f: string) =>
      importRealmFiles(server!.db, server!.config.keyEncryptionKey, [f], { env: {} });
    // Keycloak UsersPartialImport.exists: the email of an existing user counts (duplicateEmailsAllowed is false).
    const clash = await add(
      usersFile('clash.json', [
        {
          id: 'chosen-id',
          username: 'probe',
          email: 'user@user',
          credentials: [{ type: 'password', value: 'probe-pw' }],
        },
      ]),
    ).catch((e: Error) => e);
    expect(clash).toBeInstanceOf(RealmImportError);
    expect((clash as RealmImportError).message).toBe(
      `${path.join(dir, 'clash.json')}: realm rejected, nothing imported\n  at users[0].email: a user with email "user@user" exists in realm "adaptive" (--override replaces it)`,
    );
    expect(
      await add(
        usersFile('probe.json', [
          {
            id: 'chosen-id',
            username: 'probe',
            email: 'probe@example.com',
            credentials: [{ type: 'password', value: 'probe-pw' }],
          },
        ]),
      ),
    ).toEqual([
      {
        realm: 'adaptive',
        status: 'users added',
        users: 1,
        clients: 0,
        files: [path.join(dir, 'probe.json')],
      },
    ]);
    const probe = await token('adaptive', {
      grant_type: 'password',
      client_id: 'admin-cli',
      username: 'probe',
      password: 'probe-pw',
    });
    expect(probe.status).toBe(200);
    const claims = await verified('adaptive', probe.body.access_token);
    expect(claims).toMatchObject({ preferred_username: 'probe', azp: 'admin-cli' });
    // New ids, as Keycloak's partial import gives (UsersPartialImport.create).
    expect(claims.sub).not.toBe('chosen-id');
  });

  it("adaptive-authn: security-admin-console's `locale` user attribute mapper puts the user's locale in its tokens", async () => {
    server = await startServer({ realmFiles: [fixture('adaptive-authn-adaptive-kc26.5.7.json')] });
    await addUser('adaptive', {
      username: 'probe',
      email: 'probe@example.com',
      attributes: { locale: ['cs'] },
      credentials: [{ type: 'password', value: 'probe-pw' }],
    });
    // Its redirect URI is relative (/admin/adaptive/console/*): under this server's address.
    const tokens = await codeFlow(
      'adaptive',
      'security-admin-console',
      `${server.baseUrl}/admin/adaptive/console/`,
      'probe',
      'probe-pw',
    );
    expect(await verified('adaptive', tokens.access_token)).toMatchObject({
      locale: 'cs',
      azp: 'security-admin-console',
    });
    expect(await verified('adaptive', tokens.id_token)).toMatchObject({ locale: 'cs' });
  });
});

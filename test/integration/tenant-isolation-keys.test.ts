/**
 * Issue 15, the three critical findings, reproduced through HTTP by a realm administrator of an
 * ordinary realm (`demo`, a user holding realm-management/realm-admin), against a running server:
 * (a) a vault-transit component with an address and a token source of the caller's choosing
 *     (SSRF, the bootstrap password sent as X-Vault-Token): 400 naming the field, and the address
 *     gets no connection;
 * (b) a pkcs11 component with a library path of the caller's choosing: 400, nothing is loaded;
 * (c) cross-realm key takeover: a component whose id shares its prefix with a master component
 *     (kids derive from it) cannot overwrite master's key, and a token signed by the attacker's
 *     key is refused by the master admin API (401).
 * Plus: unknown, other-type and other-realm back ends are refused before anything is contacted,
 * an `id` in a create body is ignored, and a component stored with inline back-end settings (from
 * before back ends were declared) is never acted upon: its alg fails closed (503) and readiness
 * says what to do. Back ends are the operator's (KEY_BACKENDS, docs/backends.md).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import http from 'node:http';
import type net from 'node:net';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import pkcs11js from 'pkcs11js';
import { decodeProtectedHeader } from 'jose';
import { asJson } from '../helpers/json.ts';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin as loginMasterAdmin } from '../helpers/admin.ts';
import { VaultTransitTestServer } from '../vault/transit-server.ts';
import { syncAllExternalKeys } from '../../src/keys/external.ts';

const ADMIN_PASSWORD = 'admin-test-password';
const KEY_PROVIDER = 'org.keycloak.keys.KeyProvider';
/** The master realm's Vault (the operator's) and a Vault the demo realm may use (or the attacker runs). */
let masterVault: VaultTransitTestServer;
let demoVault: VaultTransitTestServer;
/** A listener standing for anything on the server's network: counts connections, keeps the Vault tokens sent to it. */
let listener: http.Server;
let connections = 0;
const tokensSent: string[] = [];
let server: TestServer;
let demoAdminToken = '';

beforeAll(async () => {
  masterVault = await new VaultTransitTestServer().start();
  masterVault.createKey('rsa-key', 'rsa-2048');
  demoVault = await new VaultTransitTestServer().start();
  demoVault.createKey('rsa-key', 'rsa-2048');
  demoVault.createKey('ec-key', 'ecdsa-p256');
  process.env.QSIGN_TEST_MASTER_VAULT_TOKEN = masterVault.rootToken;
  process.env.QSIGN_TEST_DEMO_VAULT_TOKEN = demoVault.rootToken;
  // The production server has its bootstrap admin password in the environment (KC_BOOTSTRAP_ADMIN_PASSWORD).
  process.env.KC_BOOTSTRAP_ADMIN_PASSWORD ??= 'bootstrap-secret-for-the-test';
  listener = http.createServer((req, res) => {
    if (req.headers['x-vault-token']) tokensSent.push(String(req.headers['x-vault-token']));
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"errors":["echoed remote body"]}');
  });
  listener.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const KEY_BACKENDS = JSON.stringify({
    'master-vault': {
      type: 'vault-transit',
      address: masterVault.url,
      auth: { method: 'token', tokenEnv: 'QSIGN_TEST_MASTER_VAULT_TOKEN' },
      realms: ['master'],
    },
    'demo-vault': {
      type: 'vault-transit',
      address: demoVault.url,
      auth: { method: 'token', tokenEnv: 'QSIGN_TEST_DEMO_VAULT_TOKEN' },
      realms: ['demo'],
    },
    'master-hsm': {
      type: 'pkcs11',
      module: '/nonexistent/libmaster-hsm.so',
      tokenLabel: 'master',
      pinEnv: 'QSIGN_TEST_NO_PIN',
      realms: ['master'],
    },
  });
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json'), path.join(REPO, 'realms', 'demo.json')],
    env: { KEY_BACKENDS },
  });
  // A realm administrator of demo, made by the master admin as an operator would.
  const kc = await masterAdmin();
  kc.setConfig({ realmName: 'demo' });
  const { id } = await kc.users.create({
    username: 'eve',
    enabled: true,
    email: 'eve@example.com',
    firstName: 'Eve',
    lastName: 'Admin',
    emailVerified: true,
  });
  await kc.users.resetPassword({
    id,
    credential: { type: 'password', value: 'Eve-Secret-1', temporary: false },
  });
  const [management] = await kc.clients.find({ clientId: 'realm-management' });
  const realmAdmin = await kc.clients.findRole({ id: management.id!, roleName: 'realm-admin' });
  await kc.users.addClientRoleMappings({
    id,
    clientUniqueId: management.id!,
    roles: [{ id: realmAdmin!.id!, name: 'realm-admin' }],
  });
  const res = await fetch(`${server.baseUrl}/realms/demo/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'demo-cli',
      username: 'eve',
      password: 'Eve-Secret-1',
    }),
  });
  const body = await res.json().then(asJson);
  expect(res.status, JSON.stringify(body)).toBe(200);
  demoAdminToken = body.access_token;
}, 120_000);
afterAll(async () => {
  await server?.close();
  await masterVault?.stop();
  await demoVault?.stop();
  await new Promise((resolve) => listener?.close(resolve));
});

async function masterAdmin(): Promise<KcAdminClient> {
  return loginMasterAdmin(server.baseUrl, ADMIN_PASSWORD);
}

/** An admin REST call with a bearer token; the body parsed when there is one. */
async function adminCall(token: string, method: string, subPath: string, body?: unknown) {
  const res = await fetch(`${server.baseUrl}/admin/realms${subPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? asJson(JSON.parse(text)) : undefined,
    location: res.headers.get('location'),
  };
}
const asDemoAdmin = (method: string, subPath: string, body?: unknown) =>
  adminCall(demoAdminToken, method, subPath, body);
const realmId = async (name: string) =>
  (await server.db.query<{ id: string }>('SELECT id FROM realms WHERE name = $1', [name]))[0].id;
const certs = async (realm: string) =>
  (
    (await (
      await fetch(`${server.baseUrl}/realms/${realm}/protocol/openid-connect/certs`)
    )
      .json()
      .then(asJson)) as { keys: Record<string, string>[] }
  ).keys;
const vaultProvider = (config: Record<string, string[]>, extra: Record<string, unknown> = {}) => ({
  name: 'vault-rs',
  providerId: 'vault-transit',
  providerType: KEY_PROVIDER,
  ...extra,
  config: { keyName: ['rsa-key'], algorithm: ['RS256'], priority: ['1'], ...config },
});

describe('(a) a realm administrator cannot make the server connect anywhere or send a secret', () => {
  const inline: [field: string, config: Record<string, string[]>][] = [
    ['address', { tokenEnv: ['KC_BOOTSTRAP_ADMIN_PASSWORD'] }],
    ['address', { tokenFile: [path.join(REPO, 'package.json')] }],
    [
      'address',
      { authMethod: ['approle'], roleId: ['r'], secretIdEnv: ['KC_BOOTSTRAP_ADMIN_PASSWORD'] },
    ],
  ];
  it.each(inline)(
    'a vault-transit component with %s pointing at a local listener: 400 naming the field, no connection',
    async (field, config) => {
      const target = `http://127.0.0.1:${(listener.address() as net.AddressInfo).port}`;
      const before = connections;
      const res = await asDemoAdmin(
        'POST',
        '/demo/components',
        vaultProvider({ address: [target], ...config }),
      );
      // Let a connection attempt, had one been made, reach the listener before counting.
      await new Promise((resolve) => setImmediate(resolve));
      expect(tokensSent).toEqual([]);
      expect(connections).toBe(before);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        field,
        errorMessage: expect.stringContaining(`config.${field} is not accepted`),
      });
      expect(JSON.stringify(res.body)).not.toMatch(new RegExp(`${target}|echoed remote body`));
    },
  );

  it.each([
    'namespace',
    'authMethod',
    'tokenEnv',
    'tokenFile',
    'roleId',
    'secretIdEnv',
    'secretIdFile',
    'approleMount',
    'caCertFile',
    'timeoutMs',
    'breakerResetMs',
    'mount',
  ])(
    'config.%s in a vault-transit component: 400 naming it, Vault gets no request',
    async (field) => {
      const before = demoVault.requests.length;
      const res = await asDemoAdmin(
        'POST',
        '/demo/components',
        vaultProvider({ backend: ['demo-vault'], [field]: ['x'] }),
      );
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ field });
      expect(demoVault.requests.length).toBe(before);
    },
  );

  it.each([
    ['an unknown back end', 'no-such-vault'],
    ['a back end of the other type', 'master-hsm'],
    ['a back end not declared for this realm', 'master-vault'],
  ])(
    '%s: 400 naming config.backend, nothing contacted, one text for all',
    async (_what, backend) => {
      const before = [masterVault.requests.length, demoVault.requests.length];
      const res = await asDemoAdmin(
        'POST',
        '/demo/components',
        vaultProvider({ backend: [backend] }),
      );
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        field: 'backend',
        errorMessage: `config.backend "${backend}" names no vault-transit back end this realm may use (back ends are declared by the operator in KEY_BACKENDS_FILE or KEY_BACKENDS)`,
      });
      expect([masterVault.requests.length, demoVault.requests.length]).toEqual(before);
    },
  );

  it("a back end declared for the realm is used by name: its key signs the realm's tokens", async () => {
    const res = await asDemoAdmin('POST', '/demo/components', {
      name: 'vault-es',
      providerId: 'vault-transit',
      providerType: KEY_PROVIDER,
      config: {
        backend: ['demo-vault'],
        keyName: ['ec-key'],
        algorithm: ['ES256'],
        priority: ['100'],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(
      (await certs('demo')).some((k) => k.alg === 'ES256' && k.kid.startsWith('ec-key-v1-')),
    ).toBe(true);
  });
});

describe('(b) a realm administrator cannot make the server load a library', () => {
  it('a pkcs11 component with modulePath: 400 naming the field, and no library is loaded', async () => {
    const load = vi.spyOn(pkcs11js.PKCS11.prototype, 'load');
    try {
      const evil = `/tmp/evil-${randomUUID()}.so`;
      const res = await asDemoAdmin('POST', '/demo/components', {
        name: 'hsm',
        providerId: 'pkcs11',
        providerType: KEY_PROVIDER,
        config: {
          modulePath: [evil],
          tokenLabel: ['t'],
          pinEnv: ['KC_BOOTSTRAP_ADMIN_PASSWORD'],
          keyId: ['01'],
          algorithm: ['RS256'],
          priority: ['1'],
        },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        field: 'modulePath',
        errorMessage: expect.stringContaining('config.modulePath is not accepted'),
      });
      expect(JSON.stringify(res.body)).not.toMatch(
        /dlopen|shared object|cannot open|No such file/i,
      );
      expect(load).not.toHaveBeenCalled();
    } finally {
      load.mockRestore();
    }
  });

  it.each(['module', 'tokenLabel', 'slot', 'pinEnv', 'pinFile', 'sessions'])(
    'config.%s in a pkcs11 component: 400 naming it, nothing loaded',
    async (field) => {
      const load = vi.spyOn(pkcs11js.PKCS11.prototype, 'load');
      try {
        const res = await asDemoAdmin('POST', '/demo/components', {
          name: 'hsm',
          providerId: 'pkcs11',
          providerType: KEY_PROVIDER,
          config: { backend: ['master-hsm'], keyId: ['01'], [field]: ['1'] },
        });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ field });
        expect(load).not.toHaveBeenCalled();
      } finally {
        load.mockRestore();
      }
    },
  );

  it('a pkcs11 back end of another realm: 400 naming config.backend, nothing loaded', async () => {
    const load = vi.spyOn(pkcs11js.PKCS11.prototype, 'load');
    try {
      const res = await asDemoAdmin('POST', '/demo/components', {
        name: 'hsm',
        providerId: 'pkcs11',
        providerType: KEY_PROVIDER,
        config: { backend: ['master-hsm'], keyId: ['01'], algorithm: ['RS256'] },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ field: 'backend' });
      expect(load).not.toHaveBeenCalled();
    } finally {
      load.mockRestore();
    }
  });
});

/**
 * master's RS256 key held in its Vault. On the code before the fix (b8503ba) there were no
 * declared back ends and the same key was configured inline; that form is tried when the declared
 * one is not understood, so the attack below runs against both.
 */
async function masterVaultKey(): Promise<{ componentId: string; kid: string }> {
  const kc = await masterAdmin();
  const declared = await adminCall(
    kc.accessToken!,
    'POST',
    '/master/components',
    vaultProvider({ backend: ['master-vault'], priority: ['1'] }),
  );
  const created =
    declared.status === 201
      ? declared
      : await adminCall(
          kc.accessToken!,
          'POST',
          '/master/components',
          vaultProvider({
            address: [masterVault.url],
            tokenEnv: ['QSIGN_TEST_MASTER_VAULT_TOKEN'],
            priority: ['1'],
          }),
        );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const componentId = created.location!.split('/').at(-1)!;
  const [{ kid }] = await server.db.query<{ kid: string }>(
    'SELECT kid FROM keys WHERE realm_id = $1 AND component_id = $2',
    [await realmId('master'), componentId],
  );
  return { componentId, kid };
}

/** A service-account-shaped master admin token (jti "tr...": transient), signed by the attacker's Vault key. */
async function forgedMasterToken(kid: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString(
    'base64url',
  );
  const payload = Buffer.from(
    JSON.stringify({
      iss: `${server.baseUrl}/realms/master`,
      typ: 'Bearer',
      jti: `trcc:${randomUUID()}`,
      iat: now,
      exp: now + 300,
      azp: 'admin-cli',
      sub: randomUUID(),
      preferred_username: 'backdoor',
      realm_access: { roles: ['admin'] },
      scope: 'profile email',
    }),
  ).toString('base64url');
  const res = await fetch(`${demoVault.url}/v1/transit/sign/rsa-key`, {
    method: 'POST',
    headers: { 'x-vault-token': demoVault.rootToken, 'content-type': 'application/json' },
    body: JSON.stringify({
      input: Buffer.from(`${header}.${payload}`).toString('base64'),
      hash_algorithm: 'sha2-256',
      signature_algorithm: 'pkcs1v15',
    }),
  });
  const signature = /^vault:v\d+:(.+)$/.exec(
    ((await res.json()) as { data: { signature: string } }).data.signature,
  )![1];
  return `${header}.${payload}.${Buffer.from(signature, 'base64').toString('base64url')}`;
}

describe('(c) a realm administrator cannot take over a key of another realm', () => {
  it("a component whose id collides with a master component: master's key is untouched, the forged token gets 401", async () => {
    const target = await masterVaultKey();
    const before = (await certs('master')).find((k) => k.kid === target.kid)!;
    expect(before).toBeDefined();
    // The attack: the same key name, an id with the master component's prefix (kids
    // derive from it), the attacker's own Vault. Then the same with a back end declared for demo.
    const id = `${target.componentId.slice(0, 8)}-0000-4000-8000-${randomUUID().slice(-12)}`;
    const attempts = [
      vaultProvider(
        { address: [demoVault.url], tokenEnv: ['QSIGN_TEST_DEMO_VAULT_TOKEN'], priority: ['1'] },
        { id },
      ),
      vaultProvider({ backend: ['demo-vault'], priority: ['1'] }, { id }),
    ];
    const answers = [];
    for (const attempt of attempts)
      answers.push(await asDemoAdmin('POST', '/demo/components', attempt));
    // Whatever was written must also survive master loading its keys again (a restart, or any change of master).
    server.registry.invalidate('master');
    const forged = await forgedMasterToken(target.kid);
    expect(decodeProtectedHeader(forged).kid).toBe(target.kid);
    const backdoor = await adminCall(forged, 'POST', '/master/users', {
      username: 'backdoor',
      enabled: true,
    });
    expect(backdoor.status).toBe(401);
    expect((await certs('master')).find((k) => k.kid === target.kid)).toEqual(before);
    const [row] = await server.db.query<{ n: string }>(
      "SELECT public_jwk->>'n' AS n FROM keys WHERE realm_id = $1 AND kid = $2",
      [await realmId('master'), target.kid],
    );
    expect(row.n).toBe(before.n);
    const kc = await masterAdmin();
    expect(await kc.users.find({ username: 'backdoor', exact: true })).toEqual([]);
    // The inline form is refused; the declared one is made, under an id of the server's.
    expect(answers.map((a) => a.status)).toEqual([400, 201]);
    expect(answers[1].location!.split('/').at(-1)).not.toBe(id);
  });

  it("a component created with another realm's component id gets a fresh id (not a 500), and the other realm's component stays out of reach", async () => {
    const [master] = await server.db.query<{ id: string }>(
      'SELECT id FROM components WHERE realm_id = $1 AND provider_type = $2 LIMIT 1',
      [await realmId('master'), KEY_PROVIDER],
    );
    const res = await asDemoAdmin('POST', '/demo/components', {
      id: master.id,
      name: 'ml',
      providerId: 'ml-dsa-generated',
      providerType: KEY_PROVIDER,
      config: { priority: ['1'], algorithm: ['ML-DSA-65'] },
    });
    expect(res.status).toBe(201);
    expect(res.location!.split('/').at(-1)).not.toBe(master.id);
    const policy = await asDemoAdmin('POST', '/demo/components', {
      id: master.id,
      name: 'rot',
      providerId: 'scheduled-rotation',
      providerType: 'qsign.keys.RotationPolicy',
      config: { algorithm: ['ES384'], rotationPeriod: ['86400'] },
    });
    expect(policy.status).toBe(201);
    expect(policy.location!.split('/').at(-1)).not.toBe(master.id);
    expect((await asDemoAdmin('GET', `/demo/components/${master.id}`)).status).toBe(404);
    expect(
      (await asDemoAdmin('PUT', `/demo/components/${master.id}`, { config: { priority: ['2'] } }))
        .status,
    ).toBe(404);
    expect((await asDemoAdmin('DELETE', `/demo/components/${master.id}`)).status).toBe(404);
  });
});

describe('components stored with inline back-end settings (before back ends were declared)', () => {
  it('are never acted upon: their alg answers 503, readiness says to declare the back end and set config.backend', async () => {
    // A vault-transit component as stored before the fix, with its key row, in a realm of its own.
    const kc = await masterAdmin();
    await kc.realms.create({ realm: 'legacy', enabled: true });
    kc.setConfig({ realmName: 'legacy' });
    const id = await realmId('legacy');
    const componentId = randomUUID();
    const publicJwk = (await certs('demo')).find((k) => k.alg === 'ES256')!;
    // Its Vault "address" is the listener: nothing may connect there.
    const target = `http://127.0.0.1:${(listener.address() as net.AddressInfo).port}`;
    const before = connections;
    await server.db.transaction(async (tx) => {
      await tx.query(
        'INSERT INTO components (id, realm_id, name, provider_id, provider_type, parent_id, config) VALUES ($1, $2, $3, $4, $5, $2, $6)',
        [
          componentId,
          id,
          'old-vault',
          'vault-transit',
          KEY_PROVIDER,
          JSON.stringify({
            address: [target],
            tokenEnv: ['KC_BOOTSTRAP_ADMIN_PASSWORD'],
            keyName: ['ec-key'],
            algorithm: ['ES256'],
            priority: ['100'],
          }),
        ],
      );
      await tx.query(
        "INSERT INTO keys (kid, realm_id, alg, provider_id, priority, status, component_id, backend, backend_ref, public_jwk) VALUES ($1, $2, 'ES256', 'vault-transit', 100, 'ACTIVE', $3, 'vault-transit', $4, $5)",
        [
          `ec-key-v1-${componentId.slice(0, 8)}`,
          id,
          componentId,
          JSON.stringify({ mount: 'transit', keyName: 'ec-key', version: 1 }),
          JSON.stringify(publicJwk),
        ],
      );
    });
    await kc.clients.create({
      clientId: 'svc',
      secret: 's',
      publicClient: false,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      attributes: { 'access.token.signed.response.alg': 'ES256' },
    });
    server.registry.invalidate('legacy');
    const res = await fetch(`${server.baseUrl}/realms/legacy/protocol/openid-connect/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('svc:s').toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(res.status).toBe(503);
    const ready = await (await fetch(`${server.baseUrl}/health/ready`)).json().then(asJson);
    expect(ready.checks).toContainEqual({
      name: `key ec-key-v1-${componentId.slice(0, 8)} (vault-transit) of realm legacy`,
      status: 'DOWN',
      reason: expect.stringContaining(
        "declare the back end in KEY_BACKENDS_FILE or KEY_BACKENDS and set the component's config.backend",
      ),
    });
    const sync = await syncAllExternalKeys(server.db, server.backends);
    expect(sync.failures).toContainEqual({
      realm: 'legacy',
      component: 'old-vault',
      reason: expect.stringContaining('no longer acted upon'),
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(connections).toBe(before);
  });
});

/**
 * The admin REST API and key lifecycle, driven by @keycloak/keycloak-admin-client itself:
 * admin login against master, realm/client/user/role management, and key rotation through
 * components (active -> passive -> disabled), under load, and on a schedule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { createLocalJWKSet, verifyToken } from 'qsign-oidc/verify';
import { decodeProtectedHeader } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { asJson } from '../helpers/json.ts';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { runRotation } from '../../src/keys/rotation.ts';

let server: TestServer;
let kc: KcAdminClient;
const ADMIN_PASSWORD = 'admin-test-password';

beforeAll(async () => {
  server = await startServer({ realmFiles: [path.join(REPO, 'realms', 'master.json')] });
  kc = new KcAdminClient({ baseUrl: server.baseUrl, realmName: 'master' });
  await kc.auth({
    username: 'admin',
    password: ADMIN_PASSWORD,
    grantType: 'password',
    clientId: 'admin-cli',
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const issuer = (realm: string) => `${server.baseUrl}/realms/${realm}`;
async function token(realm: string, form: Record<string, string>, basic?: [string, string]) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(basic.join(':')).toString('base64')}`;
  const res = await fetch(`${issuer(realm)}/protocol/openid-connect/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: await res.json().then(asJson) };
}
const certs = async (realm: string) =>
  (await (await fetch(`${issuer(realm)}/protocol/openid-connect/certs`)).json().then(asJson)) as {
    keys: { kid: string; alg: string }[];
  };
const verifyNow = async (realm: string, jwt: string) =>
  verifyToken(jwt, createLocalJWKSet(await certs(realm)), {
    algorithms: ['ML-DSA-65', 'RS256'],
    issuer: issuer(realm),
  });
const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;

describe('admin REST API with @keycloak/keycloak-admin-client', () => {
  let svcSecret = '';

  it('creates a realm, a client, a user with a password and a role', async () => {
    await kc.realms.create({ realm: 'acme', enabled: true, displayName: 'ACME' });
    expect((await kc.realms.findOne({ realm: 'acme' }))?.displayName).toBe('ACME');
    expect((await kc.realms.find()).map((r) => r.realm)).toEqual(
      expect.arrayContaining(['master', 'acme']),
    );
    await kc.realms.update({ realm: 'acme' }, { accessTokenLifespan: 120 });
    expect((await kc.realms.findOne({ realm: 'acme' }))?.accessTokenLifespan).toBe(120);
    kc.setConfig({ realmName: 'acme' });

    const { id } = await kc.clients.create({
      clientId: 'svc',
      publicClient: false,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
    });
    const client = await kc.clients.findOne({ id });
    expect(client?.clientId).toBe('svc');
    expect((await kc.clients.find({ clientId: 'svc' }))[0].id).toBe(id);
    await kc.clients.update(
      { id },
      {
        ...client,
        directAccessGrantsEnabled: true,
        attributes: { 'access.token.signed.response.alg': 'RS256' },
      },
    );
    expect(
      (await kc.clients.findOne({ id }))?.attributes?.['access.token.signed.response.alg'],
    ).toBe('RS256');
    await kc.clients.update(
      { id },
      { attributes: { 'access.token.signed.response.alg': 'ML-DSA-65' } },
    );
    const before = (await kc.clients.getClientSecret({ id })).value!;
    svcSecret = (await kc.clients.generateNewClientSecret({ id })).value!;
    expect(svcSecret).not.toBe(before);
    await expect(kc.clients.create({ clientId: 'svc' })).rejects.toMatchObject({
      response: { status: 409 },
    });

    const user = await kc.users.create({
      username: 'carol',
      enabled: true,
      email: 'carol@acme.example',
      firstName: 'Carol',
    });
    await kc.users.resetPassword({
      id: user.id,
      credential: { type: 'password', value: 'Carol-Secret-1', temporary: false },
    });
    await kc.roles.create({ name: 'auditor', description: 'reads reports' });
    const auditor = await kc.roles.findOneByName({ name: 'auditor' });
    await kc.users.addRealmRoleMappings({
      id: user.id,
      roles: [{ id: auditor!.id!, name: 'auditor' }],
    });
    // A user created through the admin API holds the realm's default role as a mapping, as in
    // Keycloak (UsersResource.createUser -> UserProvider.addUser with addDefaultRoles = true).
    expect(
      (await kc.users.listRealmRoleMappings({ id: user.id })).map((r) => r.name).sort(),
    ).toEqual(['auditor', 'default-roles-acme']);
    expect((await kc.users.find({ username: 'carol', exact: true }))[0].email).toBe(
      'carol@acme.example',
    );

    const login = await token(
      'acme',
      { grant_type: 'password', client_id: 'svc', username: 'carol', password: 'Carol-Secret-1' },
      ['svc', svcSecret],
    );
    expect(login.status).toBe(200);
    const { payload } = await verifyNow('acme', login.body.access_token);
    expect((payload.realm_access as { roles: string[] }).roles).toContain('auditor');
  });

  it('rotates keys through components: higher priority signs, passive still verifies, disabled disappears', async () => {
    const keys0 = await kc.realms.getKeys({ realm: 'acme' });
    const oldKid = keys0.active!['ML-DSA-65'];
    const oldProvider = keys0.keys!.find((k) => k.kid === oldKid)!.providerId!;
    const old = await token('acme', { grant_type: 'client_credentials' }, ['svc', svcSecret]);
    expect(kidOf(old.body.access_token)).toBe(oldKid);

    const realmId = (await kc.realms.findOne({ realm: 'acme' }))!.id!;
    const { id: newProvider } = await kc.components.create({
      name: 'pq-2',
      providerId: 'ml-dsa-generated',
      providerType: 'org.keycloak.keys.KeyProvider',
      parentId: realmId,
      config: { priority: ['200'], algorithm: ['ML-DSA-65'] },
    });
    expect(
      (await kc.components.find({ type: 'org.keycloak.keys.KeyProvider', name: 'pq-2' }))[0].id,
    ).toBe(newProvider);
    const fresh = await token('acme', { grant_type: 'client_credentials' }, ['svc', svcSecret]);
    const newKid = kidOf(fresh.body.access_token);
    expect(newKid).not.toBe(oldKid);
    expect((await kc.realms.getKeys({ realm: 'acme' })).active!['ML-DSA-65']).toBe(newKid);

    const oldComponent = (await kc.components.findOne({ id: oldProvider }))!;
    await kc.components.update(
      { id: oldProvider },
      { ...oldComponent, config: { ...oldComponent.config, active: ['false'] } },
    );
    expect(
      (await kc.realms.getKeys({ realm: 'acme' })).keys!.find((k) => k.kid === oldKid)?.status,
    ).toBe('PASSIVE');
    await verifyNow('acme', old.body.access_token);
    const introspection = await fetch(
      `${issuer('acme')}/protocol/openid-connect/token/introspect`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`svc:${svcSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token: old.body.access_token }),
      },
    );
    expect((await introspection.json().then(asJson)).active).toBe(true);

    // The old key signed tokens that are still valid: disabling it is refused (keys/removal-guard.ts) until they expire.
    await expect(
      kc.components.update(
        { id: oldProvider },
        {
          ...oldComponent,
          config: { ...oldComponent.config, active: ['false'], enabled: ['false'] },
        },
      ),
    ).rejects.toMatchObject({ response: { status: 400 } });
    await server.db.query(
      "UPDATE keys SET signed_until = now() - interval '2 days' WHERE kid = $1",
      [oldKid],
    );
    await kc.components.update(
      { id: oldProvider },
      {
        ...oldComponent,
        config: { ...oldComponent.config, active: ['false'], enabled: ['false'] },
      },
    );
    expect((await certs('acme')).keys.map((k) => k.kid)).not.toContain(oldKid);
    await expect(verifyNow('acme', old.body.access_token)).rejects.toThrow(
      /no key in the JWKS matches/,
    );

    // The last active key for the realm's default alg cannot go.
    await expect(kc.components.del({ id: newProvider })).rejects.toMatchObject({
      response: { status: 400 },
    });
    expect((await certs('acme')).keys.map((k) => k.kid)).toContain(newKid);
  });

  it('creates keys with each Keycloak provider: rsa (imported PEM), ecdsa-generated, hmac-generated, composite-generated', async () => {
    const realmId = (await kc.realms.findOne({ realm: 'acme' }))!.id!;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const { id: rsaId } = await kc.components.create({
      name: 'imported',
      providerId: 'rsa',
      providerType: 'org.keycloak.keys.KeyProvider',
      parentId: realmId,
      config: { priority: ['50'], privateKey: [pem], algorithm: ['PS256'] },
    });
    expect((await kc.components.findOne({ id: rsaId }))!.config!.privateKey).toBeUndefined();
    for (const [providerId, algorithm] of [
      ['ecdsa-generated', 'ES256'],
      ['hmac-generated', 'HS256'],
      ['composite-generated', 'ML-DSA-65-ES256'],
    ]) {
      await kc.components.create({
        name: providerId,
        providerId,
        providerType: 'org.keycloak.keys.KeyProvider',
        parentId: realmId,
        config: { priority: ['50'], algorithm: [algorithm] },
      });
    }
    const keys = await kc.realms.getKeys({ realm: 'acme' });
    const imported = keys.keys!.find((k) => k.providerId === rsaId)!;
    expect(imported).toMatchObject({
      algorithm: 'PS256',
      type: 'RSA',
      status: 'ACTIVE',
      use: 'SIG',
    });
    expect(imported.publicKey).toBe(
      publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    );
    expect(keys.active).toMatchObject({
      ES256: expect.any(String),
      HS256: expect.any(String),
      'ML-DSA-65-ES256': expect.any(String),
      PS256: imported.kid,
    });
    const published = (await certs('acme')).keys;
    expect(published.find((k) => k.kid === imported.kid)).toMatchObject({
      kty: 'RSA',
      alg: 'PS256',
    });
    expect(published.some((k) => k.alg === 'HS256')).toBe(false);
  });

  it('answers 401 without a token, 403 to a non-admin, 400 with the field for bad component config', async () => {
    expect((await fetch(`${server.baseUrl}/admin/realms/acme/keys`)).status).toBe(401);
    const carol = await token(
      'acme',
      { grant_type: 'password', client_id: 'svc', username: 'carol', password: 'Carol-Secret-1' },
      ['svc', svcSecret],
    );
    const forbidden = await fetch(`${server.baseUrl}/admin/realms/acme/keys`, {
      headers: { authorization: `Bearer ${carol.body.access_token}` },
    });
    expect(forbidden.status).toBe(403);
    // A service account's (transient) token: live but without realm-admin, 403; tampered or
    // revoked, 401.
    const service = (await token('acme', { grant_type: 'client_credentials' }, ['svc', svcSecret]))
      .body.access_token as string;
    const status = (bearer: string) =>
      fetch(`${server.baseUrl}/admin/realms/acme/keys`, {
        headers: { authorization: `Bearer ${bearer}` },
      }).then((r) => r.status);
    expect(await status(service)).toBe(403);
    expect(
      await status(`${service.slice(0, -4)}${service.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`),
    ).toBe(401);
    const revoked = await fetch(`${issuer('acme')}/protocol/openid-connect/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`svc:${svcSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: service }),
    });
    expect(revoked.status).toBe(200);
    expect(await status(service)).toBe(401);

    const bad = await fetch(`${server.baseUrl}/admin/realms/acme/components`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kc.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'x',
        providerId: 'ml-dsa-generated',
        providerType: 'org.keycloak.keys.KeyProvider',
        config: { priority: ['high'] },
      }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json().then(asJson)).toEqual({
      field: 'priority',
      errorMessage: 'config.priority must be an integer, got "high"',
    });
    const unknown = await fetch(`${server.baseUrl}/admin/realms/acme/components`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kc.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'x',
        providerId: 'quantum-magic',
        providerType: 'org.keycloak.keys.KeyProvider',
        config: {},
      }),
    });
    expect(unknown.status).toBe(400);
    expect((await unknown.json().then(asJson)).field).toBe('providerId');
    const badJson = await fetch(`${server.baseUrl}/admin/realms/acme/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kc.accessToken}`, 'content-type': 'application/json' },
      body: '{"clientId":',
    });
    expect(badJson.status).toBe(400);
  });
});

/** Creates `realm` (admin client left pointing at it) with confidential service-account clients; their secrets and the realm id. */
async function serviceRealm(realm: string, clientIds: string[]) {
  kc.setConfig({ realmName: 'master' });
  // These tests rotate ML-DSA-65 keys: the realm signs with them (a realm that names no alg signs RS256, as in Keycloak).
  await kc.realms.create({ realm, enabled: true, defaultSignatureAlgorithm: 'ML-DSA-65' });
  kc.setConfig({ realmName: realm });
  const secrets: Record<string, string> = {};
  for (const clientId of clientIds) {
    const { id } = await kc.clients.create({
      clientId,
      publicClient: false,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
    });
    secrets[clientId] = (await kc.clients.getClientSecret({ id })).value!;
  }
  return { secrets, realmId: (await kc.realms.findOne({ realm }))!.id! };
}

describe('rotation under load', () => {
  it('five rotations while three clients issue tokens: no failed request, every token verifies against the JWKS of its moment', async () => {
    const { secrets, realmId } = await serviceRealm('load', ['a', 'b', 'c']);
    let running = true;
    const failures: string[] = [];
    const kids = new Set<string>();
    const worker = async (clientId: string) => {
      let issued = 0;
      while (running) {
        const res = await token('load', { grant_type: 'client_credentials' }, [
          clientId,
          secrets[clientId],
        ]);
        if (res.status !== 200) {
          failures.push(`${clientId}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
          continue;
        }
        try {
          await verifyNow('load', res.body.access_token);
          kids.add(kidOf(res.body.access_token)!);
        } catch (err) {
          failures.push(`${clientId}: ${(err as Error).message}`);
        }
        issued += 1;
      }
      return issued;
    };
    const workers = ['a', 'b', 'c'].map(worker);
    let previous = (await kc.realms.getKeys({ realm: 'load' })).keys!.find(
      (k) => k.algorithm === 'ML-DSA-65' && k.status === 'ACTIVE',
    )!.providerId!;
    for (let i = 1; i <= 5; i += 1) {
      await new Promise((r) => setTimeout(r, 150));
      const { id } = await kc.components.create({
        name: `rot-${i}`,
        providerId: 'ml-dsa-generated',
        providerType: 'org.keycloak.keys.KeyProvider',
        parentId: realmId,
        config: { priority: [String(200 + i)], algorithm: ['ML-DSA-65'] },
      });
      const prev = (await kc.components.findOne({ id: previous }))!;
      await kc.components.update(
        { id: previous },
        { ...prev, config: { ...prev.config, active: ['false'] } },
      );
      previous = id;
    }
    await new Promise((r) => setTimeout(r, 150));
    running = false;
    const issued = (await Promise.all(workers)).reduce((a, b) => a + b, 0);
    expect(failures).toEqual([]);
    expect(issued).toBeGreaterThan(30);
    expect(kids.size).toBeGreaterThanOrEqual(5);
  });
});

describe('admin keys listing', () => {
  it('lists a legacy local key (no stored public JWK) from its private key, and one that cannot be opened without its public key, not as a 500', async () => {
    await kc.realms.create({ realm: 'legacy-keys', enabled: true });
    const [realm] = await server.db.query<{ id: string }>(
      "SELECT id FROM realms WHERE name = 'legacy-keys'",
    );
    const keys = await server.db.query<{ kid: string; alg: string }>(
      "SELECT kid, alg FROM keys WHERE realm_id = $1 AND backend = 'local' AND alg IN ('RS256', 'ML-DSA-65')",
      [realm.id],
    );
    const rsa = keys.find((k) => k.alg === 'RS256')!;
    const mlDsa = keys.find((k) => k.alg === 'ML-DSA-65')!;
    await server.db.query('UPDATE keys SET public_jwk = NULL WHERE kid = ANY($1)', [
      [rsa.kid, mlDsa.kid],
    ]);
    const before = await kc.realms.getKeys({ realm: 'legacy-keys' });
    expect(before.keys!.find((k) => k.kid === rsa.kid)?.publicKey).toMatch(/^MII/);
    expect(before.keys!.find((k) => k.kid === mlDsa.kid)?.publicKey).toBeTruthy();
    // Derived once: the listing recorded both public JWKs, so the next one decrypts nothing.
    const recorded = await server.db.query<{ kid: string; public_jwk: { kty: string } | null }>(
      'SELECT kid, public_jwk FROM keys WHERE kid = ANY($1)',
      [[rsa.kid, mlDsa.kid]],
    );
    expect(recorded.map((r) => r.public_jwk?.kty).sort()).toEqual(['AKP', 'RSA']);
    expect(JSON.stringify(recorded)).not.toMatch(/"d"|"priv"/);
    // Loading the realm records them too (it opens its keys anyway).
    await server.db.query('UPDATE keys SET public_jwk = NULL WHERE kid = $1', [mlDsa.kid]);
    server.registry.invalidate('legacy-keys');
    expect((await fetch(`${issuer('legacy-keys')}/protocol/openid-connect/certs`)).status).toBe(
      200,
    );
    const [loaded] = await server.db.query<{ public_jwk: { pub?: string; x?: string } | null }>(
      'SELECT public_jwk FROM keys WHERE kid = $1',
      [mlDsa.kid],
    );
    expect(loaded.public_jwk?.pub ?? loaded.public_jwk?.x).toBeTruthy();

    // A sealed key that no longer opens (restored from elsewhere, or damaged), with no recorded
    // public JWK: listed, no public key.
    await server.db.query(
      "UPDATE keys SET private_key = decode('00', 'hex'), public_jwk = NULL WHERE kid = $1",
      [rsa.kid],
    );
    const after = await kc.realms.getKeys({ realm: 'legacy-keys' });
    expect(after.keys!.find((k) => k.kid === rsa.kid)).toMatchObject({
      kid: rsa.kid,
      algorithm: 'RS256',
    });
    expect(after.keys!.find((k) => k.kid === rsa.kid)?.publicKey).toBeUndefined();
    expect(after.keys!.find((k) => k.kid === mlDsa.kid)?.publicKey).toBeTruthy();
  });
});

describe('scheduled rotation', () => {
  it('pre-publishes passive, activates after the window, disables after retirement, and records who did it', async () => {
    const {
      secrets: { svc: secret },
      realmId,
    } = await serviceRealm('sched', ['svc']);
    await kc.components.create({
      name: 'rotate-mldsa',
      providerId: 'scheduled-rotation',
      providerType: 'qsign.keys.RotationPolicy',
      parentId: realmId,
      config: {
        algorithm: ['ML-DSA-65'],
        rotationPeriod: ['100'],
        prePublication: ['20'],
        retireAfter: ['30'],
      },
    });
    const certsRes = await fetch(`${issuer('sched')}/protocol/openid-connect/certs`);
    expect(certsRes.headers.get('cache-control')).toBe('max-age=10');

    const kid0 = (await kc.realms.getKeys({ realm: 'sched' })).active!['ML-DSA-65']!;
    const t0 = Math.floor(Date.now() / 1000);
    const kek = server.config.keyEncryptionKey;
    // The server's own scheduler drops the realm's runtime after a pass that changed keys; here the test does.
    const rotate = async (now: number) => {
      const actions = await runRotation(server.db, kek, { now });
      server.registry.invalidate('sched');
      return actions.map((a) => `${a.realm}: ${a.message}`);
    };
    expect(await rotate(t0)).toEqual([]);

    expect(await rotate(t0 + 85)).toEqual(['sched: ML-DSA-65 next key pre-published']);
    const published = (await certs('sched')).keys
      .filter((k) => k.alg === 'ML-DSA-65')
      .map((k) => k.kid);
    expect(published).toHaveLength(2);
    const kid1 = published.find((k) => k !== kid0)!;
    expect(
      kidOf(
        (await token('sched', { grant_type: 'client_credentials' }, ['svc', secret])).body
          .access_token,
      ),
    ).toBe(kid0);

    const activated = await rotate(t0 + 106);
    expect(activated).toEqual([`sched: ML-DSA-65 key ${kid1} activated`]);
    expect(
      kidOf(
        (await token('sched', { grant_type: 'client_credentials' }, ['svc', secret])).body
          .access_token,
      ),
    ).toBe(kid1);
    expect((await certs('sched')).keys.map((k) => k.kid)).toContain(kid0);

    // kid0 signed a token still valid (the realm's lifespans): it stays PASSIVE past its retireAt
    // (keys/removal-guard.ts) until that token expired, here made to have happened.
    expect(await rotate(t0 + 137)).toEqual([]);
    expect((await certs('sched')).keys.map((k) => k.kid)).toContain(kid0);
    await server.db.query(
      "UPDATE keys SET signed_until = now() - interval '2 days' WHERE kid = $1",
      [kid0],
    );
    expect(await rotate(t0 + 138)).toEqual([`sched: ML-DSA-65 key ${kid0} disabled`]);
    expect((await certs('sched')).keys.map((k) => k.kid)).not.toContain(kid0);

    const events = await server.db.query<{ kid: string; action: string; actor: string }>(
      "SELECT kid, action, actor FROM key_events WHERE realm_id = $1 AND actor = 'scheduler' ORDER BY id",
      [realmId],
    );
    expect(events.map((e) => `${e.kid === kid0 ? 'old' : 'new'} ${e.action}`)).toEqual([
      'new created PASSIVE',
      'new set ACTIVE priority 101',
      'old set PASSIVE priority 100',
      'old set DISABLED priority 100',
    ]);
  });
});

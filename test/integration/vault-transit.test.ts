/**
 * The vault-transit signer back end against the Vault transit test server (test/vault): tokens
 * for every supported alg signed in "Vault" and verified from /certs, Vault key rotation picked
 * up by a key sync (old version still verifies, then disabled by min_decryption_version, then
 * removed by trim), AppRole with token renewal, the namespace header, and every fault mode with
 * the status the client sees and the time to recover. Credentials: a token file rewritten (Vault
 * Agent) or a rotated secret_id is picked up without a restart, health reports signing's authentication, a burst
 * of refused requests costs one AppRole login, and a failed renewal keeps the token until expiry.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { createLocalJWKSet, verifyToken } from 'qsign-oidc/verify';
import { asJson } from '../helpers/json.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { VaultTransitTestServer } from '../vault/transit-server.ts';
import { syncAllExternalKeys } from '../../src/keys/external.ts';
import { findComponent, updateKeyProvider } from '../../src/keys/providers.ts';
import { addKeyProvider } from '../../src/keys/add-provider.ts';
import { VaultClient, VaultError } from '../../src/signer/vault/client.ts';

const ALGS: [alg: string, key: string, mount: string][] = [
  ['RS256', 'rsa-key', 'transit'],
  ['PS256', 'rsa-key', 'transit'],
  ['ES256', 'ec-key', 'transit'],
  ['ML-DSA-65', 'pq-key', 'transit'],
  ['ML-DSA-44', 'pq-oqs', 'oqs-transit'],
];
let vault: VaultTransitTestServer;
/** A second Vault, declared too, for the readiness test (it is stopped there). */
let other: VaultTransitTestServer;
let server: TestServer;
const issuer = () => `${server.baseUrl}/realms/vault`;

beforeAll(async () => {
  vault = await new VaultTransitTestServer().start();
  vault.createKey('rsa-key', 'rsa-2048');
  vault.createKey('ec-key', 'ecdsa-p256');
  vault.createKey('pq-key', 'ml-dsa');
  vault.createKey('pq-oqs', 'ml-dsa', 'oqs-transit', '44');
  vault.createKey('pq-approle', 'ml-dsa', 'transit', '87');
  vault.addAppRole('qsign-role', 'qsign-secret-id', 2);
  process.env.QSIGN_TEST_VAULT_TOKEN = vault.rootToken;
  process.env.QSIGN_TEST_VAULT_SECRET_ID = 'qsign-secret-id';
  other = await new VaultTransitTestServer().start();
  other.createKey('spare', 'ml-dsa', 'transit', '44');
  process.env.QSIGN_TEST_OTHER_VAULT_TOKEN = other.rootToken;
  // The operator's declaration (docs/backends.md); the components name these back ends.
  const connection = {
    type: 'vault-transit',
    address: vault.url,
    auth: { method: 'token', tokenEnv: 'QSIGN_TEST_VAULT_TOKEN' },
    timeoutMs: 500,
    breakerResetMs: 300,
    realms: ['vault'],
  };
  const keyBackends = {
    'vault-main': connection,
    'vault-oqs': { ...connection, mount: 'oqs-transit' },
    'vault-approle': {
      type: 'vault-transit',
      address: vault.url,
      auth: { method: 'approle', roleId: 'qsign-role', secretIdEnv: 'QSIGN_TEST_VAULT_SECRET_ID' },
      realms: ['*'],
    },
    'vault-other': {
      type: 'vault-transit',
      address: other.url,
      auth: { method: 'token', tokenEnv: 'QSIGN_TEST_OTHER_VAULT_TOKEN' },
      realms: ['vault'],
    },
  };
  const realm = {
    realm: 'vault',
    components: {
      'org.keycloak.keys.KeyProvider': [
        ...ALGS.map(([alg, keyName, mount]) => ({
          name: `vault-${alg}`,
          providerId: 'vault-transit',
          config: {
            backend: [mount === 'transit' ? 'vault-main' : 'vault-oqs'],
            keyName: [keyName],
            algorithm: [alg],
            priority: ['200'],
          },
        })),
        {
          name: 'vault-approle',
          providerId: 'vault-transit',
          config: {
            backend: ['vault-approle'],
            keyName: ['pq-approle'],
            algorithm: ['ML-DSA-87'],
            priority: ['200'],
          },
        },
      ],
    },
    clients: [...ALGS.map(([alg]) => alg), 'ML-DSA-87'].map((alg) => ({
      clientId: `c-${alg}`,
      secret: 's',
      serviceAccountsEnabled: true,
      attributes: { 'access.token.signed.response.alg': alg },
    })),
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qsign-vault-')), 'vault.json');
  writeFileSync(file, JSON.stringify(realm));
  server = await startServer({
    realmFiles: [file],
    env: { KEY_BACKENDS: JSON.stringify(keyBackends) },
  });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await vault?.stop();
  await other?.stop().catch(() => undefined);
});

async function tokenFor(alg: string) {
  const res = await fetch(`${issuer()}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`c-${alg}:s`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return { status: res.status, body: await res.json().then(asJson) };
}
const certs = async () =>
  await (await fetch(`${issuer()}/protocol/openid-connect/certs`)).json().then(asJson);
const verify = async (jwt: string, alg: string) =>
  verifyToken(jwt, createLocalJWKSet(await certs()), { algorithms: [alg], issuer: issuer() });
const sync = async () => {
  const r = await syncAllExternalKeys(server.db, server.backends);
  for (const realm of r.changed) server.registry.invalidate(realm);
  return r;
};

describe('vault-transit back end', () => {
  it.each(ALGS)(
    '%s tokens are signed in Vault (%s) and verify from /certs',
    async (alg, keyName, mount) => {
      const before = vault.requests.filter((r) => r.path === `/v1/${mount}/sign/${keyName}`).length;
      const res = await tokenFor(alg);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(decodeProtectedHeader(res.body.access_token).kid).toMatch(
        new RegExp(`^${keyName}-v1-`),
      );
      await verify(res.body.access_token, alg);
      expect(vault.requests.filter((r) => r.path === `/v1/${mount}/sign/${keyName}`).length).toBe(
        before + 1,
      );
    },
  );

  it('picks up a rotation in Vault; the old version verifies until min_decryption_version, and goes with trim', async () => {
    const old = await tokenFor('ML-DSA-65');
    await fetch(`${vault.url}/v1/transit/keys/pq-key/rotate`, {
      method: 'POST',
      headers: { 'x-vault-token': vault.rootToken },
    });
    expect((await sync()).changed).toEqual(['vault']);
    const fresh = await tokenFor('ML-DSA-65');
    expect(decodeProtectedHeader(fresh.body.access_token).kid).toMatch(/^pq-key-v2-/);
    await verify(old.body.access_token, 'ML-DSA-65');

    await fetch(`${vault.url}/v1/transit/keys/pq-key/config`, {
      method: 'POST',
      headers: { 'x-vault-token': vault.rootToken },
      body: JSON.stringify({ min_decryption_version: 2 }),
    });
    await sync();
    await expect(verify(old.body.access_token, 'ML-DSA-65')).rejects.toThrow(
      /no key in the JWKS matches/,
    );
    await fetch(`${vault.url}/v1/transit/keys/pq-key/trim`, {
      method: 'POST',
      headers: { 'x-vault-token': vault.rootToken },
      body: JSON.stringify({ min_available_version: 2 }),
    });
    await sync();
    const rows = await server.db.query<{ kid: string }>(
      "SELECT kid FROM keys WHERE backend = 'vault-transit' AND kid LIKE 'pq-key-%'",
    );
    expect(rows.map((r) => r.kid.split('-v')[1][0])).toEqual(['2']);
  });

  it('signs through AppRole and keeps working after the token lease ends', async () => {
    expect((await tokenFor('ML-DSA-87')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_200));
    const again = await tokenFor('ML-DSA-87');
    expect(again.status).toBe(200);
    await verify(again.body.access_token, 'ML-DSA-87');
    expect(vault.requests.some((r) => r.path === '/v1/auth/approle/login')).toBe(true);
  });

  it('a standby node is ready and signs (it forwards to the active node; its plain sys/health would say 429)', async () => {
    vault.fault = 'standby';
    try {
      expect((await fetch(`${vault.url}/v1/sys/health`)).status).toBe(429);
      const res = await tokenFor('ES256');
      expect(res.status).toBe(200);
      await verify(res.body.access_token, 'ES256');
      const ready = await fetch(`${server.baseUrl}/health/ready`);
      expect(ready.status).toBe(200);
    } finally {
      vault.fault = 'none';
    }
  });

  for (const fault of ['sealed', 'drop', 'slow'] as const) {
    it(`fault "${fault}": the token endpoint answers 503 temporarily_unavailable, readiness names Vault, and it recovers by itself`, async () => {
      vault.fault = fault === 'slow' ? { slowMs: 1_500 } : fault;
      const res = await tokenFor('ES256');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: 'temporarily_unavailable' });
      const ready = await fetch(`${server.baseUrl}/health/ready`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toContain(`vault-transit ${vault.url}`);
      vault.fault = 'none';
      const started = Date.now();
      let recovered = 0;
      for (let i = 0; i < 100; i += 1) {
        if ((await tokenFor('ES256')).status === 200) {
          recovered = Date.now() - started;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(recovered).toBeGreaterThan(0);
      expect(recovered).toBeLessThan(3_000);
      console.log(
        `vault fault ${fault}: client saw 503, recovered ${recovered} ms after the fault cleared`,
      );
    });
  }

  it('a missing key and a bad token surface as Vault errors without the token in the message', async () => {
    const client = new VaultClient({
      address: vault.url,
      auth: { method: 'token', token: 'hvs.not-a-real-token-123' },
      maxAttempts: 1,
    });
    const missing = new VaultClient({
      address: vault.url,
      auth: { method: 'token', token: vault.rootToken },
      maxAttempts: 1,
    });
    await expect(
      missing.sign('transit', 'no-such-key', Buffer.from('x'), {}),
    ).rejects.toMatchObject({ status: 400, errors: ['signing key not found'] });
    const denied = await client.readKey('transit', 'rsa-key').catch((err: VaultError) => err);
    expect(denied).toBeInstanceOf(VaultError);
    expect((denied as VaultError).status).toBe(403);
    expect((denied as Error).message).toBe('Vault answered HTTP 403: permission denied');
    expect((denied as Error).message).not.toContain('hvs.');
    await client.close();
    await missing.close();
  });

  it('talks TLS to a Vault whose certificate a custom CA signed, and refuses it without that CA', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qsign-vault-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=qsign test CA',
    );
    ssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'vault.key',
      '-out',
      'vault.csr',
      '-subj',
      '/CN=127.0.0.1',
    );
    writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl(
      'x509',
      '-req',
      '-in',
      'vault.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'vault.pem',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
    const tlsVault = await new VaultTransitTestServer({
      cert: readFileSync(path.join(dir, 'vault.pem'), 'utf8'),
      key: readFileSync(path.join(dir, 'vault.key'), 'utf8'),
    }).start();
    tlsVault.createKey('ec-key', 'ecdsa-p256');
    expect(tlsVault.url.startsWith('https://')).toBe(true);
    const trusted = new VaultClient({
      address: tlsVault.url,
      caCert: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
      auth: { method: 'token', token: tlsVault.rootToken },
      maxAttempts: 1,
    });
    const untrusted = new VaultClient({
      address: tlsVault.url,
      auth: { method: 'token', token: tlsVault.rootToken },
      maxAttempts: 1,
    });
    try {
      expect((await trusted.readKey('transit', 'ec-key')).type).toBe('ecdsa-p256');
      await expect(untrusted.readKey('transit', 'ec-key')).rejects.toThrow(
        /Vault at https:\/\/127\.0\.0\.1:\d+ is unreachable/,
      );
    } finally {
      await trusted.close();
      await untrusted.close();
      await tlsVault.stop();
    }
  });

  it('sends the namespace header', async () => {
    const client = new VaultClient({
      address: vault.url,
      namespace: 'team-a',
      auth: { method: 'token', token: vault.rootToken },
      maxAttempts: 1,
    });
    vault.namespace = 'team-a';
    try {
      expect((await client.readKey('transit', 'ec-key')).type).toBe('ecdsa-p256');
    } finally {
      vault.namespace = undefined;
      await client.close();
    }
    expect(vault.requests.at(-1)?.namespace).toBe('team-a');
  });

  it('readiness checks the Vaults that signing keys need: a disabled key provider whose Vault is gone does not hold it down', async () => {
    const [realm] = await server.db.query<{ id: string; name: string }>(
      "SELECT id, name FROM realms WHERE name = 'vault'",
    );
    const rep = {
      name: 'spare',
      providerId: 'vault-transit',
      config: {
        backend: ['vault-other'],
        keyName: ['spare'],
        algorithm: ['ML-DSA-44'],
        priority: ['1'],
      },
    };
    const id = await addKeyProvider(
      server.db,
      server.config.keyEncryptionKey,
      server.backends,
      realm,
      rep,
      'test',
    );
    server.registry.invalidate('vault');
    expect((await tokenFor('ES256')).status).toBe(200);
    const names = async () =>
      (
        (await (await fetch(`${server.baseUrl}/health/ready`)).json().then(asJson)) as {
          checks: { name: string }[];
        }
      ).checks.map((c) => c.name);
    expect(await names()).toContain(`vault-transit ${other.url}`);

    await server.db.transaction(async (tx) =>
      updateKeyProvider(
        tx,
        realm.id,
        (await findComponent(tx, realm.id, id))!,
        { ...rep, config: { ...rep.config, enabled: ['false'] } },
        'test',
      ),
    );
    server.registry.invalidate('vault');
    expect((await tokenFor('ES256')).status).toBe(200);
    await other.stop();
    const ready = await fetch(`${server.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(JSON.stringify(await ready.json())).not.toContain(other.url);
  });
});

describe('vault-transit credentials', () => {
  const secretsDir = () => mkdtempSync(path.join(tmpdir(), 'qsign-vault-secrets-'));
  const signEc = (client: VaultClient) =>
    client.sign('transit', 'ec-key', Buffer.from('payload'), {
      hash_algorithm: 'sha2-256',
      marshaling_algorithm: 'jws',
    });
  /** The tokens the test server issued since `before` (a snapshot of its token list). */
  const issuedSince = (before: Set<string>) =>
    [...vault.tokens.keys()].filter((t) => !before.has(t));
  const captureWarnings = () => {
    const lines: string[] = [];
    return {
      lines,
      log: {
        warn: (...args: unknown[]) => {
          lines.push(JSON.stringify(args));
        },
      },
    };
  };

  it('a token file rewritten by Vault Agent is read again after a 403: signing recovers without a restart', async () => {
    const file = path.join(secretsDir(), 'vault-token');
    // Made before the file exists: the token is read when first needed, not when the client is made.
    const client = new VaultClient({
      address: vault.url,
      auth: { method: 'token', tokenFile: file },
      maxAttempts: 1,
    });
    try {
      await expect(signEc(client)).rejects.toThrow(
        `Vault authentication failed: cannot read tokenFile ${file} (ENOENT)`,
      );
      const first = vault.createToken();
      writeFileSync(file, `${first}\n`);
      expect(await signEc(client)).toHaveLength(64);

      // Vault Agent re-authenticates: the old token is revoked and the sink file gets the new one.
      vault.revoke(first);
      const second = vault.createToken();
      writeFileSync(file, second);
      const signs = vault.count('/v1/transit/sign/ec-key');
      expect(await signEc(client)).toHaveLength(64);
      expect(vault.count('/v1/transit/sign/ec-key') - signs).toBe(2); // refused once, then signed with the new token

      // A refused token that the file still holds: the 403 surfaces, without the token in it.
      vault.revoke(second);
      const denied = await signEc(client).catch((err: Error) => err);
      expect(denied).toMatchObject({
        name: 'VaultError',
        status: 403,
        message: 'Vault answered HTTP 403: permission denied',
      });
      expect(String(denied)).not.toContain(second);
    } finally {
      await client.close();
    }
  });

  it('a rotated AppRole secret_id is read from its file at the next login', async () => {
    vault.addAppRole('rotating-role', 'secret-one');
    const file = path.join(secretsDir(), 'secret-id');
    writeFileSync(file, 'secret-one\n');
    const before = new Set(vault.tokens.keys());
    const client = new VaultClient({
      address: vault.url,
      auth: { method: 'approle', roleId: 'rotating-role', secretIdFile: file },
      maxAttempts: 1,
    });
    try {
      expect(await signEc(client)).toHaveLength(64);
      vault.rotateSecretId('rotating-role', 'secret-two');
      writeFileSync(file, 'secret-two\n');
      for (const token of issuedSince(before)) vault.revoke(token);
      expect(await signEc(client)).toHaveLength(64);
      expect(vault.logins.get('rotating-role')).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('health reports how signing authenticates: DOWN after a refused request (reason without the secret), UP once it works again; it never logs in itself', async () => {
    const file = path.join(secretsDir(), 'vault-token');
    const good = vault.createToken();
    writeFileSync(file, good);
    const client = new VaultClient({
      address: vault.url,
      auth: { method: 'token', tokenFile: file },
      maxAttempts: 1,
    });
    const read = () => client.readKey('transit', 'ec-key');
    try {
      await read();
      expect(await client.health()).toBeUndefined();
      vault.revoke(good);
      await expect(read()).rejects.toThrow();
      const reason = await client.health();
      expect(reason).toBe(
        'Vault authentication failed: token refused (HTTP 403: permission denied)',
      );
      expect(reason).not.toContain(good);
      rmSync(file);
      await expect(read()).rejects.toThrow();
      expect(await client.health()).toBe(
        `Vault authentication failed: cannot read tokenFile ${file} (ENOENT)`,
      );
      writeFileSync(file, vault.createToken());
      await read();
      expect(await client.health()).toBeUndefined();
      expect(vault.requests.at(-1)?.path).toBe('/v1/sys/health');
    } finally {
      await client.close();
    }
    const badSecret = new VaultClient({
      address: vault.url,
      auth: { method: 'approle', roleId: 'qsign-role', secretId: 'wrong-secret-id' },
      maxAttempts: 1,
    });
    try {
      await expect(badSecret.readKey('transit', 'ec-key')).rejects.toThrow();
      const logins = vault.count('/v1/auth/approle/login');
      const reason = await badSecret.health();
      expect(reason).toBe(
        'Vault authentication failed: AppRole login refused (HTTP 400: invalid role or secret ID)',
      );
      expect(reason).not.toContain('wrong-secret-id');
      expect(vault.count('/v1/auth/approle/login')).toBe(logins);
    } finally {
      await badSecret.close();
    }
  });

  it('20 concurrent signatures after the AppRole token is revoked cost exactly one login', async () => {
    // Two logins allowed: the first one and one re-login. A re-login per refused request would use
    // the secret_id up and fail the rest.
    vault.addAppRole('storm-role', 'storm-secret', 3600, 2);
    const before = new Set(vault.tokens.keys());
    const client = new VaultClient({
      address: vault.url,
      auth: { method: 'approle', roleId: 'storm-role', secretId: 'storm-secret' },
      maxAttempts: 1,
    });
    try {
      expect(await signEc(client)).toHaveLength(64);
      for (const token of issuedSince(before)) vault.revoke(token);
      vault.stagger(3); // the 20 refusals come back over 60 ms, most after the new login is done
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => signEc(client)));
      expect(
        results
          .filter((r) => r.status === 'rejected')
          .map((r) => String((r as PromiseRejectedResult).reason)),
      ).toEqual([]);
      expect(vault.logins.get('storm-role')).toBe(2);
    } finally {
      vault.stagger(0);
      await client.close();
    }
  });

  it('20 concurrent signatures after the AppRole token expired cost exactly one login', async () => {
    vault.addAppRole('expiry-role', 'expiry-secret', 60, 2);
    const client = new VaultClient({
      address: vault.url,
      auth: { method: 'approle', roleId: 'expiry-role', secretId: 'expiry-secret' },
      maxAttempts: 1,
    });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expect(await signEc(client)).toHaveLength(64);
      vi.setSystemTime(Date.now() + 61_000); // past the 60 s lease, for the client and for "Vault"
      vault.stagger(3);
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => signEc(client)));
      expect(
        results
          .filter((r) => r.status === 'rejected')
          .map((r) => String((r as PromiseRejectedResult).reason)),
      ).toEqual([]);
      expect(vault.logins.get('expiry-role')).toBe(2);
    } finally {
      vault.stagger(0);
      vi.useRealTimers();
      await client.close();
    }
  });

  it('a renew-self failing with 500 keeps the current token until it expires (warning without secrets), then logs in again', async () => {
    vault.addAppRole('renew-role', 'renew-secret', 60);
    const before = new Set(vault.tokens.keys());
    const { lines, log } = captureWarnings();
    const client = new VaultClient({
      address: vault.url,
      auth: { method: 'approle', roleId: 'renew-role', secretId: 'renew-secret' },
      maxAttempts: 1,
      log,
    });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expect(await signEc(client)).toHaveLength(64);
      const [token] = issuedSince(before);
      const renewals = () => vault.count('/v1/auth/token/renew-self');
      const renewed = renewals();

      vault.failPaths.set('/v1/auth/token/renew-self', 500);
      vi.setSystemTime(Date.now() + 41_000); // past two thirds of the lease: time to renew
      expect(await signEc(client)).toHaveLength(64);
      expect(renewals() - renewed).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        'Vault token renewal failed; using the current token until it expires',
      );
      for (const secret of [token, 'renew-secret']) expect(lines.join('\n')).not.toContain(secret);

      expect(await signEc(client)).toHaveLength(64); // next renewal attempt only after a pause
      expect(renewals() - renewed).toBe(1);
      vi.setSystemTime(Date.now() + 1_100);
      expect(await signEc(client)).toHaveLength(64);
      expect(renewals() - renewed).toBe(2);
      expect(vault.logins.get('renew-role')).toBe(1);

      vi.setSystemTime(Date.now() + 20_000); // the lease is over: log in again
      expect(await signEc(client)).toHaveLength(64);
      expect(vault.logins.get('renew-role')).toBe(2);

      vault.failPaths.delete('/v1/auth/token/renew-self');
      vi.setSystemTime(Date.now() + 41_000);
      expect(await signEc(client)).toHaveLength(64);
      expect(renewals() - renewed).toBe(3);
      expect(vault.logins.get('renew-role')).toBe(2);
    } finally {
      vault.failPaths.delete('/v1/auth/token/renew-self');
      vi.useRealTimers();
      await client.close();
    }
  });
});

/**
 * The vault-transit signer back end against the Vault transit test server (test/vault): tokens
 * for every supported alg signed in "Vault" and verified from /certs, Vault key rotation picked
 * up by a key sync (old version still verifies, then disabled by min_decryption_version, then
 * removed by trim), AppRole with token renewal, the namespace header, and every fault mode with
 * the status the client sees and the time to recover.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { createLocalJWKSet, verifyToken } from 'qsign-oidc/verify';
import { asJson } from '../helpers/json.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { VaultTransitTestServer } from '../vault/transit-server.ts';
import { syncAllExternalKeys } from '../../src/keys/external.ts';
import { VaultClient, VaultError } from '../../src/signer/vault/client.ts';

const ALGS: [alg: string, key: string, mount: string][] = [
  ['RS256', 'rsa-key', 'transit'], ['PS256', 'rsa-key', 'transit'], ['ES256', 'ec-key', 'transit'],
  ['ML-DSA-65', 'pq-key', 'transit'], ['DILITHIUM3', 'pq-oqs', 'oqs-transit'],
];
let vault: VaultTransitTestServer;
let server: TestServer;
const issuer = () => `${server.baseUrl}/realms/vault`;

beforeAll(async () => {
  vault = await new VaultTransitTestServer().start();
  vault.createKey('rsa-key', 'rsa-2048');
  vault.createKey('ec-key', 'ecdsa-p256');
  vault.createKey('pq-key', 'ml-dsa');
  vault.createKey('pq-oqs', 'ml-dsa', 'oqs-transit');
  vault.createKey('pq-approle', 'ml-dsa', 'transit', '87');
  vault.addAppRole('qsign-role', 'qsign-secret-id', 2);
  process.env.QSIGN_TEST_VAULT_TOKEN = vault.rootToken;
  process.env.QSIGN_TEST_VAULT_SECRET_ID = 'qsign-secret-id';
  const connection = { address: [vault.url], tokenEnv: ['QSIGN_TEST_VAULT_TOKEN'], timeoutMs: ['500'], breakerResetMs: ['300'] };
  const realm = {
    realm: 'vault',
    components: {
      'org.keycloak.keys.KeyProvider': [
        ...ALGS.map(([alg, keyName, mount]) => ({ name: `vault-${alg}`, providerId: 'vault-transit', config: { ...connection, mount: [mount], keyName: [keyName], algorithm: [alg], priority: ['200'] } })),
        { name: 'vault-approle', providerId: 'vault-transit', config: { address: [vault.url], authMethod: ['approle'], roleId: ['qsign-role'], secretIdEnv: ['QSIGN_TEST_VAULT_SECRET_ID'], keyName: ['pq-approle'], algorithm: ['ML-DSA-87'], priority: ['200'] } },
      ],
    },
    clients: [...ALGS.map(([alg]) => alg), 'ML-DSA-87'].map((alg) => ({ clientId: `c-${alg}`, secret: 's', serviceAccountsEnabled: true, attributes: { 'access.token.signed.response.alg': alg } })),
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qsign-vault-')), 'vault.json');
  writeFileSync(file, JSON.stringify(realm));
  server = await startServer({ realmFiles: [file] });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await vault?.stop();
});

async function tokenFor(alg: string) {
  const res = await fetch(`${issuer()}/protocol/openid-connect/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`c-${alg}:s`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return { status: res.status, body: await res.json().then(asJson) };
}
const certs = async () => (await (await fetch(`${issuer()}/protocol/openid-connect/certs`)).json().then(asJson));
const verify = async (jwt: string, alg: string) => verifyToken(jwt, createLocalJWKSet(await certs()), { algorithms: [alg], issuer: issuer() });
const sync = async () => { const r = await syncAllExternalKeys(server.db); for (const realm of r.changed) server.registry.invalidate(realm); return r; };

describe('vault-transit back end', () => {
  it.each(ALGS)('%s tokens are signed in Vault (%s) and verify from /certs', async (alg, keyName, mount) => {
    const before = vault.requests.filter((r) => r.path === `/v1/${mount}/sign/${keyName}`).length;
    const res = await tokenFor(alg);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(decodeProtectedHeader(res.body.access_token).kid).toMatch(new RegExp(`^${keyName}-v1-`));
    await verify(res.body.access_token, alg);
    expect(vault.requests.filter((r) => r.path === `/v1/${mount}/sign/${keyName}`).length).toBe(before + 1);
  });

  it('picks up a rotation in Vault; the old version verifies until min_decryption_version, and goes with trim', async () => {
    const old = await tokenFor('ML-DSA-65');
    await fetch(`${vault.url}/v1/transit/keys/pq-key/rotate`, { method: 'POST', headers: { 'x-vault-token': vault.rootToken } });
    expect((await sync()).changed).toEqual(['vault']);
    const fresh = await tokenFor('ML-DSA-65');
    expect(decodeProtectedHeader(fresh.body.access_token).kid).toMatch(/^pq-key-v2-/);
    await verify(old.body.access_token, 'ML-DSA-65');

    await fetch(`${vault.url}/v1/transit/keys/pq-key/config`, { method: 'POST', headers: { 'x-vault-token': vault.rootToken }, body: JSON.stringify({ min_decryption_version: 2 }) });
    await sync();
    await expect(verify(old.body.access_token, 'ML-DSA-65')).rejects.toThrow(/no key in the JWKS matches/);
    await fetch(`${vault.url}/v1/transit/keys/pq-key/trim`, { method: 'POST', headers: { 'x-vault-token': vault.rootToken }, body: JSON.stringify({ min_available_version: 2 }) });
    await sync();
    const rows = await server.db.query<{ kid: string }>("SELECT kid FROM keys WHERE backend = 'vault-transit' AND kid LIKE 'pq-key-%'");
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

  for (const fault of ['sealed', 'standby', 'drop', 'slow'] as const) {
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
        if ((await tokenFor('ES256')).status === 200) { recovered = Date.now() - started; break; }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(recovered).toBeGreaterThan(0);
      expect(recovered).toBeLessThan(3_000);
      console.log(`vault fault ${fault}: client saw 503, recovered ${recovered} ms after the fault cleared`);
    });
  }

  it('a missing key and a bad token surface as Vault errors without the token in the message', async () => {
    const client = new VaultClient({ address: vault.url, auth: { method: 'token', token: 'hvs.not-a-real-token-123' }, maxAttempts: 1 });
    const missing = new VaultClient({ address: vault.url, auth: { method: 'token', token: vault.rootToken }, maxAttempts: 1 });
    await expect(missing.sign('transit', 'no-such-key', Buffer.from('x'), {})).rejects.toMatchObject({ status: 400, errors: ['signing key not found'] });
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
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=qsign test CA');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'vault.key', '-out', 'vault.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', 'vault.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'vault.pem', '-days', '1', '-extfile', 'san.ext');
    const tlsVault = await new VaultTransitTestServer({ cert: readFileSync(path.join(dir, 'vault.pem'), 'utf8'), key: readFileSync(path.join(dir, 'vault.key'), 'utf8') }).start();
    tlsVault.createKey('ec-key', 'ecdsa-p256');
    expect(tlsVault.url.startsWith('https://')).toBe(true);
    const trusted = new VaultClient({ address: tlsVault.url, caCert: readFileSync(path.join(dir, 'ca.pem'), 'utf8'), auth: { method: 'token', token: tlsVault.rootToken }, maxAttempts: 1 });
    const untrusted = new VaultClient({ address: tlsVault.url, auth: { method: 'token', token: tlsVault.rootToken }, maxAttempts: 1 });
    try {
      expect((await trusted.readKey('transit', 'ec-key')).type).toBe('ecdsa-p256');
      await expect(untrusted.readKey('transit', 'ec-key')).rejects.toThrow(/Vault at https:\/\/127\.0\.0\.1:\d+ is unreachable/);
    } finally {
      await trusted.close();
      await untrusted.close();
      await tlsVault.stop();
    }
  });

  it('sends the namespace header', async () => {
    const client = new VaultClient({ address: vault.url, namespace: 'team-a', auth: { method: 'token', token: vault.rootToken }, maxAttempts: 1 });
    vault.namespace = 'team-a';
    try {
      expect((await client.readKey('transit', 'ec-key')).type).toBe('ecdsa-p256');
    } finally {
      vault.namespace = undefined;
      await client.close();
    }
    expect(vault.requests.at(-1)?.namespace).toBe('team-a');
  });
});

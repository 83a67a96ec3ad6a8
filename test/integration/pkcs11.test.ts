/**
 * The pkcs11 signer back end against a real SoftHSM2 token (Debian's softhsm2), created in a
 * temporary SOFTHSM2_CONF: keys made with `keys create --backend pkcs11` (RS256, PS256, ES256
 * natively, ML-DSA-65 seed-wrapped), tokens issued through the HSM and verified from /certs,
 * 200 concurrent token requests through a pool of 4 sessions, and the token's sessions closed
 * mid-run (its login goes with them) with recovery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { createLocalJWKSet, verifyToken } from 'qsign-oidc/verify';
import { asJson } from '../helpers/json.ts';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { REQUIRE_ALL } from '../helpers/components.ts';
import { backends } from '../../src/signer/backends.ts';
import { createKeyProvider } from '../../src/keys/providers.ts';
import { referenceCompositeVerify } from '../helpers/composite-reference.ts';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const ALGS = ['RS256', 'PS256', 'ES256', 'ML-DSA-65'];
const available = existsSync(MODULE) && (() => { try { execFileSync('softhsm2-util', ['--version']); return true; } catch { return false; } })();
if (!available) {
  if (REQUIRE_ALL) throw new Error(`SoftHSM2 is required (REQUIRE_ALL=1): install the Debian package softhsm2 (${MODULE})`);
  console.warn('skipping PKCS#11 tests: SoftHSM2 is not installed (apt-get install softhsm2)');
}

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'qsign-hsm-'));
let server: TestServer;
let rsa3072Kid = '';
const config = { modulePath: [MODULE], tokenLabel: ['qsign-test'], pinEnv: ['QSIGN_TEST_HSM_PIN'] };

beforeAll(async () => {
  if (!available) return;
  mkdirSync(path.join(dir, 'tokens'));
  writeFileSync(path.join(dir, 'softhsm2.conf'), `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = path.join(dir, 'softhsm2.conf');
  process.env.QSIGN_TEST_HSM_PIN = '4321';
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'qsign-test', '--pin', '4321', '--so-pin', '8765']);
  // Local fallback keys at low priority let the realm validate; the HSM keys (priority 300) sign.
  const realm = {
    realm: 'hsm',
    components: { 'org.keycloak.keys.KeyProvider': [
      { name: 'ps', providerId: 'rsa-generated', config: { algorithm: ['PS256'], priority: ['10'] } },
      { name: 'es', providerId: 'ecdsa-generated', config: { algorithm: ['ES256'], priority: ['10'] } },
      { name: 'hybrid-local', providerId: 'composite-generated', config: { algorithm: ['ML-DSA-65-RS256'], priority: ['10'] } },
    ] },
    clients: [...ALGS, 'ML-DSA-65-RS256'].map((alg) => ({ clientId: `c-${alg}`, secret: 's', serviceAccountsEnabled: true, attributes: { 'access.token.signed.response.alg': alg } })),
  };
  writeFileSync(path.join(dir, 'hsm.json'), JSON.stringify(realm));
  const env = { ...process.env, DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
  await run(process.execPath, ['src/main.ts', 'import', path.join(dir, 'hsm.json')], { cwd: REPO, env });
  for (const alg of ALGS) {
    const { stdout } = await run(process.execPath, ['src/main.ts', 'keys', 'create', '--realm', 'hsm', '--backend', 'pkcs11', '--alg', alg, '--module', MODULE,
      '--token-label', 'qsign-test', '--pin-env', 'QSIGN_TEST_HSM_PIN', '--priority', '300', '--sessions', '4'], { cwd: REPO, env });
    expect(stdout).toMatch(new RegExp(`created ${alg} key pkcs11-\\S+ on the token \\(CKA_ID [0-9a-f]+, ${alg === 'ML-DSA-65' ? 'seed-wrapped' : 'native'}\\); it is ACTIVE`));
  }
  // The RSA-3072 half of a composite, on the token.
  const { stdout } = await run(process.execPath, ['src/main.ts', 'keys', 'create', '--realm', 'hsm', '--backend', 'pkcs11', '--alg', 'RS256', '--rsa-bits', '3072', '--module', MODULE,
    '--token-label', 'qsign-test', '--pin-env', 'QSIGN_TEST_HSM_PIN', '--priority', '5'], { cwd: REPO, env });
  rsa3072Kid = /created RS256 key (\S+)/.exec(stdout)![1];
  server = await startServer({ dataDir: path.join(dir, 'data') });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await backends.close();
  rmSync(dir, { recursive: true, force: true });
});

const issuer = () => `${server.baseUrl}/realms/hsm`;
async function tokenFor(alg: string) {
  const res = await fetch(`${issuer()}/protocol/openid-connect/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`c-${alg}:s`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return { status: res.status, body: await res.json().then(asJson) };
}
const jwks = async () => createLocalJWKSet(await (await fetch(`${issuer()}/protocol/openid-connect/certs`)).json().then(asJson));

describe.skipIf(!available)('pkcs11 back end on SoftHSM2', () => {
  it.each(ALGS)('%s tokens are signed by the token and verify from /certs', async (alg) => {
    const res = await tokenFor(alg);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(decodeProtectedHeader(res.body.access_token).kid).toMatch(/^pkcs11-/);
    await verifyToken(res.body.access_token, await jwks(), { algorithms: [alg], issuer: issuer() });
  });

  it('signs a composite with the RSA half in the HSM and the ML-DSA half seed-wrapped in the HSM, both at once', async () => {
    const [realm] = await server.db.query<{ id: string }>("SELECT id FROM realms WHERE name = 'hsm'");
    const [mlDsa] = await server.db.query<{ kid: string }>("SELECT kid FROM keys WHERE realm_id = $1 AND alg = 'ML-DSA-65' AND backend = 'pkcs11'", [realm.id]);
    await server.db.transaction((tx) => createKeyProvider(tx, server.config.keyEncryptionKey, realm.id, {
      name: 'hybrid-hsm', providerId: 'composite', config: { algorithm: ['ML-DSA-65-RS256'], members: [mlDsa.kid, rsa3072Kid], priority: ['400'] },
    }, 'test'));
    server.registry.invalidate('hsm');
    const res = await tokenFor('ML-DSA-65-RS256');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(decodeProtectedHeader(res.body.access_token).kid).toMatch(/^composite-/);
    await verifyToken(res.body.access_token, await jwks(), { algorithms: ['ML-DSA-65-RS256'], issuer: issuer() });
    const jwk = (await (await fetch(`${issuer()}/protocol/openid-connect/certs`)).json().then(asJson)).keys.find((k: { kid: string }) => k.kid === decodeProtectedHeader(res.body.access_token).kid);
    const [h, p, s] = res.body.access_token.split('.');
    expect(referenceCompositeVerify('ML-DSA-65-RS256', jwk, Buffer.from(`${h}.${p}`), Buffer.from(s, 'base64url'))).toEqual([true, true]);
  });

  it('serves 200 concurrent token requests through a pool of 4 sessions', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => tokenFor(ALGS[i % 3])));
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const keys = await jwks();
    await Promise.all(results.slice(0, 12).map((r, i) => verifyToken(r.body.access_token, keys, { algorithms: [ALGS[i % 3]], issuer: issuer() })));
  });

  it('recovers when every session of the token is closed mid-run (the login goes with them)', async () => {
    const pool = backends.pkcs11(config);
    const running = Array.from({ length: 60 }, (_, i) => tokenFor(ALGS[i % 3]));
    pool.closeAllSessions();
    const during = await Promise.all(running);
    expect(during.filter((r) => r.status >= 500 && r.status !== 503)).toEqual([]);
    const after = await Promise.all(Array.from({ length: 30 }, (_, i) => tokenFor(ALGS[i % 3])));
    expect(after.map((r) => r.status)).toEqual(Array(30).fill(200));
    const ready = await (await fetch(`${server.baseUrl}/health/ready`)).json().then(asJson);
    expect(ready.checks).toEqual(expect.arrayContaining([{ name: `pkcs11 ${MODULE} qsign-test`, status: 'UP' }]));
  });
});

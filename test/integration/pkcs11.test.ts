/**
 * The pkcs11 signer back end against a real SoftHSM2 token (Debian's softhsm2), created in a
 * temporary SOFTHSM2_CONF: keys made with `keys create --backend pkcs11` (RS256, PS256, ES256
 * natively, ML-DSA-65 seed-wrapped), tokens issued through the HSM and verified from /certs,
 * 200 concurrent token requests through a pool of 4 sessions, and the token's sessions closed
 * mid-run (its login goes with them) with recovery. Failures, on tokens of their own: a wrong PIN
 * in the pin file (one C_Login, 503s and DOWN with a clear reason, recovery once the file is
 * fixed), callers of a full or broken session pool failing closed instead of waiting forever,
 * and bad `sessions` or `slot` refused (in the operator's declaration; a component carries neither).
 * The tokens are declared as back ends `hsm-test` and `hsm-pin` (KEY_BACKENDS, docs/backends.md).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { createLocalJWKSet, verifyToken } from 'qsign-oidc/verify';
import { asJson } from '../helpers/json.ts';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { seedPgliteDataDir } from '../helpers/store-template.ts';
import { REQUIRE_ALL, initSoftHsmTokens } from '../helpers/components.ts';
import { createKeyProvider, keyProviderSettings } from '../../src/keys/providers.ts';
import { addKeyProvider } from '../../src/keys/add-provider.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { referenceCompositeVerify } from '../helpers/composite-reference.ts';
import { Pkcs11Pool } from '../../src/signer/pkcs11/module.ts';
import { createTokenKey } from '../../src/signer/pkcs11/keygen.ts';
import { SignerUnavailableError } from '../../src/signer/signer.ts';
import { ComponentError } from '../../src/keys/providers.ts';
import { importRealm, parseRealm } from '../../src/realm/import.ts';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const ALGS = ['RS256', 'PS256', 'ES256', 'ML-DSA-65'];
const available =
  existsSync(MODULE) &&
  (() => {
    try {
      execFileSync('softhsm2-util', ['--version']);
      return true;
    } catch {
      return false;
    }
  })();
if (!available) {
  if (REQUIRE_ALL)
    throw new Error(
      `SoftHSM2 is required (REQUIRE_ALL=1): install the Debian package softhsm2 (${MODULE})`,
    );
  console.warn('skipping PKCS#11 tests: SoftHSM2 is not installed (apt-get install softhsm2)');
}

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'qsign-hsm-'));
let server: TestServer;
let rsa3072Kid = '';
let mlDsaMemberKid = '';
const PIN_FILE = path.join(dir, 'hsm-pin');
/** The operator's declaration of the two tokens the realms use. */
const KEY_BACKENDS = JSON.stringify({
  'hsm-test': {
    type: 'pkcs11',
    module: MODULE,
    tokenLabel: 'qsign-test',
    pinEnv: 'QSIGN_TEST_HSM_PIN',
    sessions: 4,
    realms: ['hsm'],
  },
  'hsm-pin': {
    type: 'pkcs11',
    module: MODULE,
    tokenLabel: 'qsign-pin',
    pinFile: PIN_FILE,
    realms: ['hsm-pin'],
  },
});

beforeAll(async () => {
  if (!available) return;
  process.env.QSIGN_TEST_HSM_PIN = '4321';
  // SoftHSM lists the tokens it finds at C_Initialize (once per process): make them all first.
  initSoftHsmTokens(dir, ['qsign-test', 'qsign-pin', 'qsign-pool'], '4321', '8765');
  // Local fallback keys at low priority let the realm validate; the HSM keys (priority 300) sign.
  const realm = {
    realm: 'hsm',
    components: {
      'org.keycloak.keys.KeyProvider': [
        {
          name: 'ps',
          providerId: 'rsa-generated',
          config: { algorithm: ['PS256'], priority: ['10'] },
        },
        {
          name: 'es',
          providerId: 'ecdsa-generated',
          config: { algorithm: ['ES256'], priority: ['10'] },
        },
        {
          name: 'hybrid-local',
          providerId: 'composite-generated',
          config: { algorithm: ['ML-DSA-65-RS256'], priority: ['10'] },
        },
      ],
    },
    clients: [...ALGS, 'ML-DSA-65-RS256'].map((alg) => ({
      clientId: `c-${alg}`,
      secret: 's',
      serviceAccountsEnabled: true,
      attributes: { 'access.token.signed.response.alg': alg },
    })),
  };
  writeFileSync(path.join(dir, 'hsm.json'), JSON.stringify(realm));
  seedPgliteDataDir(path.join(dir, 'data'));
  const env = {
    ...process.env,
    DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: 'silent',
    KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    KEY_BACKENDS,
  };
  await run(process.execPath, ['src/main.ts', 'import', path.join(dir, 'hsm.json')], {
    cwd: REPO,
    env,
  });
  for (const alg of ALGS) {
    const { stdout } = await run(
      process.execPath,
      [
        'src/main.ts',
        'keys',
        'create',
        '--realm',
        'hsm',
        '--backend',
        'hsm-test',
        '--alg',
        alg,
        '--priority',
        '300',
      ],
      { cwd: REPO, env },
    );
    expect(stdout).toMatch(
      new RegExp(
        `created ${alg} key pkcs11-\\S+ on the token \\(CKA_ID [0-9a-f]+, ${alg === 'ML-DSA-65' ? 'seed-wrapped' : 'native'}\\); it is ACTIVE`,
      ),
    );
  }
  // The RSA-3072 half of a composite, on the token: made for it, never published (DISABLED).
  const { stdout } = await run(
    process.execPath,
    [
      'src/main.ts',
      'keys',
      'create',
      '--realm',
      'hsm',
      '--backend',
      'hsm-test',
      '--alg',
      'RS256',
      '--rsa-bits',
      '3072',
      '--disabled',
    ],
    { cwd: REPO, env },
  );
  rsa3072Kid = /created RS256 key (\S+)/.exec(stdout)![1];
  // The ML-DSA half of a composite, seed-wrapped: made for it, never published.
  const member = await run(
    process.execPath,
    [
      'src/main.ts',
      'keys',
      'create',
      '--realm',
      'hsm',
      '--backend',
      'hsm-test',
      '--alg',
      'ML-DSA-65',
      '--disabled',
    ],
    { cwd: REPO, env },
  );
  mlDsaMemberKid = /created ML-DSA-65 key (\S+) .*it is DISABLED/.exec(member.stdout)![1];
  server = await startServer({ dataDir: path.join(dir, 'data'), env: { KEY_BACKENDS } });
}, 300_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const issuer = (realm = 'hsm') => `${server.baseUrl}/realms/${realm}`;
async function tokenFor(alg: string, realm = 'hsm') {
  const res = await fetch(`${issuer(realm)}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`c-${alg}:s`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return { status: res.status, body: await res.json().then(asJson) };
}
const jwks = async () =>
  createLocalJWKSet(
    await (await fetch(`${issuer()}/protocol/openid-connect/certs`)).json().then(asJson),
  );

describe.skipIf(!available)('pkcs11 back end on SoftHSM2', () => {
  it.each(ALGS)('%s tokens are signed by the token and verify from /certs', async (alg) => {
    const res = await tokenFor(alg);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(decodeProtectedHeader(res.body.access_token).kid).toMatch(/^pkcs11-/);
    await verifyToken(res.body.access_token, await jwks(), { algorithms: [alg], issuer: issuer() });
  });

  it('signs a composite with the RSA half in the HSM and the ML-DSA half seed-wrapped in the HSM, both at once', async () => {
    const [realm] = await server.db.query<{ id: string }>(
      "SELECT id FROM realms WHERE name = 'hsm'",
    );
    await server.db.transaction((tx) =>
      createKeyProvider(
        tx,
        server.config.keyEncryptionKey,
        realm.id,
        {
          name: 'hybrid-hsm',
          providerId: 'composite',
          config: {
            algorithm: ['ML-DSA-65-RS256'],
            members: [mlDsaMemberKid, rsa3072Kid],
            priority: ['400'],
          },
        },
        'test',
      ),
    );
    server.registry.invalidate('hsm');
    const res = await tokenFor('ML-DSA-65-RS256');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(decodeProtectedHeader(res.body.access_token).kid).toMatch(/^composite-/);
    await verifyToken(res.body.access_token, await jwks(), {
      algorithms: ['ML-DSA-65-RS256'],
      issuer: issuer(),
    });
    const jwk = (
      await (await fetch(`${issuer()}/protocol/openid-connect/certs`)).json().then(asJson)
    ).keys.find((k: { kid: string }) => k.kid === decodeProtectedHeader(res.body.access_token).kid);
    const [h, p, s] = res.body.access_token.split('.');
    expect(
      referenceCompositeVerify(
        'ML-DSA-65-RS256',
        jwk,
        Buffer.from(`${h}.${p}`),
        Buffer.from(s, 'base64url'),
      ),
    ).toEqual([true, true]);
  });

  it('serves 200 concurrent token requests through a pool of 4 sessions', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => tokenFor(ALGS[i % 3])));
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const keys = await jwks();
    await Promise.all(
      results
        .slice(0, 12)
        .map((r, i) =>
          verifyToken(r.body.access_token, keys, { algorithms: [ALGS[i % 3]], issuer: issuer() }),
        ),
    );
  });

  it('recovers when every session of the token is closed mid-run (the login goes with them)', async () => {
    const pool = server.backends.pkcs11('hsm-test', 'hsm');
    const running = Array.from({ length: 60 }, (_, i) => tokenFor(ALGS[i % 3]));
    pool.closeAllSessions();
    const during = await Promise.all(running);
    // A lost session is replaced and the signature retried: no request fails, not even with a 503.
    expect(during.map((r) => r.status)).toEqual(Array(60).fill(200));
    const after = await Promise.all(Array.from({ length: 30 }, (_, i) => tokenFor(ALGS[i % 3])));
    expect(after.map((r) => r.status)).toEqual(Array(30).fill(200));
    // With every pooled session idle and stale, one request still signs: the retry opens a fresh
    // session instead of taking the next stale one.
    pool.closeAllSessions();
    expect((await tokenFor('RS256')).status).toBe(200);
    const ready = await (await fetch(`${server.baseUrl}/health/ready`)).json().then(asJson);
    expect(ready.checks).toEqual(
      expect.arrayContaining([{ name: `pkcs11 ${MODULE} qsign-test`, status: 'UP' }]),
    );
  });
});

/** `/health/ready`: HTTP status and body `{ status, checks: [{ name, status, reason? }] }`. */
async function readiness() {
  const res = await fetch(`${server.baseUrl}/health/ready`);
  return { status: res.status, body: await res.json().then(asJson) };
}

/** The error `fn` throws (fails the test when it throws none). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

const PIN = '4321';
const WRONG_PIN = '97531';
const pinFile = PIN_FILE;

/**
 * Realm `hsm-pin` whose ES256 key (priority 300) is on token `qsign-pin` (PIN 4321), read from
 * `pinFile`; a local ES256 key at priority 10 only lets the realm validate.
 */
async function createPinRealm(): Promise<void> {
  writeFileSync(pinFile, `${PIN}\n`);
  await importRealm(
    server.db,
    server.config.keyEncryptionKey,
    parseRealm(
      {
        realm: 'hsm-pin',
        components: {
          'org.keycloak.keys.KeyProvider': [
            {
              name: 'es',
              providerId: 'ecdsa-generated',
              config: { algorithm: ['ES256'], priority: ['10'] },
            },
          ],
        },
        clients: [
          {
            clientId: 'c-ES256',
            secret: 's',
            serviceAccountsEnabled: true,
            attributes: { 'access.token.signed.response.alg': 'ES256' },
          },
        ],
      },
      'test realm',
    ),
  );
  const keyId = 'b1e55ed0';
  await createTokenKey(
    server.backends.pkcs11('hsm-pin', 'hsm-pin'),
    'ES256',
    keyId,
    'qsign-hsm-pin-ES256',
  );
  const [realm] = await server.db.query<{ id: string; name: string }>(
    "SELECT id, name FROM realms WHERE name = 'hsm-pin'",
  );
  await addKeyProvider(
    server.db,
    server.config.keyEncryptionKey,
    server.backends,
    realm,
    {
      name: 'pin-es',
      providerId: 'pkcs11',
      config: { backend: ['hsm-pin'], keyId: [keyId], algorithm: ['ES256'], priority: ['300'] },
    },
    'test',
  );
  server.registry.invalidate('hsm-pin');
}

describe.skipIf(!available)('pkcs11 failures fail closed and recover by themselves', () => {
  beforeAll(createPinRealm, 30_000);

  it('a wrong PIN in the pin file is tried once: 503s and a DOWN naming the token, then recovery once the file is fixed', async () => {
    expect((await tokenFor('ES256', 'hsm-pin')).status).toBe(200);
    const pool = server.backends.pkcs11('hsm-pin', 'hsm-pin');
    writeFileSync(pinFile, `${WRONG_PIN}\n`);
    pool.closeAllSessions(); // the login goes with the sessions, as when the HSM restarts
    const login = vi.spyOn(pool.lib, 'C_Login') as unknown as {
      mock: { calls: [unknown, unknown, string][] };
      mockRestore: () => void;
    };
    try {
      for (let round = 0; round < 5; round += 1) {
        const [tokens, ready] = await Promise.all([
          Promise.all(Array.from({ length: 4 }, () => tokenFor('ES256', 'hsm-pin'))),
          readiness(),
        ]);
        expect(tokens.map((t) => t.status)).toEqual([503, 503, 503, 503]);
        expect(ready.status).toBe(503);
        const check = ready.body.checks.find(
          (c: { name: string }) => c.name === `pkcs11 ${MODULE} qsign-pin`,
        );
        expect(check).toEqual({
          name: `pkcs11 ${MODULE} qsign-pin`,
          status: 'DOWN',
          reason: expect.stringMatching(
            /^PKCS#11 token "qsign-pin" refused the user PIN \(CKR_PIN_INCORRECT\); no further login until the PIN/,
          ),
        });
        expect(JSON.stringify(ready.body)).not.toContain(WRONG_PIN);
      }
      expect(login.mock.calls.filter(([, , pin]) => pin === WRONG_PIN)).toHaveLength(1);
      writeFileSync(pinFile, `${PIN}\n`);
      expect((await tokenFor('ES256', 'hsm-pin')).status).toBe(200);
      expect((await readiness()).body.checks).toContainEqual({
        name: `pkcs11 ${MODULE} qsign-pin`,
        status: 'UP',
      });
    } finally {
      login.mockRestore();
      writeFileSync(pinFile, `${PIN}\n`);
    }
  }, 10_000);

  it('a caller waiting for a session of a full pool fails closed after the acquire timeout', async () => {
    const pool = new Pkcs11Pool(MODULE, { tokenLabel: 'qsign-pool' }, () => PIN, {
      size: 1,
      acquireTimeoutMs: 200,
    });
    const hold = Promise.withResolvers<void>();
    const holder = pool.withSession(() => hold.promise);
    const started = Date.now();
    const err = await pool
      .withSession((s) => pool.lib.C_GetSessionInfo(s))
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(err).toBeInstanceOf(SignerUnavailableError);
    expect((err as Error).message).toBe(
      'PKCS#11 token "qsign-pool": no session free within 200 ms (pool of 1)',
    );
    hold.resolve();
    await holder;
    await expect(pool.withSession((s) => pool.lib.C_GetSessionInfo(s))).resolves.toBeDefined();
  }, 5_000);

  it('callers waiting for a session are rejected at once when the last session is lost and none can be opened', async () => {
    let pin: string | undefined = PIN;
    const pool = new Pkcs11Pool(
      MODULE,
      { tokenLabel: 'qsign-pool' },
      () => {
        if (!pin) throw new Error('pkcs11: no PIN (config.pinEnv or config.pinFile)');
        return pin;
      },
      { size: 1, acquireTimeoutMs: 60_000 },
    );
    const gate = Promise.withResolvers<void>();
    const holder = pool.withSession(async (s) => {
      await gate.promise;
      return pool.lib.C_GetSessionInfo(s);
    });
    const waiters = Array.from({ length: 3 }, () =>
      pool.withSession((s) => pool.lib.C_GetSessionInfo(s)),
    );
    pool.closeAllSessions();
    pin = undefined;
    gate.resolve();
    const results = await Promise.allSettled([holder, ...waiters]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    for (const r of results.slice(1) as PromiseRejectedResult[]) {
      expect(r.reason).toBeInstanceOf(SignerUnavailableError);
      expect(r.reason.message).toBe(
        'PKCS#11 token "qsign-pool": no session can be opened: pkcs11: no PIN (config.pinEnv or config.pinFile)',
      );
    }
  }, 5_000);

  const declaring = (hsm: Record<string, unknown>) =>
    loadConfig({
      DATA_DIR: path.join(dir, 'config-check'),
      KEY_BACKENDS: JSON.stringify({
        hsm: {
          type: 'pkcs11',
          module: MODULE,
          pinEnv: 'QSIGN_TEST_HSM_PIN',
          realms: ['*'],
          ...hsm,
        },
      }),
    });

  it.each([0, -1, 'four', 2.5, ''])(
    'refuses sessions %j in the declaration, naming the back end and field',
    (sessions) => {
      const err = thrownBy(() => declaring({ tokenLabel: 'qsign-test', sessions }));
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/KEY_BACKENDS: hsm\.sessions: /);
    },
  );

  it.each(['one', -1, 1.5])(
    'refuses slot %j in the declaration, naming the back end and field',
    (slot) => {
      expect((thrownBy(() => declaring({ slot })) as Error).message).toMatch(
        /KEY_BACKENDS: hsm\.slot: /,
      );
    },
  );

  it.each(['sessions', 'slot', 'tokenLabel', 'pinEnv', 'pinFile', 'modulePath'])(
    'refuses %s in a pkcs11 component with a ComponentError for that field',
    (field) => {
      const err = thrownBy(() =>
        keyProviderSettings('pkcs11', { backend: ['hsm-test'], keyId: ['ab'], [field]: ['4'] }),
      );
      expect(err).toBeInstanceOf(ComponentError);
      expect(err).toMatchObject({ field });
    },
  );
});

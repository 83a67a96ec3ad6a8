/**
 * The deletion guard (issue 19; the QSIGN seeds' rotation: "delete refused while active tokens
 * exist"): a key that signed tokens still valid is not deleted or disabled (400 with Keycloak's
 * admin error body `{"errorMessage"}`, as ComponentResource answers a refused component change
 * through ErrorResponse.error(message, BAD_REQUEST)) until they have expired, unless
 * `?force=true` (admin event and key_events record it), and it keeps verifying until then.
 * Keycloak itself deletes at once (ComponentResource.removeComponent): a deliberate difference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createLocalJWKSet, verifyToken } from 'qsign-oidc/verify';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { seedPgliteDataDir } from '../helpers/store-template.ts';
import { adminCall, clientToken, passwordToken } from '../helpers/admin.ts';
import { openSqlClient } from '../../src/store/sql.ts';

const KEY_PROVIDER = 'org.keycloak.keys.KeyProvider';
let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [
      {
        // The guard is shown on ML-DSA-65 keys; a realm naming no alg signs RS256 (Keycloak's default).
        realm: 'guard',
        defaultSignatureAlgorithm: 'ML-DSA-65',
        adminEventsEnabled: true,
        accessTokenLifespan: 2,
        ssoSessionMaxLifespan: 2,
        ssoSessionIdleTimeout: 2,
        offlineSessionIdleTimeout: 2,
        clients: [
          {
            clientId: 'svc',
            secret: 'svc-secret',
            publicClient: false,
            serviceAccountsEnabled: true,
            standardFlowEnabled: false,
          },
        ],
      },
    ],
  });
  admin = await passwordToken(server.baseUrl, 'master', 'admin', 'admin-test-password');
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const call = (method: string, p: string, body?: unknown) =>
  adminCall(server.baseUrl, admin, method, `/guard${p}`, body);
const issuer = () => `${server.baseUrl}/realms/guard`;
const certs = async () =>
  (await (await fetch(`${issuer()}/protocol/openid-connect/certs`)).json()) as {
    keys: { kid: string }[];
  };
const issue = () => clientToken(server.baseUrl, 'guard', 'svc', 'svc-secret');
const componentOf = async (kid: string) =>
  ((await call('GET', '/keys')).body as { keys: { kid: string; providerId: string }[] }).keys.find(
    (k) => k.kid === kid,
  )!.providerId;
/** A new ML-DSA-65 key provider above the others: it signs from now on. */
async function rotate(priority: number): Promise<void> {
  const realmId = ((await call('GET', '')).body as { id: string }).id;
  const made = await call('POST', '/components', {
    name: `pq-${priority}`,
    providerId: 'ml-dsa-generated',
    providerType: KEY_PROVIDER,
    parentId: realmId,
    config: { priority: [String(priority)], algorithm: ['ML-DSA-65'] },
  });
  expect(made.status).toBe(201);
}
async function makePassive(componentId: string): Promise<void> {
  const current = (await call('GET', `/components/${componentId}`)).body as {
    config: Record<string, string[]>;
  };
  expect(
    (
      await call('PUT', `/components/${componentId}`, {
        ...current,
        config: { ...current.config, active: ['false'] },
      })
    ).status,
  ).toBe(204);
}
const refusal = /^refused: key (\S+) \(ML-DSA-65\) signed tokens that are valid until (\S+); /;

describe('deletion guard over the admin API', () => {
  let tokenA = '';
  let kidA = '';
  let componentA = '';
  let componentB = '';

  beforeAll(async () => {
    tokenA = await issue();
    kidA = decodeProtectedHeader(tokenA).kid!;
    componentA = await componentOf(kidA);
    await rotate(200);
    const tokenB = await issue();
    componentB = await componentOf(decodeProtectedHeader(tokenB).kid!);
    expect(componentB).not.toBe(componentA);
    await rotate(300);
    // Turning a key PASSIVE is not refused: it still verifies what it signed.
    await makePassive(componentA);
    await makePassive(componentB);
  });

  it('refuses DELETE and disabling with the kid and the time it becomes removable; the key keeps verifying', async () => {
    const refused = await call('DELETE', `/components/${componentA}`);
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body as object)).toEqual(['errorMessage']);
    const [, kid, at] = refusal.exec((refused.body as { errorMessage: string }).errorMessage)!;
    expect(kid).toBe(kidA);
    // Not before the token it signed expires (its exp, set by the realm's accessTokenLifespan).
    expect(new Date(at).toISOString()).toBe(at);
    expect(new Date(at).getTime()).toBeGreaterThanOrEqual(decodeJwt(tokenA).exp! * 1000);

    const current = (await call('GET', `/components/${componentA}`)).body as {
      config: Record<string, string[]>;
    };
    const disabling = await call('PUT', `/components/${componentA}`, {
      ...current,
      config: { ...current.config, enabled: ['false'] },
    });
    expect(disabling.status).toBe(400);
    expect((disabling.body as { errorMessage: string }).errorMessage).toContain(kidA);

    expect((await certs()).keys.map((k) => k.kid)).toContain(kidA);
    const { payload } = await verifyToken(tokenA, createLocalJWKSet(await certs()), {
      algorithms: ['ML-DSA-65'],
      issuer: issuer(),
      currentDate: new Date(decodeJwt(tokenA).iat! * 1000),
    });
    expect(payload.azp).toBe('svc');
  });

  it('allows DELETE with force=true, recorded in the admin events with the actor and in key_events', async () => {
    const kidB = (
      (await call('GET', '/keys')).body as { keys: { kid: string; providerId: string }[] }
    ).keys.find((k) => k.providerId === componentB)!.kid;
    expect((await call('DELETE', `/components/${componentB}`)).status).toBe(400);
    expect((await call('DELETE', `/components/${componentB}?force=true`)).status).toBe(204);
    expect((await certs()).keys.map((k) => k.kid)).not.toContain(kidB);

    const me = (
      (await adminCall(server.baseUrl, admin, 'GET', '/master/users?username=admin&exact=true'))
        .body as { id: string }[]
    )[0].id;
    let events: {
      operationType: string;
      resourcePath: string;
      authDetails: { userId?: string };
      details?: Record<string, string>;
    }[] = [];
    // The admin event is appended after the response.
    await expect
      .poll(async () => {
        events = (await call('GET', '/admin-events?operationTypes=DELETE')).body as typeof events;
        return events.length;
      })
      .toBe(1);
    expect(events[0]).toMatchObject({
      resourcePath: `components/${componentB}`,
      authDetails: { userId: me },
      details: { force: 'true', forcedKids: kidB },
    });
    const recorded = await server.db.query<{ action: string; actor: string }>(
      'SELECT action, actor FROM key_events WHERE kid = $1 ORDER BY id',
      [kidB],
    );
    expect(recorded.map((e) => e.actor)).toEqual(expect.arrayContaining(['admin']));
    expect(
      recorded.some(
        (e) =>
          /^removed by force while its tokens are valid until /.test(e.action) &&
          e.actor === 'admin',
      ),
    ).toBe(true);
  });

  it('allows DELETE once the time has passed', async () => {
    // The time passing: the record of the last signature window moved back past the lifetimes (2 s).
    await server.db.query(
      "UPDATE keys SET signed_until = signed_until - interval '10 minutes' WHERE kid = $1",
      [kidA],
    );
    expect((await call('DELETE', `/components/${componentA}`)).status).toBe(204);
    expect((await certs()).keys.map((k) => k.kid)).not.toContain(kidA);
  });

  it('allows deleting a key that never signed', async () => {
    await rotate(50);
    const fresh = ((await call('GET', '/components?name=pq-50')).body as { id: string }[])[0].id;
    expect((await call('DELETE', `/components/${fresh}`)).status).toBe(204);
  });
});

describe('deletion guard in the CLI', () => {
  const run = promisify(execFile);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-guard-cli-'));
  seedPgliteDataDir(dataDir);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  const cli = (...args: string[]) =>
    run(process.execPath, ['src/main.ts', ...args], { cwd: REPO, env });

  it('keys disable refuses a key whose tokens are valid, and --force disables it (key_events records it)', async () => {
    await cli('import', path.join(REPO, 'realms', 'demo.json'));
    const oldKid = (await cli('keys', 'list', '--realm', 'demo', '--alg', 'ML-DSA-65')).stdout
      .trim()
      .split('\n')[1]
      .split(/\s+/)[0];
    await cli('keys', 'rotate', '--realm', 'demo', '--alg', 'ML-DSA-65');
    // As the ledger records a signature window (the server is not running here).
    const db = await openSqlClient({ dataDir });
    await db.query(
      "UPDATE keys SET signed_until = now() + interval '1 minute', signed_lifetime = 300 WHERE kid = $1",
      [oldKid],
    );
    await db.close();

    const refused = await cli('keys', 'disable', '--realm', 'demo', '--kid', oldKid).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(
      new RegExp(
        `refused: key ${oldKid} \\(ML-DSA-65\\) signed tokens that are valid until \\d{4}-`,
      ),
    );
    expect(
      (await cli('keys', 'disable', '--realm', 'demo', '--kid', oldKid, '--force')).stdout,
    ).toBe(`disabled ${oldKid} (forced, tokens still valid: ${oldKid})\n`);
    const check = await openSqlClient({ dataDir });
    const events = await check.query<{ action: string; actor: string }>(
      'SELECT action, actor FROM key_events WHERE kid = $1',
      [oldKid],
    );
    await check.close();
    expect(events.some((e) => e.actor === 'cli' && e.action.startsWith('removed by force'))).toBe(
      true,
    );
  });
});

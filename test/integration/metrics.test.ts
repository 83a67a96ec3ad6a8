/**
 * The metrics of logins and tokens, read off `/metrics` after real password grants and login
 * forms: every failed user login counts under Keycloak's LOGIN_ERROR reason (locked-out and
 * disabled users too), a lockout counts once it is committed (not when its transaction rolls
 * back), and tokens count by type: access, refresh (HS512) and id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';
import { sampleSum } from '../helpers/metrics.ts';

let server: TestServer;
beforeAll(async () => {
  const user = (username: string, password: string, extra: Record<string, unknown> = {}) => ({
    username,
    credentials: [{ value: password }],
    ...extra,
  });
  server = await startServer({
    realms: [
      {
        realm: 'metered',
        defaultSignatureAlgorithm: 'ML-DSA-65',
        bruteForceProtected: true,
        failureFactor: 3,
        waitIncrementSeconds: 60,
        maxFailureWaitSeconds: 60,
        clients: [
          {
            clientId: 'cli',
            publicClient: true,
            standardFlowEnabled: false,
            directAccessGrantsEnabled: true,
          },
          { clientId: 'web', publicClient: true, redirectUris: ['http://localhost:4000/*'] },
        ],
        users: [
          user('alice', 'alice-password'),
          user('target', 'target-password'),
          user('bob', 'bob-password'),
          user('gone', 'gone-password', { enabled: false }),
          user('fresh', 'fresh-password', { requiredActions: ['UPDATE_PASSWORD'] }),
        ],
      },
    ],
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const grant = async (username: string, password: string) =>
  (
    await fetch(`${server.baseUrl}/realms/metered/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'cli',
        username,
        password,
        scope: 'openid',
      }),
    })
  ).status;
const metrics = async () => (await fetch(`${server.baseUrl}/metrics`)).text();
/** The change of each metric (name and labels) over `action`. */
async function deltas(
  action: () => Promise<void>,
  watched: Record<string, [string, Record<string, string>]>,
): Promise<Record<string, number>> {
  const before = await metrics();
  await action();
  const after = await metrics();
  return Object.fromEntries(
    Object.entries(watched).map(([key, [name, labels]]) => [
      key,
      sampleSum(after, name, labels) - sampleSum(before, name, labels),
    ]),
  );
}
const failures = (reason: string): [string, Record<string, string>] => [
  'qsign_login_failures_total',
  { realm: 'metered', reason },
];
const LOCKOUTS: [string, Record<string, string>] = ['qsign_lockouts_total', { realm: 'metered' }];

describe('login and token metrics', () => {
  it('counts every failed user login by its LOGIN_ERROR reason, locked-out and disabled users included, and each lockout once', async () => {
    const counted = await deltas(
      async () => {
        expect(await grant('alice', 'wrong')).toBe(401);
        expect(await grant('nobody', 'wrong')).toBe(401);
        expect(await grant('gone', 'gone-password')).toBe(400);
        expect(await grant('fresh', 'fresh-password')).toBe(400);
        for (let i = 0; i < 3; i += 1) expect(await grant('target', 'wrong')).toBe(401);
        // Locked out now: the right password and a wrong one get the wrong password's answer.
        expect(await grant('target', 'target-password')).toBe(401);
        expect(await grant('target', 'wrong')).toBe(401);
        const page = await signIn(
          new TestBrowser(),
          `${server.baseUrl}/realms/metered/protocol/openid-connect/auth?client_id=web&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://localhost:4000/cb')}`,
          server.baseUrl,
          'alice',
          'wrong-again',
        );
        expect(page.page).toContain('Invalid username or password.');
      },
      {
        invalid: failures('invalid_user_credentials'),
        unknown: failures('user_not_found'),
        disabled: failures('user_disabled'),
        setup: failures('resolve_required_actions'),
        locked: failures('user_temporarily_disabled'),
        all: ['qsign_login_failures_total', { realm: 'metered' }],
        lockouts: LOCKOUTS,
      },
    );
    expect(counted).toEqual({
      invalid: 5,
      unknown: 1,
      disabled: 1,
      setup: 1,
      locked: 2,
      all: 10,
      lockouts: 1,
    });
  });

  it('does not count a lockout whose transaction rolls back', async () => {
    // The store refuses bob's third failure (the one that locks him out): the attempt fails as a
    // whole, and no lockout started.
    await server.db
      .query(`CREATE FUNCTION refuse_third_failure() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.num_failures >= 3 THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await server.db.query(
      'CREATE TRIGGER refuse_third_failure BEFORE INSERT OR UPDATE ON login_failures FOR EACH ROW EXECUTE FUNCTION refuse_third_failure()',
    );
    try {
      const counted = await deltas(
        async () => {
          for (let i = 0; i < 2; i += 1) expect(await grant('bob', 'wrong')).toBe(401);
          expect(await grant('bob', 'wrong')).toBeGreaterThanOrEqual(500);
        },
        { lockouts: LOCKOUTS },
      );
      expect(counted).toEqual({ lockouts: 0 });
      const [row] = await server.db.query<{ num_failures: number; locked_until: Date | null }>(
        "SELECT num_failures, locked_until FROM login_failures f JOIN users u ON u.id = f.user_id WHERE u.username = 'bob'",
      );
      expect(row).toEqual({ num_failures: 2, locked_until: null });
    } finally {
      await server.db.query('DROP TRIGGER refuse_third_failure ON login_failures');
    }
  });

  it('counts the access, refresh and id tokens a grant issues, each under its alg', async () => {
    const counted = await deltas(
      async () => {
        expect(await grant('alice', 'alice-password')).toBe(200);
      },
      {
        access: ['qsign_tokens_issued_total', { realm: 'metered', type: 'access' }],
        refresh: ['qsign_tokens_issued_total', { realm: 'metered', alg: 'HS512', type: 'refresh' }],
        id: ['qsign_tokens_issued_total', { realm: 'metered', type: 'id' }],
      },
    );
    expect(counted).toEqual({ access: 1, refresh: 1, id: 1 });
    expect(await metrics()).toMatch(
      /qsign_tokens_issued_total\{realm="metered",alg="ML-DSA-65",type="id"\} 1\n/,
    );
  });
});

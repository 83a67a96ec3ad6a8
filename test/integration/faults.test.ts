/**
 * PostgreSQL stopped and restarted under load (the real server on 127.0.0.1:5432, stopped with
 * pg_ctlcluster): while it is down requests fail with 503 temporarily_unavailable and none hangs
 * past the connection timeout; when it is back the service resumes by itself, and no artefact was
 * half-written (every stored grant has its tokens' records or none).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { asJson } from '../helpers/json.ts';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { REQUIRE_ALL, createTestDatabase, postgresAvailable } from '../helpers/components.ts';

const canControl = existsSync('/etc/postgresql') && (() => { try { execFileSync('which', ['pg_ctlcluster']); return true; } catch { return false; } })();
if (!canControl && REQUIRE_ALL) throw new Error('pg_ctlcluster is required (REQUIRE_ALL=1) to stop and restart PostgreSQL in the fault test');
const available = canControl && await postgresAvailable();
const version = canControl ? readdirSync('/etc/postgresql')[0] : '';
const pg = (action: 'start' | 'stop') => execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', action, ...(action === 'stop' ? ['-m', 'fast'] : [])], { stdio: 'ignore' });
const pgUp = () => { try { execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']); return true; } catch { return false; } };

let server: TestServer;
let drop: (() => Promise<void>) | undefined;
beforeAll(async () => {
  if (!available) return;
  const db = await createTestDatabase();
  drop = db.drop;
  server = await startServer({ databaseUrl: db.url, realmFiles: [path.join(REPO, 'realms', 'demo.json')] });
}, 60_000);
afterAll(async () => {
  if (available && !pgUp()) pg('start');
  await server?.close().catch(() => undefined);
  await drop?.();
});

const grant = async () => {
  const started = Date.now();
  try {
    // The password grant reads the user and writes a grant: it needs the database
    // (client_credentials tokens are transient and may be served from memory for a while).
    const res = await fetch(`${server.baseUrl}/realms/demo/protocol/openid-connect/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&client_id=demo-cli&username=alice&password=alice', signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: await res.json().then(asJson), ms: Date.now() - started };
  } catch {
    return { status: 0, body: {}, ms: Date.now() - started };
  }
};

describe.skipIf(!available)('PostgreSQL down and back', () => {
  it('answers 503 while it is down, never hangs past the timeout, and recovers by itself', async () => {
    expect((await grant()).status).toBe(200);
    pg('stop');
    let down: Awaited<ReturnType<typeof grant>>[] = [];
    try {
      down = await Promise.all(Array.from({ length: 8 }, () => grant()));
    } finally {
      pg('start');
    }
    expect(down.map((r) => r.status)).toEqual(Array(8).fill(503));
    expect(down[0].body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(Math.max(...down.map((r) => r.ms))).toBeLessThan(7_000);
    for (let i = 0; i < 100 && !pgUp(); i += 1) await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    let back = 0;
    for (let i = 0; i < 100; i += 1) {
      if ((await grant()).status === 200) { back = Date.now() - started; break; }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(back).toBeGreaterThan(0);
    console.log(`PostgreSQL back: service recovered ${back} ms after the server accepted connections again`);
    // No half-written records: every stored access and refresh token (the grants above made
    // some) has an expiry and the grant it was issued under.
    const [{ tokens }] = await server.db.query<{ tokens: number }>("SELECT count(*)::int AS tokens FROM oidc_payloads WHERE model IN ('AccessToken', 'RefreshToken')");
    expect(tokens).toBeGreaterThan(0);
    const orphans = await server.db.query(
      `SELECT t.model, t.id FROM oidc_payloads t WHERE t.model IN ('AccessToken', 'RefreshToken') AND (t.expires_at IS NULL
         OR NOT EXISTS (SELECT 1 FROM oidc_payloads g WHERE g.realm_id = t.realm_id AND g.model = 'Grant' AND g.id = t.grant_id))`,
    );
    expect(orphans).toEqual([]);
  });
});

/**
 * The request log (JSON lines, pino): one line per request with its request id, method, path
 * without the query string, status and duration, and never a password, client secret, token,
 * authorization code or Authorization header, whatever the request carried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type TestServer } from '../helpers/server.ts';
import { createLogger } from '../../src/log.ts';

const SECRETS = {
  password: 'bobs-Password-4711',
  clientSecret: 'svc-Secret-0815-abc',
  code: 'code-Value-9f8e7d',
};
const dir = mkdtempSync(path.join(tmpdir(), 'qsign-logs-'));
const logFile = path.join(dir, 'server.log');
let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    logFile,
    env: { LOG_LEVEL: 'info' },
    realms: [
      {
        realm: 'logged',
        clients: [
          {
            clientId: 'svc',
            secret: SECRETS.clientSecret,
            serviceAccountsEnabled: true,
            standardFlowEnabled: false,
          },
          {
            clientId: 'cli',
            publicClient: true,
            standardFlowEnabled: false,
            directAccessGrantsEnabled: true,
          },
        ],
        users: [{ username: 'bob', credentials: [{ value: SECRETS.password }] }],
      },
    ],
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const readLines = async (file: string, count: number) => {
  // The destination opens the file and writes asynchronously: wait until the lines are there.
  const lines = () =>
    existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  for (let i = 0; i < 50 && lines().length < count; i += 1)
    await new Promise((r) => setTimeout(r, 50));
  return lines();
};

describe('request log', () => {
  it('one JSON line per request with its request id, and no secret or token in any line', async () => {
    const token = `${server.baseUrl}/realms/logged/protocol/openid-connect/token`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const password = await fetch(token, {
      method: 'POST',
      headers: { ...form, 'x-request-id': 'trace-me-42' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'cli',
        username: 'bob',
        password: SECRETS.password,
        scope: 'openid',
      }),
    });
    const tokens = (await password.json()) as { access_token: string; refresh_token: string };
    expect(password.status).toBe(200);
    expect(password.headers.get('x-request-id')).toBe('trace-me-42');
    const basic = `Basic ${Buffer.from(`svc:${SECRETS.clientSecret}`).toString('base64')}`;
    const service = await fetch(token, {
      method: 'POST',
      headers: { ...form, authorization: basic },
      body: 'grant_type=client_credentials',
    });
    const serviceToken = ((await service.json()) as { access_token: string }).access_token;
    const wrong = await fetch(token, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'cli',
        username: 'bob',
        password: `${SECRETS.password}-wrong`,
      }),
    });
    expect(wrong.status).toBe(401);
    const refresh = await fetch(token, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'cli',
        refresh_token: tokens.refresh_token,
      }),
    });
    expect(refresh.status).toBe(200);
    const userinfo = await fetch(
      `${server.baseUrl}/realms/logged/protocol/openid-connect/userinfo`,
      { headers: { authorization: `Bearer ${tokens.access_token}` } },
    );
    expect(userinfo.status).toBe(200);
    const auth = await fetch(
      `${server.baseUrl}/realms/logged/protocol/openid-connect/auth?client_id=cli&code=${SECRETS.code}&response_type=code`,
      { redirect: 'manual' },
    );
    // An X-Request-Id that does not look like one (too long here) is replaced by a generated id.
    const oversized = await fetch(`${server.baseUrl}/realms/logged`, {
      headers: { 'x-request-id': 'x'.repeat(500) },
    });
    expect(oversized.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ids = [password, service, wrong, refresh, userinfo, auth, oversized].map((r) =>
      r.headers.get('x-request-id'),
    );

    const lines = await readLines(logFile, ids.length);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = entries.filter((e) => e.msg === 'request');
    for (const id of ids) {
      const mine = requests.filter((e) => e.requestId === id);
      expect(mine, String(id)).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        method: expect.any(String),
        status: expect.any(Number),
        ms: expect.any(Number),
      });
      expect(String(mine[0].path)).not.toContain('?');
    }
    expect(requests.find((e) => e.requestId === 'trace-me-42')).toMatchObject({
      method: 'POST',
      path: '/realms/logged/protocol/openid-connect/token',
      status: 200,
    });
    const text = lines.join('\n');
    for (const secret of [
      SECRETS.password,
      SECRETS.clientSecret,
      SECRETS.code,
      basic.slice(6),
      tokens.access_token,
      tokens.refresh_token,
      serviceToken,
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it("oidc-provider's server errors carry the request id of their request", async () => {
    const runtime = (await server.registry.get('logged'))!;
    const ctx = {
      state: {},
      response: {
        get: (name: string) =>
          name.toLowerCase() === 'x-request-id' ? 'req-4711-server-error' : '',
      },
    };
    runtime.provider.emit('server_error', ctx, new Error('boom for the log test'));
    // The file already holds the first test's lines, and pino writes asynchronously: wait for this one.
    const line = async () =>
      (await readLines(logFile, 1))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === 'oidc-provider server error');
    await expect
      .poll(line, { timeout: 5_000, interval: 50 })
      .toMatchObject({ requestId: 'req-4711-server-error', realm: 'logged', level: 50 });
  });

  it('other lines go through the redact list, nested fields included', async () => {
    const file = path.join(dir, 'redact.log');
    const log = createLogger('info', file);
    log.info(
      {
        password: 'p1-secret',
        client_secret: 'c1-secret',
        headers: { authorization: 'Bearer t1-secret' },
        body: { secret: 's1-secret', password: 'p2-secret' },
      },
      'a line',
    );
    const text = (await readLines(file, 1)).join('\n');
    expect(text).toContain('a line');
    for (const secret of ['p1-secret', 'c1-secret', 't1-secret', 's1-secret', 'p2-secret'])
      expect(text).not.toContain(secret);
  });
});

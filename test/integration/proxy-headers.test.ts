/**
 * Proxy headers (PROXY_HEADERS, PROXY_TRUSTED_ADDRESSES; src/proxy-headers.ts) as the per-IP rate
 * limit sees the client's address, URLs built on PUBLIC_BASE_URL whatever the request's host
 * headers say (src/public-origin.ts), a Basic credential that does not decode under a per-client
 * limit, and the Redis entry of /health/ready.
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import path from 'node:path';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { startAuthorization } from '../helpers/authorization.ts';
import { REDIS_URL, redisAvailable } from '../helpers/components.ts';
import { asJson } from '../helpers/json.ts';

const LIMIT = 3;
const MASTER = path.join(REPO, 'realms', 'master.json');
const withRedis = await redisAvailable();
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const start = async (env: Record<string, string> = {}, redisUrl?: string) => {
  const realm = `proxy${Date.now()}`;
  server = await startServer({
    env,
    redisUrl,
    realms: [
      {
        realm,
        attributes: {
          'qsign.rateLimit.token.perIp': String(LIMIT),
          'qsign.rateLimit.token.perClient': '100',
        },
        clients: [
          {
            clientId: 'svc',
            secret: 's',
            serviceAccountsEnabled: true,
            standardFlowEnabled: false,
          },
        ],
      },
    ],
  });
  return `${server.baseUrl}/realms/${realm}/protocol/openid-connect/token`;
};

/** Status of one client_credentials grant sent with `headers`. */
const grant = async (
  url: string,
  headers: Record<string, string> = {},
  authorization = `Basic ${Buffer.from('svc:s').toString('base64')}`,
) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization, ...headers },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return { status: res.status, body: await res.json().then(asJson) };
};

/** Statuses of `n` grants, the i-th sent with `headersOf(i)`. */
const statuses = async (
  url: string,
  n: number,
  headersOf: (i: number) => Record<string, string>,
) => {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) out.push((await grant(url, headersOf(i))).status);
  return out;
};

describe('the client address behind proxies', () => {
  it('ignores X-Forwarded-For by default: a client cannot pick a new address per request', async () => {
    const url = await start();
    const seen = await statuses(url, LIMIT + 1, (i) => ({
      'x-forwarded-for': `203.0.113.${i + 1}`,
    }));
    expect(seen).toEqual([200, 200, 200, 429]);
  });

  it('with PROXY_HEADERS=xforwarded takes the last entry, the one the nearest proxy appended', async () => {
    const url = await start({ PROXY_HEADERS: 'xforwarded' });
    // The client's own entries vary, the proxy's does not: one address, limited.
    const same = await statuses(url, LIMIT + 1, (i) => ({
      'x-forwarded-for': `198.51.100.${i + 1}, 203.0.113.7`,
    }));
    expect(same).toEqual([200, 200, 200, 429]);
    // Another address as the proxy saw it has its own count.
    expect((await grant(url, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(200);
  });

  it('with PROXY_TRUSTED_ADDRESSES believes the headers only from those peers', async () => {
    const untrusted = await start({
      PROXY_HEADERS: 'xforwarded',
      PROXY_TRUSTED_ADDRESSES: '10.0.0.0/8, 192.0.2.1',
    });
    const spoofed = await statuses(untrusted, LIMIT + 1, (i) => ({
      'x-forwarded-for': `203.0.113.${i + 1}`,
    }));
    expect(spoofed).toEqual([200, 200, 200, 429]);
    await server!.close();
    const trusted = await start({
      PROXY_HEADERS: 'xforwarded',
      PROXY_TRUSTED_ADDRESSES: '127.0.0.1/32,::1',
    });
    const forwarded = await statuses(trusted, LIMIT + 1, (i) => ({
      'x-forwarded-for': `203.0.113.${i + 1}`,
    }));
    expect(forwarded).toEqual([200, 200, 200, 200]);
  });

  it('refuses a PROXY_HEADERS or PROXY_TRUSTED_ADDRESSES value it cannot use, naming the variable', async () => {
    await expect(start({ PROXY_HEADERS: 'forwarded' })).rejects.toThrow(/PROXY_HEADERS/);
    await expect(start({ PROXY_TRUSTED_ADDRESSES: '10.0.0.0/33' })).rejects.toThrow(
      /PROXY_TRUSTED_ADDRESSES/,
    );
  });
});

describe("oidc-provider's own view of the request", () => {
  it('records the TCP peer, not a forged X-Forwarded-For, as the address of login events', async () => {
    const realm = `events${Date.now()}`;
    server = await startServer({
      realms: [
        {
          realm,
          eventsEnabled: true,
          enabledEventTypes: ['CLIENT_LOGIN'],
          clients: [
            {
              clientId: 'svc',
              secret: 's',
              serviceAccountsEnabled: true,
              standardFlowEnabled: false,
            },
          ],
        },
      ],
    });
    expect(
      (
        await grant(`${server.baseUrl}/realms/${realm}/protocol/openid-connect/token`, {
          'x-forwarded-for': '203.0.113.9',
        })
      ).status,
    ).toBe(200);
    await expect
      .poll(
        async () =>
          (
            await server!.db.query<{ ip: string }>(
              "SELECT representation->>'ipAddress' AS ip FROM events WHERE type = 'CLIENT_LOGIN'",
            )
          ).map((r) => r.ip),
        { timeout: 5_000 },
      )
      .toEqual(['127.0.0.1']);
  });

  it('sets Secure cookies for an https PUBLIC_BASE_URL on a plain-HTTP connection (TLS ended at the ingress, no proxy headers)', async () => {
    const realm = `secure${Date.now()}`;
    server = await startServer({
      env: { PUBLIC_BASE_URL: 'https://sso.example.com' },
      realms: [
        {
          realm,
          clients: [
            { clientId: 'web', publicClient: true, redirectUris: ['https://app.example.com/*'] },
          ],
        },
      ],
    });
    const { response: res } = await startAuthorization(
      server.baseUrl,
      realm,
      'web',
      'https://app.example.com/cb',
    );
    expect(res.status).toBe(303);
    const cookies = res.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie.toLowerCase()).toContain('; secure');
  });
});

describe('URLs the server builds', () => {
  /** Discovery's authorization_endpoint when asked with `headers` (http.request: fetch will not send Host). */
  const endpointWith = async (headers: Record<string, string>) => {
    const url = new URL(`${server!.baseUrl}/realms/master/.well-known/openid-configuration`);
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        http
          .get(url, { headers }, (res) => {
            let text = '';
            res.on('data', (chunk) => {
              text += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode!, body: text }));
          })
          .on('error', reject);
      },
    );
    return {
      status,
      endpoint: status === 200 ? String(asJson(JSON.parse(body)).authorization_endpoint) : body,
    };
  };

  for (const env of [{}, { PROXY_HEADERS: 'xforwarded' }] as Record<string, string>[]) {
    it(`take PUBLIC_BASE_URL's origin whatever Host and X-Forwarded-* say (${JSON.stringify(env)})`, async () => {
      server = await startServer({ env, realmFiles: [MASTER] });
      const expected = `${server.baseUrl}/realms/master/protocol/openid-connect/auth`;
      for (const headers of [
        { host: 'evil.example' },
        { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
        { 'x-forwarded-host': '>' },
        { 'x-forwarded-proto': '>' },
      ] as Record<string, string>[]) {
        expect(await endpointWith(headers), JSON.stringify(headers)).toEqual({
          status: 200,
          endpoint: expected,
        });
      }
    });
  }
});

describe('a per-client limit', () => {
  it('answers invalid_request, not a 500, to a Basic credential whose client id does not URL-decode', async () => {
    const url = await start();
    const res = await grant(url, {}, `Basic ${Buffer.from('%zz:s').toString('base64')}`);
    // oidc-provider's answer to a credential not form-urlencoded (RFC 6749 §2.3.1).
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });
});

describe('/health/ready', () => {
  it('reports Redis without making the process unready when it is down (Redis is optional)', async () => {
    await start({}, 'redis://127.0.0.1:1');
    const res = await fetch(`${server!.baseUrl}/health/ready`);
    const body = asJson(await res.json());
    expect(res.status).toBe(200);
    expect(body.checks).toContainEqual(expect.objectContaining({ name: 'redis', status: 'DOWN' }));
  });

  it.skipIf(!withRedis)('reports Redis UP once connected', async () => {
    await start({}, REDIS_URL);
    await expect
      .poll(
        async () => asJson(await (await fetch(`${server!.baseUrl}/health/ready`)).json()).checks,
        { timeout: 5_000, interval: 1_100 },
      )
      .toContainEqual({ name: 'redis', status: 'UP' });
  });
});

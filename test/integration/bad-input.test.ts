/**
 * Property-based bad input (fast-check): malformed and oversized form bodies, headers, JSON and
 * JWTs sent to every public endpoint must get a 4xx protocol error, never a 5xx, never a stack
 * trace, and never take the server down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import path from 'node:path';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { startAuthorization } from '../helpers/authorization.ts';

// A realm with every rate limit set (high enough not to answer 429 to most requests), so the
// limits' own parsing of credentials and addresses is fuzzed too.
const LIMITED = {
  realm: 'limited',
  attributes: {
    'qsign.rateLimit.token.perClient': '100000',
    'qsign.rateLimit.token.perIp': '100000',
    'qsign.rateLimit.login.perIp': '100000',
  },
  clients: [
    { clientId: 'svc', secret: 's', serviceAccountsEnabled: true, standardFlowEnabled: false },
    { clientId: 'web', publicClient: true, redirectUris: ['http://localhost:3000/*'] },
  ],
};
let server: TestServer;
/** A real login form (interaction uid and its cookies), from an authorization request of demo-spa. */
let login: { path: string; cookie: string };
let adminToken = '';
beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json'), path.join(REPO, 'realms', 'demo.json')],
    realms: [LIMITED],
  });
  const auth = await startAuthorization(
    server.baseUrl,
    'demo',
    'demo-spa',
    'http://localhost:3000/cb',
  );
  login = { path: `${auth.loginUrl.pathname}/login`, cookie: auth.cookie };
  const admin = await fetch(`${server.baseUrl}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'admin-cli',
      username: 'admin',
      password: 'admin-test-password',
    }),
  });
  adminToken = ((await admin.json()) as { access_token: string }).access_token;
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const P = '/realms/demo/protocol/openid-connect';
const L = '/realms/limited/protocol/openid-connect';
const FORM_ENDPOINTS = [
  `${P}/token`,
  `${P}/token/introspect`,
  `${P}/revoke`,
  `${P}/userinfo`,
  `${P}/logout`,
  `${P}/auth`,
  `${P}/auth/device`,
  `${P}/ext/par/request`,
  '/realms/demo/device',
  `${L}/token`,
  `${L}/token/introspect`,
  '/realms/master/protocol/openid-connect/token',
  '/realms/demo/login-actions/unknown-uid/login',
];
const GET_ENDPOINTS = [
  `${P}/auth`,
  `${P}/userinfo`,
  `${P}/logout`,
  `${P}/certs`,
  '/realms/demo',
  '/realms/demo/.well-known/openid-configuration',
  `${P}/login-status-iframe.html/init`,
  `${P}/login-status-iframe.html`,
  '/realms/demo/account',
  '/admin/realms/demo/keys',
  '/realms/demo/device',
  '/realms/master/.well-known/openid-configuration',
  '/realms/demo/login-actions/unknown-uid',
  '/health/live',
  '/health/ready',
  '/metrics',
  '/resources/login.css',
];

const jwtish = fc.oneof(
  fc.string(),
  fc
    .tuple(fc.base64String(), fc.base64String(), fc.base64String())
    .map(([a, b, c]) => `${a}.${b}.${c}`),
  fc
    .tuple(fc.json(), fc.json())
    .map(
      ([h, p]) =>
        `${Buffer.from(h).toString('base64url')}.${Buffer.from(p).toString('base64url')}.AAAA`,
    ),
);
const formValue = fc.oneof(
  fc.string({ maxLength: 200 }),
  jwtish,
  fc.constantFrom(
    'client_credentials',
    'password',
    'refresh_token',
    'authorization_code',
    'demo-service',
    'alice',
  ),
);
const formKey = fc.oneof(
  fc.constantFrom(
    'grant_type',
    'client_id',
    'client_secret',
    'username',
    'password',
    'refresh_token',
    'code',
    'redirect_uri',
    'code_verifier',
    'token',
    'token_type_hint',
    'scope',
    'id_token_hint',
    'response_type',
    'prompt',
  ),
  fc.string({ maxLength: 20 }),
);
const form = fc.dictionary(formKey, formValue, { maxKeys: 8 });
const headerValue = fc.oneof(
  jwtish.map((j) => `Bearer ${j}`),
  fc.string({ maxLength: 100 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
  fc.constantFrom('Basic', 'Bearer', 'Basic %%%', 'Bearer '),
);

function checkResponse(status: number, body: string) {
  expect(status, body.slice(0, 300)).toBeLessThan(500);
  expect(body).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('bad input never crashes and never answers 5xx', () => {
  it('form bodies, with and without Authorization headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FORM_ENDPOINTS),
        form,
        fc.option(headerValue),
        async (endpoint, body, authorization) => {
          const headers: Record<string, string> = {
            'content-type': 'application/x-www-form-urlencoded',
          };
          if (authorization) headers.authorization = authorization;
          const res = await fetch(`${server.baseUrl}${endpoint}`, {
            method: 'POST',
            headers,
            body: new URLSearchParams(body as Record<string, string>),
            redirect: 'manual',
          });
          checkResponse(res.status, await res.text());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('query strings and headers on GET endpoints', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...GET_ENDPOINTS),
        form,
        fc.option(headerValue),
        async (endpoint, query, authorization) => {
          const headers: Record<string, string> = {};
          if (authorization) headers.authorization = authorization;
          const res = await fetch(
            `${server.baseUrl}${endpoint}?${new URLSearchParams(query as Record<string, string>)}`,
            { headers, redirect: 'manual' },
          );
          checkResponse(res.status, await res.text());
        },
      ),
      { numRuns: 150, examples: [['/admin/realms/demo/keys', {}, 'Bearer e30.bnVsbA.AAAA']] },
    ); // once a 500: a JWT whose payload is JSON null
  });

  it('raw bodies: broken encodings, wrong content types, JSON where forms go and the reverse', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FORM_ENDPOINTS, '/admin/realms', '/admin/realms/demo/clients'),
        fc.constantFrom(
          'application/x-www-form-urlencoded',
          'application/json',
          'text/plain',
          'multipart/form-data; boundary=x',
        ),
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.constant('%E0%A4%A'),
          fc.constant('{"a":'),
          fc.constant('a=%zz&b=1'),
        ),
        async (endpoint, type, raw) => {
          const res = await fetch(`${server.baseUrl}${endpoint}`, {
            method: 'POST',
            headers: { 'content-type': type },
            body: raw,
            redirect: 'manual',
          });
          checkResponse(res.status, await res.text());
        },
      ),
      { numRuns: 120 },
    );
  });

  it('the login form of a real interaction: any fields, any cookies', async () => {
    expect(login.path).toMatch(/^\/realms\/demo\/login-actions\/[\w-]+\/login$/);
    expect(login.cookie).toMatch(/=/);
    await fc.assert(
      fc.asyncProperty(
        form,
        fc.oneof(fc.constant(login.cookie), fc.string({ maxLength: 200 })),
        async (body, cookie) => {
          const res = await fetch(`${server.baseUrl}${login.path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
            body: new URLSearchParams(body as Record<string, string>),
            redirect: 'manual',
          });
          checkResponse(res.status, await res.text());
        },
      ),
      { numRuns: 60 },
    );
  });

  it('headers other than Authorization: cookies, forwarding, origin, content types, preflights', async () => {
    const name = fc.constantFrom(
      'cookie',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-forwarded-host',
      'origin',
      'content-type',
      'accept',
      'x-request-id',
      'access-control-request-method',
      'dpop',
      'accept-language',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 300 }).map((v) => v.replace(/[\r\n\0]/g, '')),
      fc.constantFrom(
        'application/x-www-form-urlencoded; charset=latin9',
        'application/json; charset=utf-16',
        '_interaction=x; _session=y',
        'null',
        '1.2.3.4, , ::1',
        'https',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FORM_ENDPOINTS, ...GET_ENDPOINTS),
        fc.constantFrom('GET', 'POST', 'OPTIONS'),
        fc.dictionary(name, value, { maxKeys: 4 }),
        form,
        async (endpoint, method, headers, body) => {
          let res: Response;
          try {
            res = await fetch(`${server.baseUrl}${endpoint}`, {
              method,
              headers: headers as Record<string, string>,
              body:
                method === 'POST' ? new URLSearchParams(body as Record<string, string>) : undefined,
              redirect: 'manual',
            });
          } catch (err) {
            // fetch itself refuses some header values (not ByteStrings): nothing was sent.
            if (err instanceof TypeError && !(err as { cause?: unknown }).cause) return;
            throw err;
          }
          checkResponse(res.status, await res.text());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('admin API queries, authenticated: bad paging and filters are 400s', async () => {
    const query = fc.dictionary(
      fc.constantFrom(
        'first',
        'max',
        'type',
        'client',
        'user',
        'dateFrom',
        'dateTo',
        'search',
        'username',
        'exact',
        'briefRepresentation',
        'operationTypes',
        'resourcePath',
      ),
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('-1', 'abc', '1e309', '2026-13-45', '0', '99999999999999999999'),
      ),
      { maxKeys: 4 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/admin/realms/demo/events',
          '/admin/realms/demo/admin-events',
          '/admin/realms/demo/users',
          '/admin/realms/demo/clients',
          '/admin/realms/demo/keys',
          '/admin/realms/demo/roles',
        ),
        query,
        async (endpoint, q) => {
          const res = await fetch(
            `${server.baseUrl}${endpoint}?${new URLSearchParams(q as Record<string, string>)}`,
            { headers: { authorization: `Bearer ${adminToken}` } },
          );
          checkResponse(res.status, await res.text());
        },
      ),
      {
        numRuns: 150,
        examples: [
          ['/admin/realms/demo/events', { max: 'abc' }],
          ['/admin/realms/demo/users', { first: '-1' }],
        ],
      },
    );
  });

  it('oversized bodies are refused with a 4xx', async () => {
    const big = 'a='.concat('x'.repeat(200_000));
    for (const endpoint of [`${P}/token`, `${P}/token/introspect`, '/admin/realms']) {
      const res = await fetch(`${server.baseUrl}${endpoint}`, {
        method: 'POST',
        headers: {
          'content-type': endpoint.startsWith('/admin')
            ? 'application/json'
            : 'application/x-www-form-urlencoded',
        },
        body: big,
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    // The login form (16 KB) and the admin API (2 MB), each past its own limit. The form is one of
    // `limited` (demo's 60 login posts a minute per IP are used up by the fuzzing above: 429).
    const own = await startAuthorization(
      server.baseUrl,
      'limited',
      'web',
      'http://localhost:3000/cb',
    );
    const form = await fetch(`${server.baseUrl}${own.loginUrl.pathname}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: own.cookie },
      body: big,
    });
    expect(form.status).toBe(413);
    const json = await fetch(`${server.baseUrl}/admin/realms/demo/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ clientId: 'x', description: 'x'.repeat(3_000_000) }),
    });
    expect(json.status).toBe(413);
    // Still serving.
    expect((await fetch(`${server.baseUrl}/realms/demo`)).status).toBe(200);
  });
});

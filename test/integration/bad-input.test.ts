/**
 * Property-based bad input (fast-check): malformed and oversized form bodies, headers, JSON and
 * JWTs sent to every public endpoint must get a 4xx protocol error, never a 5xx, never a stack
 * trace, and never take the server down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import path from 'node:path';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => { server = await startServer({ realmFiles: [path.join(REPO, 'realms', 'master.json'), path.join(REPO, 'realms', 'demo.json')] }); }, 60_000);
afterAll(async () => { await server?.close(); });

const P = '/realms/demo/protocol/openid-connect';
const FORM_ENDPOINTS = [`${P}/token`, `${P}/token/introspect`, `${P}/revoke`, `${P}/userinfo`, `${P}/logout`, `${P}/auth`, `${P}/auth/device`, '/realms/demo/device'];
const GET_ENDPOINTS = [`${P}/auth`, `${P}/userinfo`, `${P}/logout`, `${P}/certs`, '/realms/demo', '/realms/demo/.well-known/openid-configuration', `${P}/login-status-iframe.html/init`, '/realms/demo/account', '/admin/realms/demo/keys', '/realms/demo/device'];

const jwtish = fc.oneof(
  fc.string(),
  fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map(([a, b, c]) => `${a}.${b}.${c}`),
  fc.tuple(fc.json(), fc.json()).map(([h, p]) => `${Buffer.from(h).toString('base64url')}.${Buffer.from(p).toString('base64url')}.AAAA`),
);
const formValue = fc.oneof(fc.string({ maxLength: 200 }), jwtish, fc.constantFrom('client_credentials', 'password', 'refresh_token', 'authorization_code', 'demo-service', 'alice'));
const formKey = fc.oneof(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'username', 'password', 'refresh_token', 'code', 'redirect_uri', 'code_verifier', 'token', 'token_type_hint', 'scope', 'id_token_hint', 'response_type', 'prompt'), fc.string({ maxLength: 20 }));
const form = fc.dictionary(formKey, formValue, { maxKeys: 8 });
const headerValue = fc.oneof(jwtish.map((j) => `Bearer ${j}`), fc.string({ maxLength: 100 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`), fc.constantFrom('Basic', 'Bearer', 'Basic %%%', 'Bearer '));

function checkResponse(status: number, body: string) {
  expect(status, body.slice(0, 300)).toBeLessThan(500);
  expect(body).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('bad input never crashes and never answers 5xx', () => {
  it('form bodies, with and without Authorization headers', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...FORM_ENDPOINTS), form, fc.option(headerValue), async (endpoint, body, authorization) => {
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
      if (authorization) headers.authorization = authorization;
      const res = await fetch(`${server.baseUrl}${endpoint}`, { method: 'POST', headers, body: new URLSearchParams(body as Record<string, string>), redirect: 'manual' });
      checkResponse(res.status, await res.text());
    }), { numRuns: 150 });
  });

  it('query strings and headers on GET endpoints', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...GET_ENDPOINTS), form, fc.option(headerValue), async (endpoint, query, authorization) => {
      const headers: Record<string, string> = {};
      if (authorization) headers.authorization = authorization;
      const res = await fetch(`${server.baseUrl}${endpoint}?${new URLSearchParams(query as Record<string, string>)}`, { headers, redirect: 'manual' });
      checkResponse(res.status, await res.text());
    }), { numRuns: 150, examples: [['/admin/realms/demo/keys', {}, 'Bearer e30.bnVsbA.AAAA']] }); // once a 500: a JWT whose payload is JSON null
  });

  it('raw bodies: broken encodings, wrong content types, JSON where forms go and the reverse', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...FORM_ENDPOINTS, '/admin/realms', '/admin/realms/demo/clients'), fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x'),
      fc.oneof(fc.string(), fc.json(), fc.constant('%E0%A4%A'), fc.constant('{"a":'), fc.constant('a=%zz&b=1')), async (endpoint, type, raw) => {
        const res = await fetch(`${server.baseUrl}${endpoint}`, { method: 'POST', headers: { 'content-type': type }, body: raw, redirect: 'manual' });
        checkResponse(res.status, await res.text());
      }), { numRuns: 120 });
  });

  it('oversized bodies are refused with a 4xx', async () => {
    const big = 'a='.concat('x'.repeat(200_000));
    for (const endpoint of [`${P}/token`, `${P}/token/introspect`, '/admin/realms']) {
      const res = await fetch(`${server.baseUrl}${endpoint}`, { method: 'POST', headers: { 'content-type': endpoint.startsWith('/admin') ? 'application/json' : 'application/x-www-form-urlencoded' }, body: big });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    // Still serving.
    expect((await fetch(`${server.baseUrl}/realms/demo`)).status).toBe(200);
  });
});

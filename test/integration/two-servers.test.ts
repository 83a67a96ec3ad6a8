/**
 * Two servers in one process share nothing (issue 16, "one composition root"): each has its own
 * Services (src/services.ts): metrics registry, event writer, ML-DSA signing threads and back
 * ends. A token on one counts on its /metrics only, its CLIENT_LOGIN event is written by its own
 * writer to its own store, and closing one (which stops its signing threads and flushes its
 * events) leaves the other serving and signing ML-DSA-65 on its threads.
 */
import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.ts';
import { sampleSum } from '../helpers/metrics.ts';

const REALM = {
  realm: 'twin',
  defaultSignatureAlgorithm: 'ML-DSA-65',
  eventsEnabled: true,
  clients: [
    {
      clientId: 'svc',
      secret: 'svc-secret',
      publicClient: false,
      standardFlowEnabled: false,
      serviceAccountsEnabled: true,
    },
  ],
};

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  const env = { SIGNING_THREADS: '1' };
  [a, b] = await Promise.all([
    startServer({ realms: [REALM], env }),
    startServer({ realms: [REALM], env }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.allSettled([a?.close(), b?.close()]);
});

const tokenFrom = async (server: TestServer): Promise<string> => {
  const response = await fetch(`${server.baseUrl}/realms/twin/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'svc',
      client_secret: 'svc-secret',
    }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
};
const metricsOf = async (server: TestServer) => (await fetch(`${server.baseUrl}/metrics`)).text();
const accessTokens = (text: string) =>
  sampleSum(text, 'qsign_tokens_issued_total', { realm: 'twin', type: 'access' });
const clientLogins = async (server: TestServer) =>
  Number(
    (
      await server.db.query<{ n: string }>(
        "SELECT count(*) AS n FROM events WHERE kind = 'login' AND type = 'CLIENT_LOGIN'",
      )
    )[0].n,
  );

/** Checks `token` is ML-DSA-65 and verifies against the server's JWKS. */
async function expectMlDsaSigned(server: TestServer, token: string): Promise<void> {
  const [header, payload, signature] = token.split('.');
  const { alg, kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as {
    alg: string;
    kid: string;
  };
  expect(alg).toBe('ML-DSA-65');
  const jwks = (await (
    await fetch(`${server.baseUrl}/realms/twin/protocol/openid-connect/certs`)
  ).json()) as { keys: { kid: string }[] };
  const jwk = jwks.keys.find((k) => k.kid === kid);
  expect(jwk).toBeDefined();
  const key = createPublicKey({ key: jwk, format: 'jwk' } as never);
  expect(
    verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')),
  ).toBe(true);
}

describe('two servers in one process', () => {
  it('have their own Services', () => {
    expect(a.services).not.toBe(b.services);
    for (const name of ['metrics', 'events', 'signingThreads', 'backends'] as const)
      expect(a.services[name], name).not.toBe(b.services[name]);
  });

  it('count a token only on the /metrics of the server that issued it', async () => {
    const [beforeA, beforeB] = await Promise.all([metricsOf(a), metricsOf(b)]);
    await tokenFrom(a);
    const [afterA, afterB] = await Promise.all([metricsOf(a), metricsOf(b)]);
    expect(accessTokens(afterA) - accessTokens(beforeA)).toBe(1);
    expect(accessTokens(afterB) - accessTokens(beforeB)).toBe(0);
    // Each runs its own signing thread.
    expect(sampleSum(afterA, 'qsign_signing_threads')).toBe(1);
    expect(sampleSum(afterB, 'qsign_signing_threads')).toBe(1);
  });

  it("queue events apart: one server's CLIENT_LOGIN is written by its own writer only", async () => {
    const [beforeA, beforeB] = await Promise.all([clientLogins(a), clientLogins(b)]);
    await tokenFrom(a);
    await a.services.events.flush();
    await b.services.events.flush();
    expect(await clientLogins(a)).toBe(beforeA + 1);
    expect(await clientLogins(b)).toBe(beforeB);
  });

  it('closing one leaves the other serving and signing ML-DSA-65 on its threads', async () => {
    await expectMlDsaSigned(b, await tokenFrom(b));
    await a.close();
    expect(a.services.signingThreads.running).toBe(0);
    const before = await clientLogins(b);
    const token = await tokenFrom(b);
    await expectMlDsaSigned(b, token);
    expect(b.services.signingThreads.running).toBe(1);
    expect(sampleSum(await metricsOf(b), 'qsign_signing_threads')).toBe(1);
    await b.services.events.flush();
    expect(await clientLogins(b)).toBe(before + 1);
  });
});

/**
 * A realm whose defaultSignatureAlgorithm is DILITHIUM3 (Keycloak's RealmRepresentation field; no
 * key provider component, so the server makes the realm's local DILITHIUM3 key itself, as for any
 * default alg: src/keys/realm-keys.ts plannedKeyAlgs) signs its tokens with CRYSTALS-Dilithium
 * round 3, and a verifier written here exactly as the QSIGN API server verifies accepts them.
 *
 * The QSIGN API server's verification (the seeds, /work/shared/ARCHITECTURE.md, sequence diagrams
 * 5.1 and 5.2): fetch the realm's JWKS (`/certs`), find the key by the token header's kid, take a
 * `{"kty":"OQS","alg":"DILITHIUM3","x"}` key, base64url-decode `x` (1,952-byte public key) and the
 * signature (3,293 bytes), and verify with liboqs OQS_SIG_verify("Dilithium3") over the JWS signing
 * input, no pre-hash, no context. Here the round-3 verify is the independent pure-JavaScript
 * implementation (`noble-pq-v01` = @noble/post-quantum 0.1.0, `dilithium_v31.dilithium3`, the
 * round-3 specification 3.1), not ours (src/jose/dilithium3.ts, pqclean).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dilithium_v31 } from 'noble-pq-v01/ml-dsa';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let issuer: string;

beforeAll(async () => {
  const realm = {
    realm: 'qsign',
    defaultSignatureAlgorithm: 'DILITHIUM3',
    clients: [
      {
        clientId: 'api-caller',
        secret: 's',
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
      },
      { clientId: 'app', secret: 's', directAccessGrantsEnabled: true, standardFlowEnabled: false },
    ],
    users: [
      {
        username: 'alice',
        email: 'alice@example.com',
        firstName: 'Alice',
        lastName: 'Liddell',
        credentials: [{ value: 'alice' }],
      },
    ],
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qsign-verifier-')), 'qsign.json');
  writeFileSync(file, JSON.stringify(realm));
  server = await startServer({ realmFiles: [file] });
  issuer = `${server.baseUrl}/realms/qsign`;
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const tokens = async (clientId: string, body: Record<string, string>) => {
  const res = await fetch(`${issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:s`).toString('base64')}`,
    },
    body: new URLSearchParams(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, string>;
};

type Verdict = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string };

/** The QSIGN API server's verification, step by step (see the file's comment). */
async function qsignVerify(token: string): Promise<Verdict> {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'not a compact JWS' };
  const [h, p, s] = parts;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as {
    alg?: string;
    kid?: string;
  };
  if (header.alg !== 'DILITHIUM3') return { ok: false, reason: `alg ${header.alg}` };
  const { keys } = (await (await fetch(`${issuer}/protocol/openid-connect/certs`)).json()) as {
    keys: { kid: string; kty: string; alg?: string; x?: string }[];
  };
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk || jwk.kty !== 'OQS' || jwk.alg !== 'DILITHIUM3' || !jwk.x)
    return { ok: false, reason: 'kid not found' };
  const publicKey = Buffer.from(jwk.x, 'base64url');
  const signature = Buffer.from(s, 'base64url');
  if (publicKey.length !== 1952)
    return { ok: false, reason: `public key ${publicKey.length} bytes` };
  if (signature.length !== 3293)
    return { ok: false, reason: `signature ${signature.length} bytes` };
  if (!dilithium_v31.dilithium3.verify(publicKey, Buffer.from(`${h}.${p}`, 'ascii'), signature))
    return { ok: false, reason: 'bad signature' };
  return {
    ok: true,
    claims: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

describe('a realm with defaultSignatureAlgorithm DILITHIUM3, verified as the QSIGN API server does', () => {
  it("publishes one local DILITHIUM3 key in QSIGN's JWK form, and discovery names DILITHIUM3", async () => {
    const { keys } = (await (await fetch(`${issuer}/protocol/openid-connect/certs`)).json()) as {
      keys: Record<string, string>[];
    };
    const oqs = keys.filter((k) => k.alg === 'DILITHIUM3');
    expect(oqs).toHaveLength(1);
    expect(Object.keys(oqs[0]).sort()).toEqual(['alg', 'kid', 'kty', 'use', 'x']);
    expect(oqs[0]).toMatchObject({ kty: 'OQS', use: 'sig' });
    expect(Buffer.from(oqs[0].x, 'base64url')).toHaveLength(1952);
    const discovery = (await (
      await fetch(`${issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string[]>;
    expect(discovery.id_token_signing_alg_values_supported).toContain('DILITHIUM3');
    // The key is the realm's own, held locally (sealed in the database), not in Vault or on a PKCS#11 token.
    const rows = await server.db.query<{ kid: string; backend: string; status: string }>(
      "SELECT k.kid, k.backend, k.status FROM keys k JOIN realms r ON r.id = k.realm_id WHERE r.name = 'qsign' AND k.alg = 'DILITHIUM3'",
    );
    expect(rows).toEqual([{ kid: oqs[0].kid, backend: 'local', status: 'ACTIVE' }]);
  });

  it('accepts the client_credentials access token: alg DILITHIUM3, 3,293-byte round-3 signature', async () => {
    const { access_token: token } = await tokens('api-caller', {
      grant_type: 'client_credentials',
    });
    const verdict = await qsignVerify(token);
    expect(verdict).toMatchObject({ ok: true, claims: { iss: issuer, azp: 'api-caller' } });
  });

  it("accepts the password grant's access and id tokens", async () => {
    const res = await tokens('app', {
      grant_type: 'password',
      username: 'alice',
      password: 'alice',
      scope: 'openid',
    });
    expect(await qsignVerify(res.access_token)).toMatchObject({
      ok: true,
      claims: { iss: issuer, preferred_username: 'alice' },
    });
    expect(await qsignVerify(res.id_token)).toMatchObject({
      ok: true,
      claims: { iss: issuer, aud: 'app', email: 'alice@example.com' },
    });
  });

  it('refuses a token whose payload was changed, and one whose signature was changed', async () => {
    const { access_token: token } = await tokens('api-caller', {
      grant_type: 'client_credentials',
    });
    const [h, p, s] = token.split('.');
    const payload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(p, 'base64url').toString()),
        azp: 'someone-else',
      }),
    ).toString('base64url');
    expect(await qsignVerify(`${h}.${payload}.${s}`)).toEqual({
      ok: false,
      reason: 'bad signature',
    });
    const sig = Buffer.from(s, 'base64url');
    sig[100] ^= 1;
    expect(await qsignVerify(`${h}.${p}.${sig.toString('base64url')}`)).toEqual({
      ok: false,
      reason: 'bad signature',
    });
  });
});

/**
 * Every algorithm of ARCHITECTURE.md section 3 signs every token type through the provider:
 * access token, id token (with at_hash), signed userinfo, signed introspection, back-channel
 * logout token, and verifies `id_token_hint` at logout. Signatures are checked with other
 * implementations: node:crypto and @noble/post-quantum for ML-DSA, @noble/post-quantum 0.1.0's
 * round-3 `dilithium_v31` for DILITHIUM3 (CRYSTALS-Dilithium round 3, as the QSIGN system signs
 * with liboqs), stock jose for ML-DSA-65, and an independent re-computation of the composite
 * construction (test/helpers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  importJWK,
  compactVerify,
} from 'jose';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { dilithium_v31 } from 'noble-pq-v01/ml-dsa';
import { asJson, type Json } from '../helpers/json.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { referenceCompositeVerify } from '../helpers/composite-reference.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';

const REDIRECT = 'http://localhost:5000/cb';

const PURE = ['ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87', 'DILITHIUM3'];
// DILITHIUM3-RS256 / -PS256 are withdrawn (jose/composite.ts, docs/algorithms.md).
const COMPOSITES = ['ML-DSA-65-RS256', 'ML-DSA-65-PS256', 'ML-DSA-65-ES256'];
const ALGS = [...PURE, ...COMPOSITES];
const NOBLE = { 'ML-DSA-44': ml_dsa44, 'ML-DSA-65': ml_dsa65, 'ML-DSA-87': ml_dsa87 } as const;
/** at_hash digest per alg (the hash chosen in README, "Algorithms"). */
const AT_HASH = (alg: string, token: string) => {
  const digest = PURE.includes(alg)
    ? createHash('shake256', { outputLength: 64 }).update(token).digest()
    : createHash('sha512').update(token).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
};

let server: TestServer;
let issuer: string;
let jwks: Json[];
const logoutTokens: string[] = [];
let receiver: http.Server;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const logoutUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/backchannel`;
  const realm = {
    realm: 'pq',
    components: {
      'org.keycloak.keys.KeyProvider': ALGS.filter((a) => a !== 'ML-DSA-65').map((alg) => ({
        name: `${alg}-generated`,
        providerId: PURE.includes(alg) ? 'ml-dsa-generated' : 'composite-generated',
        config: { algorithm: [alg], priority: ['100'] },
      })),
    },
    clients: ALGS.map((alg) => ({
      clientId: `c-${alg}`,
      secret: 's',
      serviceAccountsEnabled: true,
      directAccessGrantsEnabled: true,
      redirectUris: ['http://localhost:5000/*'],
      attributes: {
        'access.token.signed.response.alg': alg,
        'id.token.signed.response.alg': alg,
        'user.info.response.signature.alg': alg,
        'introspection.signed.response.alg': alg,
        'post.logout.redirect.uris': '+',
        'backchannel.logout.url': logoutUrl,
      },
    })),
    users: [{ username: 'alice', email: 'alice@example.com', credentials: [{ value: 'alice' }] }],
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qsign-pq-')), 'pq.json');
  writeFileSync(file, JSON.stringify(realm));
  server = await startServer({ realmFiles: [file] });
  issuer = `${server.baseUrl}/realms/pq`;
  jwks = (await (await fetch(`${issuer}/protocol/openid-connect/certs`)).json().then(asJson)).keys;
}, 120_000);
afterAll(async () => {
  await server?.close();
  receiver?.close();
});

const form = (
  url: string,
  body: Record<string, string>,
  alg: string,
  accept = 'application/json',
) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`c-${alg}:s`).toString('base64')}`,
      accept,
    },
    body: new URLSearchParams(body),
  });

function keyFor(token: string, alg: string): Json {
  const header = decodeProtectedHeader(token);
  expect(header.alg).toBe(alg);
  const key = jwks.find((k) => k.kid === header.kid);
  expect(key).toBeDefined();
  return key;
}

/** Checks a token's signature with implementations other than ours. */
async function crossVerify(token: string, alg: string) {
  const jwk = keyFor(token, alg);
  const [h, p, s] = token.split('.');
  const input = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  if (alg === 'DILITHIUM3') {
    expect(signature).toHaveLength(3293);
    expect(dilithium_v31.dilithium3.verify(Buffer.from(jwk.x, 'base64url'), input, signature)).toBe(
      true,
    );
  } else if (PURE.includes(alg)) {
    const raw = Buffer.from(jwk.pub, 'base64url');
    expect(NOBLE[alg as keyof typeof NOBLE].verify(signature, input, raw)).toBe(true);
    const nodeKey = createPublicKey({
      key: { kty: 'AKP', alg, pub: raw.toString('base64url') },
      format: 'jwk',
    } as never);
    expect(nodeVerify(null, input, nodeKey, signature)).toBe(true);
  } else {
    expect(referenceCompositeVerify(alg, jwk, input, signature)).toEqual([true, true]);
  }
  return decodeJwt(token);
}

describe.each(ALGS)('%s', (alg) => {
  it('publishes its key in the documented JWK form', () => {
    const key = jwks.find((k) => k.alg === alg);
    if (alg === 'DILITHIUM3') {
      // QSIGN's JWKS form, nothing else: {"kty":"OQS","alg":"DILITHIUM3","use":"sig","kid","x"}.
      expect(Object.keys(key).sort()).toEqual(['alg', 'kid', 'kty', 'use', 'x']);
      expect(key).toMatchObject({
        kty: 'OQS',
        alg,
        use: 'sig',
        kid: expect.any(String),
        x: expect.any(String),
      });
      expect(Buffer.from(key.x, 'base64url')).toHaveLength(1952);
    } else {
      expect(key).toMatchObject({ kty: 'AKP', alg, use: 'sig', pub: expect.any(String) });
      const expected = {
        'ML-DSA-44': 1312,
        'ML-DSA-65': 1952,
        'ML-DSA-87': 2592,
        'ML-DSA-65-ES256': 1952 + 65,
      }[alg];
      if (expected) expect(Buffer.from(key.pub, 'base64url')).toHaveLength(expected);
    }
    expect(key.priv ?? key.d).toBeUndefined();
  });

  it('signs access tokens, id tokens (at_hash), userinfo and introspection responses', async () => {
    const cc = await (
      await form(
        `${issuer}/protocol/openid-connect/token`,
        { grant_type: 'client_credentials' },
        alg,
      )
    )
      .json()
      .then(asJson);
    expect(cc.access_token, JSON.stringify(cc)).toBeDefined();
    expect(await crossVerify(cc.access_token, alg)).toMatchObject({
      azp: `c-${alg}`,
      typ: 'Bearer',
      iss: issuer,
    });

    const pw = await (
      await form(
        `${issuer}/protocol/openid-connect/token`,
        { grant_type: 'password', username: 'alice', password: 'alice', scope: 'openid' },
        alg,
      )
    )
      .json()
      .then(asJson);
    await crossVerify(pw.access_token, alg);
    const id = await crossVerify(pw.id_token, alg);
    expect(id).toMatchObject({
      typ: 'ID',
      aud: `c-${alg}`,
      preferred_username: 'alice',
      at_hash: AT_HASH(alg, pw.access_token),
    });

    const userinfo = await fetch(`${issuer}/protocol/openid-connect/userinfo`, {
      headers: { authorization: `Bearer ${pw.access_token}` },
    });
    expect(userinfo.headers.get('content-type')).toContain('application/jwt');
    expect(await crossVerify(await userinfo.text(), alg)).toMatchObject({
      preferred_username: 'alice',
      aud: `c-${alg}`,
    });

    const introspection = await form(
      `${issuer}/protocol/openid-connect/token/introspect`,
      { token: pw.access_token },
      alg,
      'application/token-introspection+jwt',
    );
    const introspected = await crossVerify(await introspection.text(), alg);
    expect(introspected.token_introspection).toMatchObject({
      active: true,
      preferred_username: 'alice',
    });
  });

  it('verifies id_token_hint at logout and sends a signed back-channel logout token', async () => {
    // A browser session through the code flow, so that logout has a session to end.
    const browser = new TestBrowser();
    const auth = `${issuer}/protocol/openid-connect/auth?client_id=c-${alg}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}&state=x`;
    const done = await signIn(browser, auth, server.baseUrl, 'alice', 'alice');
    const code = new URL(done.url).searchParams.get('code')!;
    const tokens = await (
      await form(
        `${issuer}/protocol/openid-connect/token`,
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
        alg,
      )
    )
      .json()
      .then(asJson);
    await crossVerify(tokens.id_token, alg);

    const logout = `${issuer}/protocol/openid-connect/logout?client_id=c-${alg}&post_logout_redirect_uri=${encodeURIComponent('http://localhost:5000/')}`;
    const [h, p, s] = tokens.id_token.split('.');
    const flipped = Buffer.from(s, 'base64url');
    flipped[flipped.length - 5] ^= 1;
    const bad = await browser.fetch(
      `${logout}&id_token_hint=${h}.${p}.${flipped.toString('base64url')}`,
    );
    expect(bad.status).toBe(400);

    const confirm = await browser.fetch(`${logout}&id_token_hint=${tokens.id_token}`);
    const page = await confirm.text();
    expect(confirm.status, page).toBe(200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)![1];
    const before = logoutTokens.length;
    const out = await browser.fetch(`${issuer}/protocol/openid-connect/logout/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    expect(out.status).toBe(303);
    for (let i = 0; i < 50 && logoutTokens.length === before; i += 1)
      await new Promise((r) => setTimeout(r, 20));
    const logoutToken = logoutTokens.at(-1)!;
    expect(decodeProtectedHeader(logoutToken).typ).toBe('logout+jwt');
    expect(await crossVerify(logoutToken, alg)).toMatchObject({
      aud: `c-${alg}`,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    });
  });
});

/**
 * The QSIGN API server's verification, written out as it does it (the seeds' sequence diagram):
 * fetch the JWKS, find the key by the token's kid, base64url-decode `x` and the signature, and
 * verify the signature over the JWS signing input with round-3 Dilithium3 (liboqs
 * OQS_SIG_verify("Dilithium3"); here the independent round-3 implementation), no pre-hash.
 */
async function qsignVerify(token: string): Promise<boolean> {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string };
  if (header.alg !== 'DILITHIUM3') return false;
  const { keys } = (await (await fetch(`${issuer}/protocol/openid-connect/certs`)).json()) as {
    keys: { kid: string; kty: string; x?: string }[];
  };
  const key = keys.find((k) => k.kid === header.kid && k.kty === 'OQS');
  if (!key?.x) return false;
  const publicKey = Buffer.from(key.x, 'base64url');
  const signature = Buffer.from(s, 'base64url');
  if (publicKey.length !== 1952 || signature.length !== 3293) return false;
  return dilithium_v31.dilithium3.verify(publicKey, Buffer.from(`${h}.${p}`, 'ascii'), signature);
}

describe('a QSIGN API server verifies our DILITHIUM3 tokens', () => {
  it('accepts an access token of a realm with a DILITHIUM3 key: 3,293-byte round-3 signature', async () => {
    const cc = await (
      await form(
        `${issuer}/protocol/openid-connect/token`,
        { grant_type: 'client_credentials' },
        'DILITHIUM3',
      )
    )
      .json()
      .then(asJson);
    const [, , s] = cc.access_token.split('.');
    expect(Buffer.from(s, 'base64url')).toHaveLength(3293);
    expect(await qsignVerify(cc.access_token)).toBe(true);
    const [h, p] = cc.access_token.split('.');
    const changed = `${p.slice(0, -1)}${p.endsWith('A') ? 'B' : 'A'}`;
    expect(await qsignVerify(`${h}.${changed}.${s}`)).toBe(false);
  });

  it('refuses an ML-DSA-65 token presented under the DILITHIUM3 key', async () => {
    const dil = await (
      await form(
        `${issuer}/protocol/openid-connect/token`,
        { grant_type: 'client_credentials' },
        'DILITHIUM3',
      )
    )
      .json()
      .then(asJson);
    const ml = await (
      await form(
        `${issuer}/protocol/openid-connect/token`,
        { grant_type: 'client_credentials' },
        'ML-DSA-65',
      )
    )
      .json()
      .then(asJson);
    const kid = decodeProtectedHeader(dil.access_token).kid;
    const [, p, s] = ml.access_token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'DILITHIUM3', kid, typ: 'JWT' })).toString(
      'base64url',
    );
    expect(Buffer.from(s, 'base64url')).toHaveLength(3309);
    expect(await qsignVerify(`${header}.${p}.${s}`)).toBe(false);
  });
});

describe('discovery and stock jose', () => {
  it('lists exactly the algorithms the realm has active keys for', async () => {
    const discovery = await (
      await fetch(`${issuer}/.well-known/openid-configuration`)
    )
      .json()
      .then(asJson);
    const expected = [...ALGS, 'RS256'].sort();
    expect([...discovery.id_token_signing_alg_values_supported].sort()).toEqual(expected);
    expect([...discovery.userinfo_signing_alg_values_supported].sort()).toEqual(expected);
  });

  it('stock jose verifies ML-DSA-65 tokens through the AKP key', async () => {
    const cc = await (
      await form(
        `${issuer}/protocol/openid-connect/token`,
        { grant_type: 'client_credentials' },
        'ML-DSA-65',
      )
    )
      .json()
      .then(asJson);
    const { payload } = await jwtVerify(
      cc.access_token,
      createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`)),
      { issuer, algorithms: ['ML-DSA-65'] },
    );
    expect(payload.azp).toBe('c-ML-DSA-65');
    const key = await importJWK(keyFor(cc.access_token, 'ML-DSA-65'));
    await expect(compactVerify(cc.access_token, key)).resolves.toBeDefined();
  });
});

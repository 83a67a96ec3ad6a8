/**
 * `npm start -- verify TOKEN --jwks URL` (src/main.ts) with the verifier's strictness for every
 * alg: a round-3 DILITHIUM3 token verifies; a 3,309-byte ML-DSA-65 signature presented as
 * DILITHIUM3 and a 3,293-byte round-3 one presented as ML-DSA-65 are rejected naming the family;
 * `==` padding is refused for DILITHIUM3 as for RS256.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { LocalSigner } from '../../src/signer/local.ts';
import { generateKey } from '../../src/keys/generate.ts';
import { signJws } from '../../src/signer/jws.ts';
import { REPO } from '../helpers/server.ts';

const run = promisify(execFile);
const signers: Record<string, LocalSigner> = {};
let jwksServer: http.Server;
let jwksUri = '';
const claims = () => ({
  iss: 'https://issuer.example',
  sub: 'u1',
  exp: Math.floor(Date.now() / 1000) + 60,
});

beforeAll(async () => {
  for (const alg of ['DILITHIUM3', 'ML-DSA-65', 'RS256'])
    signers[alg] = new LocalSigner(`kid-${alg}`, alg, (await generateKey(alg)).privateKey);
  const body = JSON.stringify({ keys: Object.values(signers).map((s) => s.publicJwk()) });
  jwksServer = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(body);
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/certs`;
});
afterAll(() => {
  jwksServer?.close();
});

/** The CLI's stdout and exit code. */
async function cli(token: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      ['src/main.ts', 'verify', token, '--jwks', jwksUri],
      { cwd: REPO, env: { ...process.env, LOG_LEVEL: 'silent' } },
    );
    return { code: 0, out: stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}
const crossSigned = async (alg: string, signer: LocalSigner) => {
  const h = Buffer.from(JSON.stringify({ alg, typ: 'JWT', kid: `kid-${alg}` })).toString(
    'base64url',
  );
  const p = Buffer.from(JSON.stringify(claims())).toString('base64url');
  return `${h}.${p}.${Buffer.from(await signer.sign(Buffer.from(`${h}.${p}`))).toString('base64url')}`;
};

describe('npm start -- verify', () => {
  it('verifies a round-3 DILITHIUM3 token', async () => {
    const result = await cli(await signJws(signers.DILITHIUM3, claims()));
    expect(result.out).toContain('verified claims');
    expect(result.code).toBe(0);
  });

  it('names an ML-DSA-65 signature under DILITHIUM3 and a DILITHIUM3 (round 3) one under ML-DSA-65', async () => {
    const mlDsaAsD3 = await cli(await crossSigned('DILITHIUM3', signers['ML-DSA-65']));
    expect(mlDsaAsD3.code).toBe(1);
    expect(mlDsaAsD3.out).toContain(
      'rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED: ML-DSA-65 signature under DILITHIUM3: 3309 bytes',
    );
    const d3AsMlDsa = await cli(await crossSigned('ML-DSA-65', signers.DILITHIUM3));
    expect(d3AsMlDsa.code).toBe(1);
    expect(d3AsMlDsa.out).toContain(
      'rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED: DILITHIUM3 (round 3) signature under ML-DSA-65: 3293 bytes',
    );
  });

  it('refuses "==" padding on the signature for DILITHIUM3 as for RS256 (RFC 7515 §2)', async () => {
    for (const alg of ['DILITHIUM3', 'RS256']) {
      const token = await signJws(signers[alg], claims());
      const result = await cli(`${token}==`);
      expect(result.code).toBe(1);
      expect(result.out).toContain('rejected: ERR_JWS_INVALID: the signature is not base64url');
    }
  });
});

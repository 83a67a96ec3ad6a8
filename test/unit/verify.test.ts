/**
 * The resource-server verifier (`qsign-oidc/verify`) and the attacks it must refuse, each with
 * its reason: altered composite halves, a half from another key, the RSA half alone as RS256,
 * a changed or `none` alg, a kid of another alg, truncation, an OQS key for an AKP alg, and JWKS
 * entries with wrong-size keys.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { JWK } from 'jose';
import {
  verifyToken,
  createLocalJWKSet,
  createRemoteJWKSet,
  koaBearer,
  TokenVerificationError,
} from 'qsign-oidc/verify';
import { LocalSigner } from '../../src/signer/local.ts';
import { generateKey } from '../../src/keys/generate.ts';
import { signJws } from '../../src/signer/jws.ts';

const ALGS = [
  'ML-DSA-44',
  'ML-DSA-65',
  'ML-DSA-87',
  'DILITHIUM3',
  'ML-DSA-65-RS256',
  'ML-DSA-65-PS256',
  'ML-DSA-65-ES256',
  'RS256',
  'ES256',
  'PS256',
  'EdDSA',
];
const signers: Record<string, LocalSigner> = {};
const other: Record<string, LocalSigner> = {};
let jwks: { keys: JWK[] };
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: 'https://issuer.example',
  aud: 'api',
  sub: 'u1',
  typ: 'Bearer',
  exp: now() + 60,
  iat: now(),
  ...extra,
});

beforeAll(async () => {
  for (const alg of ALGS) {
    const key = await generateKey(alg);
    signers[alg] = new LocalSigner(`kid-${alg}`, alg, key.privateKey);
    const second = await generateKey(alg);
    other[alg] = new LocalSigner(`other-${alg}`, alg, second.privateKey);
  }
  jwks = { keys: [...Object.values(signers), ...Object.values(other)].map((s) => s.publicJwk()!) };
});

const parts = (token: string) => token.split('.') as [string, string, string];
const withHeader = (token: string, fields: Record<string, unknown>) => {
  const [h, p, s] = parts(token);
  const header = { ...JSON.parse(Buffer.from(h, 'base64url').toString()), ...fields };
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${s}`;
};
async function rejection(token: string, algorithms: string[], keys = createLocalJWKSet(jwks)) {
  try {
    await verifyToken(token, keys, {
      algorithms,
      issuer: 'https://issuer.example',
      audience: 'api',
    });
  } catch (err) {
    expect(err).toBeInstanceOf(TokenVerificationError);
    return `${(err as TokenVerificationError).code}: ${(err as Error).message}`;
  }
  throw new Error('expected the token to be rejected');
}

describe.each(ALGS)('%s', (alg) => {
  it('verifies a valid token with its claims', async () => {
    const token = await signJws(signers[alg], claims());
    const { payload, protectedHeader } = await verifyToken(token, createLocalJWKSet(jwks), {
      algorithms: [alg],
      issuer: 'https://issuer.example',
      audience: 'api',
      tokenType: 'Bearer',
    });
    expect(payload.sub).toBe('u1');
    expect(protectedHeader.alg).toBe(alg);
  });

  it('rejects a flipped bit, a truncated signature and an alg outside the allow-list', async () => {
    const token = await signJws(signers[alg], claims());
    const [h, p, s] = parts(token);
    const sig = Buffer.from(s, 'base64url');
    sig[sig.length >> 1] ^= 0x10;
    expect(await rejection(`${h}.${p}.${sig.toString('base64url')}`, [alg])).toMatch(
      /^ERR_JWS_SIGNATURE_VERIFICATION_FAILED/,
    );
    // Truncated by 30 bytes, spelled canonically (a cut in the text may leave unused bits set: refused earlier, as ERR_JWS_INVALID).
    expect(
      await rejection(
        `${h}.${p}.${Buffer.from(s, 'base64url').subarray(0, -30).toString('base64url')}`,
        [alg],
      ),
    ).toMatch(/^ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    expect(await rejection(token, ['RS384'])).toMatch(/^ERR_JOSE_ALG_NOT_ALLOWED/);
  });
});

describe('attacks on composites', () => {
  for (const alg of ['ML-DSA-65-RS256', 'ML-DSA-65-PS256', 'ML-DSA-65-ES256']) {
    it(`${alg}: a bit flipped in either half is named`, async () => {
      const token = await signJws(signers[alg], claims());
      const [h, p, s] = parts(token);
      const first = Buffer.from(s, 'base64url');
      first[10] ^= 1;
      expect(await rejection(`${h}.${p}.${first.toString('base64url')}`, [alg])).toContain(
        'the ML-DSA half of the composite signature is invalid',
      );
      const second = Buffer.from(s, 'base64url');
      second[second.length - 8] ^= 1;
      expect(await rejection(`${h}.${p}.${second.toString('base64url')}`, [alg])).toContain(
        'the traditional half of the composite signature is invalid',
      );
    });

    it(`${alg}: a half replaced by a valid signature from another key is refused`, async () => {
      const token = await signJws(signers[alg], claims());
      const [h, p, s] = parts(token);
      const forged = Buffer.from(await other[alg].sign(Buffer.from(`${h}.${p}`)));
      const mine = Buffer.from(s, 'base64url');
      const mixed = Buffer.concat([forged.subarray(0, 3309), mine.subarray(3309)]);
      expect(await rejection(`${h}.${p}.${mixed.toString('base64url')}`, [alg])).toContain(
        'the ML-DSA half of the composite signature is invalid',
      );
      const mixed2 = Buffer.concat([mine.subarray(0, 3309), forged.subarray(3309)]);
      expect(await rejection(`${h}.${p}.${mixed2.toString('base64url')}`, [alg])).toContain(
        'the traditional half of the composite signature is invalid',
      );
    });
  }

  it('the RSA half alone, presented as RS256 with the same kid, is refused', async () => {
    for (const alg of ['ML-DSA-65-RS256', 'ML-DSA-65-PS256']) {
      const token = await signJws(signers[alg], claims());
      const [, p, s] = parts(token);
      const rsaHalf = Buffer.from(s, 'base64url').subarray(3309);
      const header = Buffer.from(
        JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: signers[alg].kid }),
      ).toString('base64url');
      expect(
        await rejection(`${header}.${p}.${rsaHalf.toString('base64url')}`, ['RS256', alg]),
      ).toMatch(/^ERR_JWK_INVALID: key kid-.* has kty (AKP|OQS), alg RS256 needs kty RSA/);
    }
  });
});

describe('header and key confusion', () => {
  it('alg changed in the header', async () => {
    const token = await signJws(signers['ML-DSA-65'], claims());
    expect(
      await rejection(withHeader(token, { alg: 'ML-DSA-44' }), ['ML-DSA-44', 'ML-DSA-65']),
    ).toMatch(/^ERR_JWK_INVALID: key kid-ML-DSA-65 is for alg ML-DSA-65, the token says ML-DSA-44/);
  });

  it('alg none, even when listed', async () => {
    const token = await signJws(signers['ML-DSA-65'], claims());
    const [, p] = parts(token);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    expect(await rejection(none, ['none', 'ML-DSA-65'])).toMatch(/^ERR_JOSE_ALG_NOT_ALLOWED/);
  });

  it('a kid that exists with another alg', async () => {
    const token = await signJws(signers['RS256'], claims());
    expect(
      await rejection(withHeader(token, { kid: signers['ML-DSA-65'].kid }), ['RS256', 'ML-DSA-65']),
    ).toMatch(/^ERR_JWK_INVALID: key kid-ML-DSA-65 has kty AKP, alg RS256 needs kty RSA/);
  });

  it('an OQS key (DILITHIUM3, same key size as ML-DSA-65) used for an AKP alg', async () => {
    const token = await signJws(signers.DILITHIUM3, claims());
    expect(
      await rejection(withHeader(token, { alg: 'ML-DSA-65' }), ['ML-DSA-65', 'DILITHIUM3']),
    ).toMatch(/^ERR_JWK_INVALID: key kid-DILITHIUM3 has kty OQS, alg ML-DSA-65 needs kty AKP/);
  });

  it('JWKS entries with a wrong-size x or pub', async () => {
    for (const alg of ['DILITHIUM3', 'ML-DSA-65', 'ML-DSA-65-ES256']) {
      const jwk = { ...signers[alg].publicJwk()! };
      const member = jwk.kty === 'OQS' ? 'x' : 'pub';
      jwk[member] = Buffer.from(jwk[member] as string, 'base64url')
        .subarray(1)
        .toString('base64url');
      const token = await signJws(signers[alg], claims());
      const reason = await rejection(token, [alg], createLocalJWKSet({ keys: [jwk] }));
      expect(reason).toMatch(/^ERR_JWK_INVALID/);
    }
  });

  it('claims: expired, wrong issuer, wrong audience, wrong typ; and algorithms are mandatory', async () => {
    const keys = createLocalJWKSet(jwks);
    const sign = (extra: Record<string, unknown>) => signJws(signers['ML-DSA-65'], claims(extra));
    expect(await rejection(await sign({ exp: now() - 5 }), ['ML-DSA-65'])).toMatch(
      /^ERR_JWT_EXPIRED/,
    );
    expect(await rejection(await sign({ iss: 'https://evil.example' }), ['ML-DSA-65'])).toMatch(
      /unexpected "iss"/,
    );
    expect(await rejection(await sign({ aud: 'other' }), ['ML-DSA-65'])).toMatch(
      /unexpected "aud"/,
    );
    await expect(
      verifyToken(await sign({ typ: 'Refresh' }), keys, {
        algorithms: ['ML-DSA-65'],
        tokenType: 'Bearer',
      }),
    ).rejects.toThrow(/unexpected "typ"/);
    await expect(verifyToken(await sign({}), keys, { algorithms: [] })).rejects.toThrow(TypeError);
  });
});

describe('remote JWKS and the Koa bearer middleware', () => {
  it('fetches once, refetches on an unknown kid after the cooldown, and protects a route', async () => {
    let fetches = 0;
    let served = { keys: [signers['ML-DSA-65'].publicJwk()!] };
    const jwksServer = http.createServer((_req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(served));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/certs`;
    const keys = createRemoteJWKSet(jwksUri, { cooldownDuration: 0 });

    const app = new Koa();
    app.use(
      koaBearer({
        keys,
        algorithms: ['ML-DSA-65'],
        issuer: 'https://issuer.example',
        audience: 'api',
      }),
    );
    app.use((ctx) => {
      ctx.body = { hello: (ctx.state.token as { sub: string }).sub };
    });
    const api = app.listen(0, '127.0.0.1');
    await new Promise((r) => api.once('listening', r));
    const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/`;

    const good = await signJws(signers['ML-DSA-65'], claims());
    expect(
      await (await fetch(url, { headers: { authorization: `Bearer ${good}` } })).json(),
    ).toEqual({ hello: 'u1' });
    await fetch(url, { headers: { authorization: `Bearer ${good}` } });
    expect(fetches).toBe(1);

    // A new key appears at the issuer: the unknown kid triggers one refetch.
    served = { keys: [signers['ML-DSA-65'].publicJwk()!, other['ML-DSA-65'].publicJwk()!] };
    const rotated = await signJws(other['ML-DSA-65'], claims());
    expect((await fetch(url, { headers: { authorization: `Bearer ${rotated}` } })).status).toBe(
      200,
    );
    expect(fetches).toBe(2);

    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="https://issuer.example"');
    const bad = await fetch(url, {
      headers: { authorization: `Bearer ${withHeader(good, { alg: 'RS256' })}` },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(
      /error="invalid_token", error_description="alg .*RS256.* is not allowed/,
    );
    api.close();
    jwksServer.close();
  });
});

/**
 * One spelling per token and RFC 7515 §4.1.11 `crit`, the same for every alg: the RS256 path
 * (jose) refused `!!`, `*` and unknown crit entries while DILITHIUM3 and the composites took
 * them, and jose itself takes `==` padding and set trailing bits.
 */
describe('encoding and crit, the same for every alg', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  /** A token whose signature covers exactly the given encoded header and payload. */
  const signRaw = async (alg: string, h: string, p: string) =>
    `${h}.${p}.${Buffer.from(await signers[alg].sign(Buffer.from(`${h}.${p}`))).toString('base64url')}`;
  const headerOf = (alg: string, extra: Record<string, unknown> = {}) =>
    b64({ alg, typ: 'JWT', kid: signers[alg].kid, ...extra });
  /** The same bytes, spelled with the unused low bits of the last character set (when the length leaves any). */
  const trailingBits = (part: string) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    if (part.length % 4 === 0) return undefined;
    return `${part.slice(0, -1)}${alphabet[alphabet.indexOf(part.at(-1)!) | 1]}`;
  };

  it.each(ALGS)(
    '%s: a signature with "==", "!!", "*" or set trailing bits is refused',
    async (alg) => {
      const token = await signJws(signers[alg], claims());
      const [h, p, s] = parts(token);
      for (const spelled of [
        `${s}==`,
        `${s.slice(0, 20)}!!${s.slice(20)}`,
        `${s.slice(0, 20)}*${s.slice(20)}`,
        trailingBits(s),
      ].filter(Boolean)) {
        expect(await rejection(`${h}.${p}.${spelled}`, [alg])).toMatch(
          /^ERR_JWS_INVALID: the signature is not (canonical )?base64url/,
        );
      }
    },
  );

  it.each(ALGS)(
    '%s: a validly signed header or payload spelled with padding or trailing bits is refused',
    async (alg) => {
      const h = headerOf(alg);
      const p = b64(claims());
      const variants: [string, string, RegExp][] = [
        [`${h}==`, p, /header is not base64url/],
        [h, `${p}==`, /payload is not base64url/],
      ];
      if (trailingBits(p))
        variants.push([h, trailingBits(p)!, /payload is not canonical base64url/]);
      if (trailingBits(h))
        variants.push([trailingBits(h)!, p, /header is not canonical base64url/]);
      for (const [header, payload, reason] of variants) {
        expect(await rejection(await signRaw(alg, header, payload), [alg])).toMatch(reason);
      }
    },
  );

  it.each(ALGS)(
    '%s: crit with an unknown, registered, missing, repeated or empty entry is refused; b64 other than true too',
    async (alg) => {
      const p = b64(claims());
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ crit: ['exp2'], exp2: 1 }, /unsupported critical header parameter "exp2"/],
        [{ crit: ['kid'] }, /"crit" lists "kid", a parameter defined by RFC 7515/],
        [{ crit: ['exp2'] }, /"crit" lists "exp2", which is not in the header/],
        [{ crit: ['b64', 'b64'], b64: true }, /lists a name twice/],
        [{ crit: [] }, /"crit" must be a non-empty array/],
        [{ crit: 'b64', b64: true }, /"crit" must be a non-empty array/],
        [{ crit: ['b64'], b64: false }, /an unencoded payload \(RFC 7797\) is refused/],
        [{ b64: true }, /"b64" must be listed in "crit"/],
      ];
      for (const [extra, reason] of cases) {
        expect(await rejection(await signRaw(alg, headerOf(alg, extra), p), [alg])).toMatch(
          new RegExp(`^ERR_JWS_INVALID: .*${reason.source}`),
        );
      }
      // RFC 7797 b64 true, listed in crit, is the ordinary encoding: accepted.
      const ok = await signRaw(alg, headerOf(alg, { crit: ['b64'], b64: true }), p);
      expect(
        (
          await verifyToken(ok, createLocalJWKSet(jwks), {
            algorithms: [alg],
            issuer: 'https://issuer.example',
            audience: 'api',
          })
        ).payload.sub,
      ).toBe('u1');
    },
  );
});

/**
 * Issue 19 item 4: a signature of the wrong size is named, with the expected and actual bytes and,
 * for a post-quantum size of another family, that family: FIPS 204 ML-DSA-65 signatures are
 * 3,309 bytes (FIPS 204 Table 2), CRYSTALS-Dilithium round 3 Dilithium3's 3,293 (round-3
 * specification 3.1, Table 2); the key sizes are the same, so a JWKS of one loads for the other.
 */
describe('signature sizes, named by family', () => {
  /** A token whose header says `alg`/`kid` and whose signature is `signer`'s over that signing input. */
  const crossSigned = async (alg: string, kid: string, signer: LocalSigner) => {
    const h = Buffer.from(JSON.stringify({ alg, typ: 'JWT', kid })).toString('base64url');
    const p = Buffer.from(JSON.stringify(claims())).toString('base64url');
    return `${h}.${p}.${Buffer.from(await signer.sign(Buffer.from(`${h}.${p}`))).toString('base64url')}`;
  };

  it('an ML-DSA-65 signature (3,309 bytes) presented as DILITHIUM3 is named so', async () => {
    const token = await crossSigned('DILITHIUM3', signers.DILITHIUM3.kid, signers['ML-DSA-65']);
    expect(Buffer.from(parts(token)[2], 'base64url')).toHaveLength(3309);
    expect(await rejection(token, ['DILITHIUM3'])).toBe(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED: ML-DSA-65 signature under DILITHIUM3: 3309 bytes is the size of a ML-DSA-65 signature; DILITHIUM3 (CRYSTALS-Dilithium round 3 Dilithium3) signatures are 3293 bytes',
    );
  });

  it('a DILITHIUM3 (round 3) signature (3,293 bytes) presented as ML-DSA-65 is named so', async () => {
    const token = await crossSigned('ML-DSA-65', signers['ML-DSA-65'].kid, signers.DILITHIUM3);
    expect(Buffer.from(parts(token)[2], 'base64url')).toHaveLength(3293);
    expect(await rejection(token, ['ML-DSA-65'])).toBe(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED: DILITHIUM3 (round 3) signature under ML-DSA-65: 3293 bytes is the size of a DILITHIUM3 (round 3) signature; ML-DSA-65 (FIPS 204 ML-DSA-65) signatures are 3309 bytes',
    );
  });

  it('an ML-DSA-44 signature under ML-DSA-87 is named too', async () => {
    const token = await crossSigned('ML-DSA-87', signers['ML-DSA-87'].kid, signers['ML-DSA-44']);
    expect(await rejection(token, ['ML-DSA-87'])).toMatch(
      /: ML-DSA-44 signature under ML-DSA-87: 2420 bytes .* signatures are 4627 bytes$/,
    );
  });

  // Expected sizes: FIPS 204 Table 2; round-3 spec Table 2; RFC 7518 §3.4 (ES256 r‖s 64); RFC 8032
  // (Ed25519 64); RFC 8017 (RSA: the modulus, 2048 bits = 256 bytes); composites ML-DSA-65 ‖ RSA-3072.
  const SIZES: [alg: string, bytes: string][] = [
    ['ML-DSA-44', '2420 bytes'],
    ['ML-DSA-65', '3309 bytes'],
    ['ML-DSA-87', '4627 bytes'],
    ['DILITHIUM3', '3293 bytes'],
    ['ES256', '64 bytes'],
    ['EdDSA', '64 bytes'],
    ['RS256', '256 bytes'],
    ['PS256', '256 bytes'],
    ['ML-DSA-65-RS256', '3693 bytes'],
    ['ML-DSA-65-PS256', '3693 bytes'],
    ['ML-DSA-65-ES256', '3317 to 3381 bytes'],
  ];
  it.each(SIZES)(
    '%s: a signature one byte short (or far too short) names the expected %s and the actual count',
    async (alg, bytes) => {
      const token = await signJws(signers[alg], claims());
      const [h, p, s] = parts(token);
      const sig = Buffer.from(s, 'base64url');
      const cut = alg === 'ML-DSA-65-ES256' ? sig.subarray(0, 3309) : sig.subarray(0, -1);
      expect(await rejection(`${h}.${p}.${cut.toString('base64url')}`, [alg])).toBe(
        `ERR_JWS_SIGNATURE_VERIFICATION_FAILED: ${alg} signature must be ${bytes}, got ${cut.length}`,
      );
    },
  );
});

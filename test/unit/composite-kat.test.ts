/**
 * Known-answer tests for the composite construction, with the vectors the drafts publish
 * (test/fixtures/composite-vectors/README.md): our verifier accepts the published signatures
 * and rejects altered ones; our key loading derives the published public keys from the
 * published private keys; our signatures over the published message verify with an independent
 * reference.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { jwsAlgorithm } from '../../src/jose/algorithms.ts';
import { messageRepresentative } from '../../src/jose/composite.ts';
import { LocalSigner } from '../../src/signer/local.ts';
import { referenceCompositeVerify } from '../helpers/composite-reference.ts';

const dir = path.join(import.meta.dirname, '..', 'fixtures', 'composite-vectors');
const load = (name: string) => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
const b64 = (s: string) => Buffer.from(s, 'base64');

const LAMPS = [
  {
    file: 'MLDSA65-RSA3072-PKCS15-SHA512.json',
    alg: 'ML-DSA-65-RS256',
    tradType: 'pkcs1' as const,
  },
  { file: 'MLDSA65-RSA3072-PSS-SHA512.json', alg: 'ML-DSA-65-PS256', tradType: 'pkcs1' as const },
  { file: 'MLDSA65-ECDSA-P256-SHA512.json', alg: 'ML-DSA-65-ES256', tradType: 'sec1' as const },
];

/** LAMPS private key (seed ‖ RSAPrivateKey / ECPrivateKey DER) in our stored form (seed ‖ PKCS#8). */
function ourPrivateForm(sk: Buffer, tradType: 'pkcs1' | 'sec1'): Buffer {
  const traditional = createPrivateKey({ key: sk.subarray(32), format: 'der', type: tradType });
  return Buffer.concat([sk.subarray(0, 32), traditional.export({ format: 'der', type: 'pkcs8' })]);
}

describe.each(LAMPS)(
  'draft-ietf-lamps-pq-composite-sigs vector $file',
  ({ file, alg, tradType }) => {
    const v = load(file);
    const jwk = { kty: 'AKP', alg, pub: b64(v.pk).toString('base64url') };

    it('verifies the published signature and rejects it altered in either half', async () => {
      const verify = jwsAlgorithm(alg).verifier(jwk);
      expect(await verify(b64(v.m), b64(v.s))).toBeUndefined();
      const mlDsaFlipped = b64(v.s);
      mlDsaFlipped[100] ^= 1;
      expect(await verify(b64(v.m), mlDsaFlipped)).toBe(
        'the ML-DSA half of the composite signature is invalid',
      );
      const tradFlipped = b64(v.s);
      tradFlipped[tradFlipped.length - 3] ^= 1;
      expect(await verify(b64(v.m), tradFlipped)).toBe(
        'the traditional half of the composite signature is invalid',
      );
      expect(await verify(Buffer.from('another message'), b64(v.s))).toBe(
        'both composite signature halves are invalid',
      );
    });

    it('derives the published public key from the published private key, and signs verifiably', async () => {
      const signer = new LocalSigner('kat', alg, ourPrivateForm(b64(v.sk), tradType));
      expect(signer.publicJwk()!.pub).toBe(jwk.pub);
      const signature = await signer.sign(b64(v.m));
      expect(referenceCompositeVerify(alg, jwk, b64(v.m), signature)).toEqual([true, true]);
    });
  },
);

describe('draft-ietf-jose-pq-composite-sigs-05 example (ML-DSA-65-ES256 JWS)', () => {
  const v = load('JOSE-ML-DSA-65-ES256.json');
  const [h, p, s] = v.jws.split('.');
  const input = Buffer.from(`${h}.${p}`);

  it("computes the same message representative M'", () => {
    expect(messageRepresentative('ECDSA-P256', input).toString('hex')).toBe(
      v.raw_message_representative,
    );
  });

  it('verifies the example JWS with the example JWK', async () => {
    const { priv: _priv, ...publicJwk } = v.jwk;
    expect(JSON.parse(Buffer.from(h, 'base64url').toString()).alg).toBe('ML-DSA-65-ES256');
    expect(
      await jwsAlgorithm('ML-DSA-65-ES256').verifier(publicJwk)(input, Buffer.from(s, 'base64url')),
    ).toBeUndefined();
  });

  it('derives the example public key from the example seed and ECDSA key', () => {
    const priv = Buffer.from(v.jwk.priv, 'base64url');
    const signer = new LocalSigner('kat', 'ML-DSA-65-ES256', ourPrivateForm(priv, 'sec1'));
    expect(signer.publicJwk()!.pub).toBe(v.jwk.pub);
  });
});

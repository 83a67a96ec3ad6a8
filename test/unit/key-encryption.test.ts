import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { openPrivateKey, sealPrivateKey, KeyDecryptionError } from '../../src/store/encryption.ts';
import { LocalSigner } from '../../src/signer/local.ts';
import { generateKey } from '../../src/keys/generate.ts';
import { signJws, verifyOwnJws } from '../../src/signer/jws.ts';
import { createPublicKey, verify } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';

describe('private keys at rest', () => {
  const kek = randomBytes(32);
  const secret = randomBytes(32);

  it('round-trips and never stores the plaintext', () => {
    const sealed = sealPrivateKey(kek, 'kid-1', 'ML-DSA-65', secret);
    expect(sealed.includes(secret)).toBe(false);
    expect(openPrivateKey(kek, 'kid-1', 'ML-DSA-65', sealed).equals(secret)).toBe(true);
  });

  it('fails closed on a wrong KEK, another kid or alg, or a flipped bit', () => {
    const sealed = sealPrivateKey(kek, 'kid-1', 'ML-DSA-65', secret);
    expect(() => openPrivateKey(randomBytes(32), 'kid-1', 'ML-DSA-65', sealed)).toThrow(
      KeyDecryptionError,
    );
    expect(() => openPrivateKey(kek, 'kid-2', 'ML-DSA-65', sealed)).toThrow(KeyDecryptionError);
    expect(() => openPrivateKey(kek, 'kid-1', 'RS256', sealed)).toThrow(KeyDecryptionError);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] ^= 1;
    expect(() => openPrivateKey(kek, 'kid-1', 'ML-DSA-65', flipped)).toThrow(KeyDecryptionError);
  });
});

describe('local signer', () => {
  it('ML-DSA-65 signatures verify with node:crypto and @noble/post-quantum', async () => {
    const key = await generateKey('ML-DSA-65');
    const signer = new LocalSigner(key.kid, key.alg, key.privateKey);
    const jwk = signer.publicJwk()!;
    expect(jwk).toMatchObject({ kty: 'AKP', alg: 'ML-DSA-65', kid: key.kid });
    const message = Buffer.from('eyJhbGciOiJNTC1EU0EtNjUifQ.eyJzdWIiOiIxIn0');
    const signature = await signer.sign(message);
    expect(signature).toHaveLength(3309);
    expect(
      verify(null, message, createPublicKey({ key: jwk, format: 'jwk' } as never), signature),
    ).toBe(true);
    expect(ml_dsa65.verify(signature, message, Buffer.from(jwk.pub as string, 'base64url'))).toBe(
      true,
    );
  });

  it('verifyOwnJws rejects alg confusion, unknown kids and tampering', async () => {
    const mldsa = await generateKey('ML-DSA-65');
    const rsa = await generateKey('RS256');
    const signers = [
      new LocalSigner(mldsa.kid, mldsa.alg, mldsa.privateKey),
      new LocalSigner(rsa.kid, rsa.alg, rsa.privateKey),
    ];
    const byKid = (kid: string) => signers.find((s) => s.kid === kid);
    const jwt = await signJws(signers[0], { sub: 'x' });
    await expect(verifyOwnJws(jwt, byKid)).resolves.toMatchObject({ payload: { sub: 'x' } });
    const [h, p, s] = jwt.split('.');
    const header = (fields: Record<string, unknown>) =>
      Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url').toString()), ...fields }),
      ).toString('base64url');
    await expect(verifyOwnJws(`${header({ alg: 'RS256' })}.${p}.${s}`, byKid)).rejects.toThrow(
      /does not match the key's alg/,
    );
    await expect(verifyOwnJws(`${header({ alg: 'none' })}.${p}.`, byKid)).rejects.toThrow(
      /does not match/,
    );
    await expect(verifyOwnJws(`${header({ kid: 'nope' })}.${p}.${s}`, byKid)).rejects.toThrow(
      /unknown or disabled kid/,
    );
    await expect(
      verifyOwnJws(`${h}.${Buffer.from('{"sub":"y"}').toString('base64url')}.${s}`, byKid),
    ).rejects.toThrow(/signature verification failed/);
    await expect(verifyOwnJws(`${h}.${p}.${s.slice(0, 48)}`, byKid)).rejects.toThrow(
      /ML-DSA-65 signature must be 3309 bytes/,
    );
    // The same signature bytes spelt another way (a stray character, padding) are refused.
    await expect(verifyOwnJws(`${h}.${p}.${s.slice(0, 10)}!${s.slice(10)}`, byKid)).rejects.toThrow(
      /not canonical base64url/,
    );
    await expect(verifyOwnJws(`${h}.${p}.${s}=`, byKid)).rejects.toThrow(/not canonical base64url/);
    const nullPart = Buffer.from('null').toString('base64url');
    await expect(verifyOwnJws(`${nullPart}.${p}.${s}`, byKid)).rejects.toThrow(
      /malformed JWS header or payload/,
    );
    await expect(verifyOwnJws(`${h}.${nullPart}.${s}`, byKid)).rejects.toThrow(
      /malformed JWS header or payload/,
    );
  });
});

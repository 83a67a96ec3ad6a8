/**
 * Round-3 DILITHIUM3 (jose/dilithium3.ts, PQClean's reference code as WebAssembly) against an
 * independent round-3 implementation (@noble/post-quantum 0.1.0 `dilithium_v31.dilithium3`, pure
 * JavaScript): signed by one, verified by the other, both ways; and FIPS 204 ML-DSA-65 kept apart:
 * neither verifies the other's signatures, though their keys have the same size. Also the
 * registry's DILITHIUM3 (jose/algorithms.ts): JWK form, stored private form, legacy refusal.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { dilithium_v31 } from 'noble-pq-v01/ml-dsa';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import {
  DILITHIUM3_SIZES,
  dilithium3FromPrivateKey,
  dilithium3Keypair,
  dilithium3PrivateKey,
  dilithium3Signer,
  dilithium3Verifier,
} from '../../src/jose/dilithium3.ts';
import { isSupportedAlg, jwsAlgorithm, JwkError } from '../../src/jose/algorithms.ts';

const round3 = dilithium_v31.dilithium3;
const message = Buffer.from('eyJhbGciOiJESUxJVEhJVU0zIiwia2lkIjoiazEifQ.eyJzdWIiOiJhbGljZSJ9');

describe('cross-check with an independent round-3 implementation', () => {
  it('a key pair made here signs what noble verifies, and verifies what noble signs with its secret key', async () => {
    const pair = await dilithium3Keypair();
    expect(pair.publicKey).toHaveLength(DILITHIUM3_SIZES.publicKey);
    expect(pair.secretKey).toHaveLength(DILITHIUM3_SIZES.secretKey);
    const ours = await dilithium3Signer(pair.secretKey)(message);
    expect(ours).toHaveLength(3293);
    expect(round3.verify(pair.publicKey, message, ours)).toBe(true);
    expect(round3.verify(pair.publicKey, Buffer.from('other'), ours)).toBe(false);
    const theirs = round3.sign(pair.secretKey, message);
    expect(await dilithium3Verifier(pair.publicKey)(message, theirs)).toBeUndefined();
  });

  it('a key pair made by noble signs what we verify, and its secret key signs here what noble verifies', async () => {
    const pair = round3.keygen(randomBytes(32));
    const theirs = round3.sign(pair.secretKey, message, randomBytes(64)); // randomized, as liboqs signs
    expect(await dilithium3Verifier(pair.publicKey)(message, theirs)).toBeUndefined();
    const ours = await dilithium3Signer(
      dilithium3FromPrivateKey(dilithium3PrivateKey(pair)).secretKey,
    )(message);
    expect(round3.verify(pair.publicKey, message, ours)).toBe(true);
    const tampered = Buffer.from(ours);
    tampered[100] ^= 1;
    expect(await dilithium3Verifier(pair.publicKey)(message, tampered)).toBe(
      'signature verification failed',
    );
    expect(round3.verify(pair.publicKey, message, tampered)).toBe(false);
  });
});

describe('round-3 Dilithium3 and FIPS 204 ML-DSA-65 do not verify each other', () => {
  const seed = randomBytes(32);
  const mlDsa = ml_dsa65.keygen(seed);
  const dil = round3.keygen(seed);

  it('have keys of the same size, but different keys from the same seed', () => {
    expect(mlDsa.publicKey).toHaveLength(1952);
    expect(dil.publicKey).toHaveLength(1952);
    expect(Buffer.from(mlDsa.publicKey).equals(Buffer.from(dil.publicKey))).toBe(false);
  });

  it('an ML-DSA-65 signature is refused as DILITHIUM3, by name, under either public key', async () => {
    const fips = ml_dsa65.sign(message, mlDsa.secretKey);
    expect(fips).toHaveLength(3309);
    for (const publicKey of [mlDsa.publicKey, dil.publicKey]) {
      expect(await dilithium3Verifier(publicKey)(message, fips)).toMatch(
        /^ML-DSA-65 signature under DILITHIUM3/,
      );
      expect(round3.verify(publicKey, message, fips)).toBe(false);
      // Cut to the round-3 size it still does not verify.
      expect(await dilithium3Verifier(publicKey)(message, fips.subarray(0, 3293))).toBe(
        'signature verification failed',
      );
    }
  });

  it('a DILITHIUM3 signature does not verify as ML-DSA-65', async () => {
    const ours = await dilithium3Signer(dil.secretKey)(message);
    for (const publicKey of [mlDsa.publicKey, dil.publicKey]) {
      expect(ml_dsa65.verify(ours, message, publicKey)).toBe(false);
      const verifier = jwsAlgorithm('ML-DSA-65').verifier({
        kty: 'AKP',
        alg: 'ML-DSA-65',
        pub: Buffer.from(publicKey).toString('base64url'),
      });
      expect(await verifier(message, ours)).toMatch(/3309 bytes/);
    }
  });
});

describe("the registry's DILITHIUM3", () => {
  const alg = jwsAlgorithm('DILITHIUM3');

  it('generates the stored form sk ‖ pk, publishes the QSIGN JWK form and signs 3,293-byte signatures', async () => {
    const material = await alg.generate();
    expect(material).toHaveLength(4000 + 1952);
    const key = alg.load(material);
    expect(key.publicJwk).toEqual({
      kty: 'OQS',
      alg: 'DILITHIUM3',
      x: Buffer.from(material.subarray(4000)).toString('base64url'),
    });
    expect(key.signWithContext).toBeUndefined();
    const signature = await key.sign(message);
    expect(signature).toHaveLength(3293);
    expect(await alg.verifier(key.publicJwk!)(message, signature)).toBeUndefined();
    expect(round3.verify(material.subarray(4000), message, signature)).toBe(true);
  });

  it('refuses a 32-byte ML-DSA-65 seed of the former DILITHIUM3 by name, never reading it as a round-3 key', () => {
    expect(() => alg.load(randomBytes(32))).toThrow(JwkError);
    expect(() => alg.load(randomBytes(32))).toThrow(
      /ML-DSA-65 seed kept under the former meaning of DILITHIUM3/,
    );
  });

  it("refuses a secret key stored with another key's public key", async () => {
    const [a, b] = [await dilithium3Keypair(), await dilithium3Keypair()];
    expect(() => alg.load(Buffer.concat([a.secretKey, b.publicKey]))).toThrow(
      /does not belong to the public key/,
    );
  });

  it('refuses public keys of the wrong size or form', () => {
    expect(() =>
      alg.verifier({ kty: 'OQS', alg: 'DILITHIUM3', x: randomBytes(1312).toString('base64url') }),
    ).toThrow(/1952-byte DILITHIUM3 public key, got 1312/);
    expect(() =>
      alg.verifier({ kty: 'AKP', alg: 'DILITHIUM3', pub: randomBytes(1952).toString('base64url') }),
    ).toThrow(JwkError);
  });

  it('signs off the event loop: the loop turns while a signature is being made', async () => {
    const key = alg.load(await alg.generate());
    await key.sign(message); // the worker thread is started
    // A signer on the event loop would resolve before the check phase runs setImmediate's callback;
    // pqclean's worker answers with a message, which the loop receives after that phase.
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const signatures = await Promise.all(Array.from({ length: 4 }, () => key.sign(message)));
    expect(turned).toBe(true);
    expect(signatures.every((s) => s.length === 3293)).toBe(true);
  });

  it('has withdrawn the DILITHIUM3-RS256 and -PS256 composites', () => {
    expect(isSupportedAlg('DILITHIUM3-RS256')).toBe(false);
    expect(isSupportedAlg('DILITHIUM3-PS256')).toBe(false);
    expect(isSupportedAlg('ML-DSA-65-RS256')).toBe(true);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createPublicKey, verify } from 'node:crypto';
import { mlDsaFromSeed, mlDsaSign, type MlDsaParameterSet } from '../../src/jose/ml-dsa.ts';
import { SigningThreads, type SigningThreadsOptions } from '../../src/jose/ml-dsa-threads.ts';
import { defaultSigningThreads, loadConfig } from '../../src/config.ts';

const publicKeyOf = (set: MlDsaParameterSet, pub: Uint8Array) =>
  createPublicKey({
    key: { kty: 'AKP', alg: set, pub: Buffer.from(pub).toString('base64url') },
    format: 'jwk',
  } as never);
const SETS: MlDsaParameterSet[] = ['ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87'];

describe('ML-DSA signing threads', () => {
  let threads: SigningThreads;
  const startSigningThreads = (count: number, options?: SigningThreadsOptions) => {
    threads = new SigningThreads(count, options);
    threads.start();
  };
  afterEach(() => threads?.stop());

  it('signs every parameter set on a thread; the signatures verify with OpenSSL (FIPS 204)', async () => {
    startSigningThreads(1);
    expect(threads.running).toBe(1);
    for (const set of SETS) {
      const key = mlDsaFromSeed(set, new Uint8Array(32).fill(7));
      // A Buffer from Node's shared pool: only its own bytes may be signed.
      const message = Buffer.from('eyJhbGciOiJNTC1EU0EtNjUifQ.eyJzdWIiOiJib2IifQ');
      const onThread = await threads.sign(set, key.expandedSecretKey, message);
      expect(onThread, set).toBeInstanceOf(Uint8Array);
      expect(verify(null, message, publicKeyOf(set, key.publicKey), onThread!), set).toBe(true);
      const viaSign = await mlDsaSign(key, message, threads);
      expect(verify(null, message, publicKeyOf(set, key.publicKey), viaSign), set).toBe(true);
    }
  });

  it('up to 16 signatures in flight on one thread all come back from it; beyond that the caller signs, and the threads keep running', async () => {
    startSigningThreads(1);
    const key = mlDsaFromSeed('ML-DSA-65', new Uint8Array(32).fill(1));
    expect(key.expandedSecretKey.buffer).toBeInstanceOf(SharedArrayBuffer);
    const messages = Array.from({ length: 40 }, (_, i) => Buffer.from(`message ${i}`));
    const signatures = await Promise.all(
      messages.map((m) => threads.sign('ML-DSA-65', key.expandedSecretKey, m)),
    );
    signatures.forEach((sig, i) => {
      if (i >= 16) return expect(sig, `message ${i}`).toBeUndefined();
      expect(sig, `message ${i}`).toBeInstanceOf(Uint8Array);
      expect(verify(null, messages[i], publicKeyOf('ML-DSA-65', key.publicKey), sig!)).toBe(true);
    });
    // A full queue is an overload, not a failure: the thread stays, and every signature is made.
    expect(threads.running).toBe(1);
    const all = await Promise.all(messages.map((m) => mlDsaSign(key, m, threads)));
    all.forEach((sig, i) =>
      expect(verify(null, messages[i], publicKeyOf('ML-DSA-65', key.publicKey), sig)).toBe(true),
    );
    expect(await threads.sign('ML-DSA-65', key.expandedSecretKey, messages[0])).toBeInstanceOf(
      Uint8Array,
    );
  });

  it('without threads, or when a thread cannot start, the caller signs itself', async () => {
    const key = mlDsaFromSeed('ML-DSA-65', new Uint8Array(32).fill(2));
    const message = Buffer.from('header.payload');
    expect(await threads.sign('ML-DSA-65', key.expandedSecretKey, message)).toBeUndefined();
    const failures: Error[] = [];
    startSigningThreads(1, {
      workerFile: new URL('../fixtures/workers/failing-signer.mjs', import.meta.url),
      onFailure: (err) => failures.push(err),
    });
    // Queued before the thread failed, and after: both signed by the caller.
    expect(await threads.sign('ML-DSA-65', key.expandedSecretKey, message)).toBeUndefined();
    expect(await threads.sign('ML-DSA-65', key.expandedSecretKey, message)).toBeUndefined();
    expect(failures.map((e) => e.message)).toEqual(['this signing thread cannot start']);
    const sig = await mlDsaSign(key, message, threads);
    expect(verify(null, message, publicKeyOf('ML-DSA-65', key.publicKey), sig)).toBe(true);
  });

  it('a thread that ends while starting holds no signature past the task timeout; 3 failures in a row stop the threads', async () => {
    const key = mlDsaFromSeed('ML-DSA-65', new Uint8Array(32).fill(3));
    const message = Buffer.from('header.payload');
    const failures: Error[] = [];
    startSigningThreads(1, {
      workerFile: new URL('../fixtures/workers/exiting-signer.mjs', import.meta.url),
      taskTimeoutMs: 300,
      onFailure: (err) => failures.push(err),
    });
    const started = performance.now();
    for (let i = 0; i < 3; i += 1) {
      const sig = await mlDsaSign(key, message, threads);
      expect(verify(null, message, publicKeyOf('ML-DSA-65', key.publicKey), sig)).toBe(true);
    }
    expect(performance.now() - started).toBeLessThan(3 * 300 + 500);
    expect(failures).toHaveLength(1);
    // Stopped: no more trips to a thread.
    expect(await threads.sign('ML-DSA-65', key.expandedSecretKey, message)).toBeUndefined();
  });

  it('a thread that fails every task is stopped after 3, and said so once', async () => {
    const key = mlDsaFromSeed('ML-DSA-65', new Uint8Array(32).fill(4));
    const message = Buffer.from('header.payload');
    const failures: Error[] = [];
    startSigningThreads(1, {
      workerFile: new URL('../fixtures/workers/throwing-signer.mjs', import.meta.url),
      onFailure: (err) => failures.push(err),
    });
    for (let i = 0; i < 5; i += 1) {
      const sig = await mlDsaSign(key, message, threads);
      expect(verify(null, message, publicKeyOf('ML-DSA-65', key.publicKey), sig)).toBe(true);
    }
    expect(failures.map((e) => e.message)).toEqual(['this signing thread fails every task']);
    expect(threads.running).toBe(0);
  });

  it('SIGNING_THREADS defaults to the cores a worker has beyond its event loop, at most 2', () => {
    expect(defaultSigningThreads(1, 2)).toBe(1);
    expect(defaultSigningThreads(2, 2)).toBe(0);
    expect(defaultSigningThreads(8, 8)).toBe(0);
    expect(defaultSigningThreads(1, 8)).toBe(2);
    expect(defaultSigningThreads(2, 4)).toBe(1);
    expect(defaultSigningThreads(1, 1)).toBe(0);
    expect(
      loadConfig({ DATA_DIR: '/tmp/qsign-threads-config', SIGNING_THREADS: '0' }).signingThreads,
    ).toBe(0);
    expect(() =>
      loadConfig({ DATA_DIR: '/tmp/qsign-threads-config', SIGNING_THREADS: 'many' }),
    ).toThrow(/SIGNING_THREADS/);
  });

  it('failures with successes between them do not stop the threads', async () => {
    const key = mlDsaFromSeed('ML-DSA-65', new Uint8Array(32).fill(5));
    const message = Buffer.from('header.payload');
    const failures: Error[] = [];
    startSigningThreads(1, {
      workerFile: new URL('../fixtures/workers/flaky-signer.mjs', import.meta.url),
      onFailure: (err) => failures.push(err),
    });
    const results = [];
    for (let i = 0; i < 8; i += 1)
      results.push(await threads.sign('ML-DSA-65', key.expandedSecretKey, message));
    expect(results.map((r) => r !== undefined)).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
    for (const sig of results.filter((r) => r !== undefined))
      expect(verify(null, message, publicKeyOf('ML-DSA-65', key.publicKey), sig!)).toBe(true);
    expect(failures).toEqual([]);
  });
});

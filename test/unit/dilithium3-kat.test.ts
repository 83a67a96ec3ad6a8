/**
 * Round-3 Dilithium3 against the NIST known-answer tests of the round-3 submission
 * (PQCsignKAT for Dilithium3, deterministic signing), first 10 entries, in Botan's compressed form
 * (test/fixtures/dilithium3-kat/README.md): seed → DRBG → key pair, SHA3-256 of pk and sk equal;
 * signature of msg, SHA3-256 equal (entry 0: the whole signature byte-equal, and sm = sig ‖ msg).
 *
 * Checked for both implementations: the one the server signs with (PQClean's WebAssembly build,
 * npm pqclean 0.3.0, jose/dilithium3.ts) and the independent one (@noble/post-quantum 0.1.0's
 * dilithium_v31). PQClean generates keys from randombytes only, so its key generation is driven by
 * instantiating the same .wasm file the package ships with the KAT DRBG as its randombytes.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dilithium_v31 } from 'noble-pq-v01/ml-dsa';
import { katInputs, NistDrbg, parseCompressedKats } from '../fixtures/dilithium3-kat/nist-kat.ts';
import {
  DILITHIUM3_SIZES,
  dilithium3FromPrivateKey,
  dilithium3Signer,
  dilithium3Verifier,
} from '../../src/jose/dilithium3.ts';

const KATS = parseCompressedKats(
  readFileSync(
    new URL('../fixtures/dilithium3-kat/dilithium_6x5_Deterministic.first10.vec', import.meta.url),
    'utf8',
  ),
);
const sha3 = (bytes: Uint8Array) => createHash('sha3-256').update(bytes).digest('hex');

/** PQClean's Dilithium3 key generation from the shipped .wasm, randombytes = `drbg`. */
function pqcleanKeypair(drbg: NistDrbg): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const wasmPath = createRequire(import.meta.url).resolve('pqclean/wasm/gen/pqclean.wasm');
  interface Exports {
    memory: WebAssembly.Memory;
    malloc(n: number): number;
    free(p: number): void;
    PQCLEAN_DILITHIUM3_CLEAN_crypto_sign_keypair(pk: number, sk: number): number;
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {
    env: {
      PQCLEAN_randombytes: (ptr: number, n: number) =>
        new Uint8Array(exports.memory.buffer, ptr, n).set(drbg.randomBytes(n)),
    },
    wasi_snapshot_preview1: {
      proc_exit: () => {
        throw new Error('proc_exit');
      },
    },
  });
  const exports = instance.exports as unknown as Exports;
  const pk = exports.malloc(DILITHIUM3_SIZES.publicKey);
  const sk = exports.malloc(DILITHIUM3_SIZES.secretKey);
  expect(exports.PQCLEAN_DILITHIUM3_CLEAN_crypto_sign_keypair(pk, sk)).toBe(0);
  const publicKey = new Uint8Array(exports.memory.buffer, pk, DILITHIUM3_SIZES.publicKey).slice();
  const secretKey = new Uint8Array(exports.memory.buffer, sk, DILITHIUM3_SIZES.secretKey).slice();
  exports.free(pk);
  exports.free(sk);
  return { publicKey, secretKey };
}

describe('NIST round-3 KATs for Dilithium3 (first 10 entries)', () => {
  it('has the 10 entries, and the AES-256-CTR DRBG reproduces their seeds and messages', () => {
    expect(KATS).toHaveLength(10);
    const inputs = katInputs(10);
    KATS.forEach((kat, i) => {
      expect(kat.seed.toString('hex'), `entry ${i}`).toBe(inputs[i].seed.toString('hex'));
      expect(kat.msg.toString('hex'), `entry ${i}`).toBe(inputs[i].msg.toString('hex'));
    });
    // The published count-0 seed of every NIST PQC signature KAT file.
    expect(inputs[0].seed.toString('hex').toUpperCase()).toBe(
      '061550234D158C5EC95595FE04EF7A25767F2E24CC2BC479D09D86DC9ABCFDE7056A8C266F9EF97ED08541DBD2E1FFA1',
    );
  });

  it.each(KATS.map((kat, count) => [count, kat] as const))(
    'entry %i: the server implementation (PQClean wasm) gives the KAT keys and signature',
    async (_count, kat) => {
      const { publicKey, secretKey } = pqcleanKeypair(new NistDrbg(kat.seed));
      expect(publicKey).toHaveLength(1952);
      expect(secretKey).toHaveLength(4000);
      expect(sha3(publicKey)).toBe(kat.hashPk);
      expect(sha3(secretKey)).toBe(kat.hashSk);
      // The module's own path: stored form sk ‖ pk accepted, signed on pqclean's worker threads.
      const pair = dilithium3FromPrivateKey(Buffer.concat([secretKey, publicKey]));
      const signature = await dilithium3Signer(pair.secretKey)(kat.msg);
      expect(signature).toHaveLength(3293);
      expect(sha3(signature)).toBe(kat.hashSig);
      if (kat.sig) {
        expect(Buffer.from(signature).equals(kat.sig)).toBe(true);
        // sm of the .rsp: signature followed by the message, smlen = 3293 + mlen.
        const sm = Buffer.concat([signature, kat.msg]);
        expect(sm).toHaveLength(3293 + 33);
        expect(sm.subarray(0, 3293).equals(kat.sig)).toBe(true);
      }
      expect(await dilithium3Verifier(publicKey)(kat.msg, signature)).toBeUndefined();
    },
  );

  it.each(KATS.map((kat, count) => [count, kat] as const))(
    'entry %i: the independent implementation (@noble/post-quantum 0.1.0 dilithium_v31) gives the KAT keys and signature',
    (_count, kat) => {
      // Round-3 keygen: randombytes(32) is the seed ζ, expanded with SHAKE256.
      const { publicKey, secretKey } = dilithium_v31.dilithium3.keygen(
        new NistDrbg(kat.seed).randomBytes(32),
      );
      expect(sha3(publicKey)).toBe(kat.hashPk);
      expect(sha3(secretKey)).toBe(kat.hashSk);
      const signature = dilithium_v31.dilithium3.sign(secretKey, kat.msg);
      expect(sha3(signature)).toBe(kat.hashSig);
      if (kat.sig) expect(Buffer.from(signature).equals(kat.sig)).toBe(true);
      expect(dilithium_v31.dilithium3.verify(publicKey, kat.msg, signature)).toBe(true);
    },
  );
});

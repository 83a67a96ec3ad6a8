/**
 * The signature ledger (keys/signature-ledger.ts): a key's signatures are recorded ahead, at most
 * once per WINDOW_MS per key, and a signature whose record cannot be written is not made.
 */
import { describe, expect, it } from 'vitest';
import {
  SignatureLedger,
  WINDOW_MS,
  withSignatureLedger,
} from '../../src/keys/signature-ledger.ts';
import { RealmKeys } from '../../src/keys/realm-keys.ts';
import { SignerUnavailableError, type Signer } from '../../src/signer/signer.ts';
import type { SqlClient } from '../../src/store/sql.ts';

const stubSigner = (kid: string, signed: string[]): Signer => ({
  alg: 'ML-DSA-65',
  kid,
  backend: 'local',
  publicJwk: () => undefined,
  sign: async () => {
    signed.push(kid);
    return new Uint8Array([1]);
  },
});
const record = (kid: string) => ({ kid, status: 'ACTIVE' }) as never;

describe('signature ledger', () => {
  it('writes signed_until = now + WINDOW_MS with the realm lifetime before the first signature, then not again within the window', async () => {
    const writes: unknown[][] = [];
    const db = {
      query: async (_sql: string, params: unknown[]) => {
        writes.push(params);
        return [];
      },
    } as unknown as SqlClient;
    const signed: string[] = [];
    const keys = withSignatureLedger(
      new RealmKeys([
        { record: record('a'), signer: stubSigner('a', signed) },
        { record: record('b'), signer: stubSigner('b', signed) },
      ]),
      new SignatureLedger(db, 'realm-1', { accessTokenLifespan: 60, ssoSessionMaxLifespan: 600 }),
    );
    const before = Date.now();
    await Promise.all([1, 2, 3].map(() => keys.keys[0].signer.sign(new Uint8Array())));
    await keys.keys[0].signer.sign(new Uint8Array());
    await keys.keys[1].signer.sign(new Uint8Array());
    expect(signed).toEqual(['a', 'a', 'a', 'a', 'b']);
    expect(writes.map((w) => [w[0], w[1], w[3]])).toEqual([
      ['realm-1', 'a', 600],
      ['realm-1', 'b', 600],
    ]);
    expect(writes[0][2] as number).toBeGreaterThanOrEqual(before + WINDOW_MS);
  });

  it('fails the signature (SignerUnavailableError) when the record cannot be written, and tries again next time', async () => {
    let fail = true;
    const db = {
      query: async () => {
        if (fail) throw new Error('store down');
        return [];
      },
    } as unknown as SqlClient;
    const signed: string[] = [];
    const [key] = withSignatureLedger(
      new RealmKeys([{ record: record('a'), signer: stubSigner('a', signed) }]),
      new SignatureLedger(db, 'r', {}),
    ).keys;
    await expect(key.signer.sign(new Uint8Array())).rejects.toBeInstanceOf(SignerUnavailableError);
    expect(signed).toEqual([]);
    fail = false;
    await key.signer.sign(new Uint8Array());
    expect(signed).toEqual(['a']);
  });
});

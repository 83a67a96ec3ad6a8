/**
 * Every signature starts outside the request's async context (signer/factory.ts, `signingScope`):
 * the async resources a signature creates (signing-thread task, node:crypto job, Vault request)
 * must not capture the request, or they keep it in memory until the next full collection.
 */
import { describe, expect, it } from 'vitest';
import { AsyncLocalStorage } from 'node:async_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { metered } from '../../src/signer/factory.ts';
import type { Signer } from '../../src/signer/signer.ts';

describe('signing scope', () => {
  it('starts each signature with no request context and resumes the caller in its own', async () => {
    const requestContext = new AsyncLocalStorage<{ request: number }>();
    const seen: unknown[] = [];
    const inner: Signer = {
      alg: 'RS256', kid: 'k1', backend: 'local', publicJwk: () => undefined,
      async sign(input) {
        seen.push(requestContext.getStore());
        await tick();
        seen.push(requestContext.getStore());
        return input.slice().reverse();
      },
    };
    const signer = metered(inner);
    const results = await Promise.all([1, 2].map((request) => requestContext.run({ request }, async () => {
      const signature = await signer.sign(new Uint8Array([request, 0]));
      return { signature: [...signature], after: requestContext.getStore() };
    })));
    expect(seen).toEqual([undefined, undefined, undefined, undefined]);
    expect(results).toEqual([{ signature: [0, 1], after: { request: 1 } }, { signature: [0, 2], after: { request: 2 } }]);
  });

  it('passes the back end error through unchanged', async () => {
    const failure = new Error('back end down');
    const signer = metered({ alg: 'RS256', kid: 'k2', backend: 'local', publicJwk: () => undefined, sign: () => Promise.reject(failure) });
    await expect(signer.sign(new Uint8Array(1))).rejects.toBe(failure);
  });
});

/** The realm registry's memory of unknown realm names stays bounded (src/runtime/registry.ts). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from '../helpers/server.ts';
import { NEGATIVE_CACHE_MAX } from '../../src/runtime/registry.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

it('remembers at most NEGATIVE_CACHE_MAX unknown realm names, however many are asked for', async () => {
  const names = Array.from({ length: NEGATIVE_CACHE_MAX + 200 }, () => `nope-${randomUUID()}`);
  for (let i = 0; i < names.length; i += 50) {
    const statuses = await Promise.all(
      names
        .slice(i, i + 50)
        .map(
          async (name) =>
            (await fetch(`${server.baseUrl}/realms/${name}/.well-known/openid-configuration`))
              .status,
        ),
    );
    expect(new Set(statuses)).toEqual(new Set([404]));
  }
  expect(server.registry.missingCount).toBeLessThanOrEqual(NEGATIVE_CACHE_MAX);
}, 60_000);

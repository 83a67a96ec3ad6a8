/**
 * MANAGEMENT_PORT (Keycloak's management interface): health probes and metrics there alone, and
 * off the public port. One app on two listeners, as main.ts runs it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer, type TestServer } from '../helpers/server.ts';
import { createServer } from '../../src/server.ts';
import { createLogger } from '../../src/log.ts';
import { loadConfig } from '../../src/config.ts';

let store: TestServer;
const listeners: http.Server[] = [];
let publicUrl = '';
let managementUrl = '';
const listen = async () => {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  listeners.push(server);
  return server;
};

beforeAll(async () => {
  // The store and a realm from the usual helper; the app under test is a second one over it.
  store = await startServer({ realms: [{ realm: 'managed' }] });
  const [pub, mgmt] = [await listen(), await listen()];
  const port = (s: http.Server) => (s.address() as AddressInfo).port;
  const config = loadConfig({
    ...{
      PORT: String(port(pub)),
      MANAGEMENT_PORT: String(port(mgmt)),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port(pub)}`,
      DATA_DIR: store.config.dataDir,
      KEY_ENCRYPTION_KEY: store.config.keyEncryptionKey.toString('base64'),
      LOG_LEVEL: 'silent',
    },
  });
  const { app } = createServer(config, store.db, createLogger('silent'));
  for (const s of [pub, mgmt]) s.on('request', app.callback());
  [publicUrl, managementUrl] = [`http://127.0.0.1:${port(pub)}`, `http://127.0.0.1:${port(mgmt)}`];
});
afterAll(async () => {
  for (const s of listeners) {
    s.closeAllConnections();
    s.close();
  }
  await store?.close();
});

it('serves /health/* and /metrics on the management port only, and everything else on the public port only', async () => {
  const status = async (url: string) => (await fetch(url)).status;
  for (const path of ['/health/live', '/health/ready', '/metrics']) {
    expect(await status(`${managementUrl}${path}`), path).toBe(200);
    expect(await status(`${publicUrl}${path}`), path).toBe(404);
  }
  expect(await status(`${publicUrl}/realms/managed/.well-known/openid-configuration`)).toBe(200);
  expect(await status(`${managementUrl}/realms/managed/.well-known/openid-configuration`)).toBe(
    404,
  );
});

it('refuses a MANAGEMENT_PORT equal to PORT', () => {
  expect(() =>
    loadConfig({ DATA_DIR: store.config.dataDir, PORT: '9000', MANAGEMENT_PORT: '9000' }),
  ).toThrow(/MANAGEMENT_PORT: must differ from PORT/);
});

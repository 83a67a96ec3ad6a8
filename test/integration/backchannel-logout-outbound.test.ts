/**
 * Back-channel logout POSTs a logout token to `backchannel.logout.url`, an address a realm
 * administrator sets (OIDC Back-Channel Logout 1.0 §2.5; Keycloak's client attribute
 * `backchannel.logout.url`). The operator's OUTBOUND_ALLOW_PRIVATE_NETWORKS decides whether such
 * a POST may reach loopback or private addresses (docs/trust-model.md): oidc-provider's
 * SSRF-protected dispatcher (lib/helpers/fetch_request.js) refuses them unless the operator lifts
 * it. Ending a session through the admin API (Keycloak's UserResource.logout) must therefore not
 * reach a receiver on 127.0.0.1 by default, and must reach it once the operator allows it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { startServer, MASTER_REALM_FILE, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { until, sleep } from '../helpers/load.ts';

const REALM = 'bcl';

/** A loopback HTTP receiver recording every POSTed body. */
async function startReceiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/backchannel`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function serverWith(allowPrivate: boolean, receiverUrl: string): Promise<TestServer> {
  return startServer({
    realmFiles: [MASTER_REALM_FILE],
    env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: String(allowPrivate) },
    realms: [
      {
        realm: REALM,
        clients: [
          {
            clientId: 'app',
            publicClient: true,
            directAccessGrantsEnabled: true,
            attributes: { 'backchannel.logout.url': receiverUrl },
          },
        ],
        users: [
          { username: 'bob', enabled: true, credentials: [{ type: 'password', value: 'bob-pw' }] },
        ],
      },
    ],
  });
}

/** Signs bob in (password grant: a session of client `app`), then ends his sessions as an admin. */
async function signInAndLogOut(server: TestServer): Promise<void> {
  const res = await fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'app',
      username: 'bob',
      password: 'bob-pw',
      scope: 'openid',
    }),
  });
  expect(res.status).toBe(200);
  const kc = await masterAdmin(server.baseUrl);
  kc.setConfig({ realmName: REALM });
  const [bob] = await kc.users.find({ username: 'bob', exact: true });
  expect(await kc.users.listSessions({ id: bob.id! })).toHaveLength(1);
  await kc.users.logout({ id: bob.id! });
  expect(await kc.users.listSessions({ id: bob.id! })).toHaveLength(0);
}

describe('back-channel logout to an administrator-set URL', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('does not POST to a loopback address unless the operator allows private networks', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const server = await serverWith(false, receiver.url);
    cleanups.push(server.close);
    await signInAndLogOut(server);
    // The session is gone (above); what is proved here is that nothing arrives: a bounded wait
    // longer than oidc-provider's 2.5 s outgoing-request timeout.
    await sleep(3000);
    expect(receiver.bodies).toEqual([]);
  });

  it('delivers the logout token once OUTBOUND_ALLOW_PRIVATE_NETWORKS=true', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const server = await serverWith(true, receiver.url);
    cleanups.push(server.close);
    await signInAndLogOut(server);
    expect(await until(() => receiver.bodies.length > 0, 10_000)).toBe(true);
    const logoutToken = new URLSearchParams(receiver.bodies[0]).get('logout_token');
    expect(logoutToken).toBeTruthy();
    const claims = decodeJwt(logoutToken!);
    expect(claims.iss).toBe(`${server.baseUrl}/realms/${REALM}`);
    expect(claims.aud).toBe('app');
    expect(claims.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
  });
});

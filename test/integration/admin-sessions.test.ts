/**
 * User sessions in the admin API through @keycloak/keycloak-admin-client (users.listSessions,
 * listOfflineSessions, logout; realms.removeSession, logoutAll, getClientSessionStats;
 * clients.listSessions, listOfflineSessions, getSessionCount, getOfflineSessionCount), in
 * Keycloak's shapes (UserSessionRepresentation, times in ms; RealmAdminResource's stats with
 * counts as strings). Ending a session revokes its refresh tokens; a browser session ended by an
 * admin no longer logs the browser in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type KcAdminClient from '@keycloak/keycloak-admin-client';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { TestBrowser, signIn } from '../helpers/browser.ts';

const CALLBACK = 'http://localhost:4000/cb';
const REALM = 'sess';
let server: TestServer;
let kc: KcAdminClient;
const ids: Record<string, string> = {};

beforeAll(async () => {
  const person = (username: string) => ({
    username,
    enabled: true,
    realmRoles: ['offline_access'],
    credentials: [{ type: 'password', value: `${username}-password` }],
  });
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [
      {
        realm: REALM,
        clients: [
          { clientId: 'cli', publicClient: true, directAccessGrantsEnabled: true },
          { clientId: 'web', publicClient: true, redirectUris: ['http://localhost:4000/*'] },
        ],
        users: [person('bob'), person('carol')],
      },
    ],
  });
  kc = await masterAdmin(server.baseUrl);
  kc.setConfig({ realmName: REALM });
  for (const username of ['bob', 'carol'])
    ids[username] = (await kc.users.find({ username, exact: true }))[0].id!;
  for (const clientId of ['cli', 'web'])
    ids[clientId] = (await kc.clients.find({ clientId }))[0].id!;
});
afterAll(async () => {
  await server?.close();
});

async function token(form: Record<string, string>) {
  const res = await fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}
const password = async (username: string, scope = 'openid') =>
  (
    await token({
      grant_type: 'password',
      client_id: 'cli',
      username,
      password: `${username}-password`,
      scope,
    })
  ).body.refresh_token;
const refreshStatus = async (rt: string, clientId = 'cli') =>
  (await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: rt })).status;

const authUrl = `/realms/${REALM}/protocol/openid-connect/auth?${new URLSearchParams({
  client_id: 'web',
  response_type: 'code',
  scope: 'openid',
  redirect_uri: CALLBACK,
})}`;

async function browserLogin(username: string) {
  const browser = new TestBrowser();
  const done = await signIn(
    browser,
    `${server.baseUrl}${authUrl}`,
    server.baseUrl,
    username,
    `${username}-password`,
  );
  const tokens = await token({
    grant_type: 'authorization_code',
    client_id: 'web',
    code: new URL(done.url).searchParams.get('code')!,
    redirect_uri: CALLBACK,
  });
  return { browser, rt: tokens.body.refresh_token };
}

describe('admin sessions API', () => {
  it('lists, counts and ends sessions; ending one revokes its refresh tokens', async () => {
    const bobCli = await password('bob');
    const bobOffline = await password('bob', 'openid offline_access');
    const bobWeb = await browserLogin('bob');
    const carolCli = await password('carol');

    const bobSessions = await kc.users.listSessions({ id: ids.bob });
    expect(bobSessions).toHaveLength(3);
    for (const s of bobSessions) {
      expect(s).toMatchObject({
        id: expect.any(String),
        username: 'bob',
        userId: ids.bob,
        ipAddress: '127.0.0.1',
        rememberMe: false,
      });
      expect(s.start).toBeGreaterThan(1e12); // milliseconds
      expect(s.lastAccess).toBeGreaterThanOrEqual(s.start!);
    }
    expect(
      bobSessions
        .map((s) => s.clients)
        .sort((a, b) => (Object.values(a!)[0] < Object.values(b!)[0] ? -1 : 1)),
    ).toEqual([{ [ids.cli]: 'cli' }, { [ids.cli]: 'cli' }, { [ids.web]: 'web' }]);
    const offline = await kc.users.listOfflineSessions({ id: ids.bob, clientId: ids.cli });
    expect(offline).toEqual([
      expect.objectContaining({ username: 'bob', userId: ids.bob, clients: { [ids.cli]: 'cli' } }),
    ]);

    expect(await kc.clients.getSessionCount({ id: ids.cli })).toEqual({ count: 3 });
    expect(await kc.clients.getOfflineSessionCount({ id: ids.cli })).toEqual({ count: 1 });
    expect(await kc.clients.listSessions({ id: ids.cli })).toHaveLength(3);
    expect(await kc.clients.listSessions({ id: ids.cli, first: 1, max: 1 })).toHaveLength(1);
    expect(await kc.clients.listOfflineSessions({ id: ids.cli })).toHaveLength(1);
    const stats = await kc.realms.getClientSessionStats({ realm: REALM });
    expect(stats).toEqual(
      expect.arrayContaining([
        { id: ids.cli, clientId: 'cli', active: '3', offline: '1' },
        { id: ids.web, clientId: 'web', active: '1', offline: '0' },
      ]),
    );

    // The console's Sessions page (admin-ui-ext SessionsResource.realmSessions): regular and
    // offline sessions with their type; search in username, IP address and client ids; first/max.
    const uiExt = async (query: string) => {
      const res = await fetch(`${server.baseUrl}/admin/realms/${REALM}/ui-ext/sessions${query}`, {
        headers: { authorization: `Bearer ${await kc.getAccessToken()}` },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { type: string; username: string; clients: object }[];
    };
    const all = await uiExt('?max=100');
    expect(all.filter((r) => r.type === 'REGULAR')).toHaveLength(4);
    expect(all.filter((r) => r.type === 'OFFLINE')).toHaveLength(1);
    expect(await uiExt('')).toHaveLength(5); // max defaults to 10
    expect(await uiExt('?first=1&max=2')).toHaveLength(2);
    expect((await uiExt('?type=OFFLINE')).map((r) => r.username)).toEqual(['bob']);
    expect((await uiExt('?search=carol')).map((r) => r.username)).toEqual(['carol']);
    const web = await uiExt(`/client?clientId=${ids.web}`);
    expect(web.map((r) => [r.username, r.clients])).toEqual([['bob', { [ids.web]: 'web' }]]);

    // One session ended by id: its refresh token stops working, the others go on.
    const [carolSession] = await kc.users.listSessions({ id: ids.carol });
    await kc.realms.removeSession({ realm: REALM, sessionId: carolSession.id! });
    expect(await refreshStatus(carolCli)).toBe(400);
    expect(await kc.users.listSessions({ id: ids.carol })).toEqual([]);
    expect(await refreshStatus(bobCli)).toBe(200);

    // The offline session, by its id with isOffline=true.
    const res = await fetch(
      `${server.baseUrl}/admin/realms/${REALM}/sessions/${offline[0].id}?isOffline=true`,
      { method: 'DELETE', headers: { authorization: `Bearer ${await kc.getAccessToken()}` } },
    );
    expect(res.status).toBe(204);
    expect(await refreshStatus(bobOffline)).toBe(400);
    expect(await kc.clients.getOfflineSessionCount({ id: ids.cli })).toEqual({ count: 0 });

    // Every session of bob: the browser has to log in again.
    await kc.users.logout({ id: ids.bob });
    expect(await kc.users.listSessions({ id: ids.bob })).toEqual([]);
    expect(await refreshStatus(bobWeb.rt, 'web')).toBe(400);
    const again = await bobWeb.browser.follow(`${server.baseUrl}${authUrl}`, server.baseUrl);
    expect(await again.response?.text()).toContain('kc-form-login');
  });

  it('logout-all ends every session of the realm', async () => {
    const rt = await password('carol');
    const web = await browserLogin('bob');
    expect(await kc.realms.logoutAll({ realm: REALM })).toEqual({});
    expect(await kc.clients.getSessionCount({ id: ids.cli })).toEqual({ count: 0 });
    expect(await kc.clients.getSessionCount({ id: ids.web })).toEqual({ count: 0 });
    expect(await refreshStatus(rt)).toBe(400);
    expect(await refreshStatus(web.rt, 'web')).toBe(400);
  });

  it('unknown users, clients and sessions: Keycloak 404 bodies', async () => {
    const auth = { authorization: `Bearer ${await kc.getAccessToken()}` };
    const get = async (p: string, method = 'GET') => {
      const r = await fetch(`${server.baseUrl}/admin/realms/${REALM}${p}`, {
        method,
        headers: auth,
      });
      return { status: r.status, body: await r.json() };
    };
    expect(await get('/users/nobody/sessions')).toEqual({
      status: 404,
      body: { error: 'User not found' },
    });
    expect(await get('/clients/nothing/session-count')).toEqual({
      status: 404,
      body: { error: 'Could not find client' },
    });
    // RealmAdminResource.deleteSession: NotFoundException("Sesssion not found") (sic).
    expect(await get('/sessions/no-such-session', 'DELETE')).toEqual({
      status: 404,
      body: { error: 'Sesssion not found' },
    });
  });
});

/**
 * The event listings filter as Keycloak 26's RealmAdminResource does (getEvents, getAdminEvents),
 * asked through @keycloak/keycloak-admin-client on PostgreSQL: each filter narrows the result,
 * dates are yyyy-MM-dd days (UTC, both ends inclusive) or epoch milliseconds, and a bad value is a
 * 400 {"error": "..."}, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { decodeJwt } from 'jose';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import type EventRepresentation from '@keycloak/keycloak-admin-client/lib/defs/eventRepresentation.js';
import type AdminEventRepresentation from '@keycloak/keycloak-admin-client/lib/defs/adminEventRepresentation.js';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';

const available = await postgresAvailable();
const day = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe.skipIf(!available)('event listing filters (PostgreSQL)', () => {
  let server: TestServer;
  let drop: () => Promise<void>;
  let kc: KcAdminClient;
  let events: EventRepresentation[];
  let adminEvents: AdminEventRepresentation[];
  let aliceId: string;

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    server = await startServer({
      databaseUrl: database.url,
      realmFiles: [
        path.join(REPO, 'realms', 'master.json'),
        path.join(REPO, 'realms', 'demo.json'),
      ],
    });
    const token = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${server.baseUrl}/realms/demo/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body),
      });
    // One at a time, so that each event has its own place in the store's order.
    const settle = async (count: () => Promise<number>, n: number) => {
      for (let i = 0; i < 100 && (await count()) < n; i += 1)
        await new Promise((r) => setTimeout(r, 50));
    };
    kc = await masterAdmin(server.baseUrl);
    kc.setConfig({ realmName: 'demo' });
    const loginCount = async () => (await kc.realms.findEvents({ realm: 'demo' })).length;
    await token({
      grant_type: 'password',
      client_id: 'demo-cli',
      username: 'alice',
      password: 'alice',
    });
    await settle(loginCount, 1);
    await token({
      grant_type: 'password',
      client_id: 'demo-cli',
      username: 'alice',
      password: 'wrong',
    });
    await settle(loginCount, 2);
    await token(
      { grant_type: 'client_credentials' },
      {
        authorization: `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`,
      },
    );
    await settle(loginCount, 3);
    const adminCount = async () => (await kc.realms.findAdminEvents({ realm: 'demo' })).length;
    await kc.roles.create({ name: 'auditor' });
    await settle(adminCount, 1);
    const { id: carolId } = await kc.users.create({ username: 'carol', enabled: true });
    await settle(adminCount, 2);
    await kc.users.update({ id: carolId }, { firstName: 'Carol' });
    await settle(adminCount, 3);
    await kc.roles.delByName({ name: 'auditor' });
    await settle(adminCount, 4);
    events = await kc.realms.findEvents({ realm: 'demo' });
    adminEvents = await kc.realms.findAdminEvents({ realm: 'demo' });
    aliceId = (await kc.users.find({ username: 'alice', exact: true }))[0].id!;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  const find = (q: Record<string, unknown>) =>
    kc.realms.findEvents({ realm: 'demo', ...q } as never);
  const findAdmin = (q: Record<string, unknown>) =>
    kc.realms.findAdminEvents({ realm: 'demo', ...q } as never);
  const get = async (listing: string, query: string) => {
    const response = await fetch(`${server.baseUrl}/admin/realms/demo/${listing}?${query}`, {
      headers: { authorization: `Bearer ${await kc.getAccessToken()}` },
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('events: type, client, user, ipAddress', async () => {
    expect(events.map((e) => e.type)).toEqual(['CLIENT_LOGIN', 'LOGIN_ERROR', 'LOGIN']);
    expect((await find({ type: 'LOGIN' })).map((e) => e.type)).toEqual(['LOGIN']);
    expect((await find({ type: ['LOGIN', 'CLIENT_LOGIN'] })).map((e) => e.type)).toEqual([
      'CLIENT_LOGIN',
      'LOGIN',
    ]);
    expect((await find({ client: 'demo-service' })).map((e) => e.type)).toEqual(['CLIENT_LOGIN']);
    expect((await find({ client: 'demo-cli', type: 'LOGIN_ERROR' })).map((e) => e.type)).toEqual([
      'LOGIN_ERROR',
    ]);
    const alices = await find({ user: aliceId });
    expect(alices.map((e) => e.type)).toContain('LOGIN');
    expect(alices.every((e) => e.userId === aliceId)).toBe(true);
    expect(alices).toEqual(events.filter((e) => e.userId === aliceId));
    expect(await find({ user: 'someone-else' })).toEqual([]);
    expect(await find({ ipAddress: '127.0.0.1' })).toHaveLength(3);
    expect(await find({ ipAddress: '10.9.9.9' })).toEqual([]);
  });

  it('events: dateFrom, dateTo (days or epoch milliseconds), first, max, direction', async () => {
    expect(await find({ dateFrom: day(0), dateTo: day(0) })).toHaveLength(3);
    expect(await find({ dateTo: day(-1) })).toEqual([]);
    expect(await find({ dateFrom: day(1) })).toEqual([]);
    const [newest, , oldest] = events;
    expect(await find({ dateFrom: String(newest.time) })).toEqual(
      events.filter((e) => e.time! >= newest.time!),
    );
    expect(await find({ dateTo: String(oldest.time) })).toEqual(
      events.filter((e) => e.time! <= oldest.time!),
    );
    expect(await find({ max: 1 })).toEqual([newest]);
    expect(await find({ first: 1, max: 1 })).toEqual([events[1]]);
    expect(await find({ max: 0 })).toEqual([]);
    expect((await get('events', 'direction=asc')).body).toEqual([...events].reverse());
    expect((await get('events', 'direction=desc')).body).toEqual(events);
  });

  it('admin events: operationTypes, resourcePath with *, resourceTypes, auth details', async () => {
    expect(adminEvents.map((e) => `${e.operationType} ${e.resourcePath?.split('/')[0]}`)).toEqual([
      'DELETE roles',
      'UPDATE users',
      'CREATE users',
      'CREATE roles',
    ]);
    expect(adminEvents[1].resourcePath).toMatch(/^users\/[\w-]+$/);
    expect((await findAdmin({ operationTypes: 'CREATE' })).map((e) => e.operationType)).toEqual([
      'CREATE',
      'CREATE',
    ]);
    expect(
      (await findAdmin({ operationTypes: ['UPDATE', 'DELETE'] })).map((e) => e.operationType),
    ).toEqual(['DELETE', 'UPDATE']);
    expect(
      (await findAdmin({ resourcePath: adminEvents[1].resourcePath })).map((e) => e.operationType),
    ).toEqual(['UPDATE']);
    expect((await findAdmin({ resourcePath: 'users*' })).map((e) => e.operationType)).toEqual([
      'UPDATE',
      'CREATE',
    ]);
    expect((await findAdmin({ resourcePath: 'roles/*' })).map((e) => e.resourcePath)).toEqual([
      'roles/auditor',
    ]);
    expect((await findAdmin({ resourcePath: 'roles' })).map((e) => e.operationType)).toEqual([
      'CREATE',
    ]);
    expect((await findAdmin({ resourcePath: '*auditor' })).map((e) => e.operationType)).toEqual([
      'DELETE',
    ]);
    expect(await findAdmin({ resourcePath: 'role_' })).toEqual([]);
    expect((await findAdmin({ resourceTypes: 'USER' })).map((e) => e.operationType)).toEqual([
      'UPDATE',
      'CREATE',
    ]);
    // authDetails holds ids, as Keycloak's: the admin's user id, admin-cli's id, master's id.
    const [adminCli] = await kc.clients.find({ realm: 'master', clientId: 'admin-cli' });
    const master = await kc.realms.findOne({ realm: 'master' });
    expect(
      await findAdmin({
        authUser: decodeJwt(kc.accessToken!).sub!,
        authRealm: master!.id!,
        authClient: adminCli!.id!,
        authIpAddress: '127.0.0.1',
      }),
    ).toEqual(adminEvents);
    expect(await findAdmin({ authUser: 'admin' })).toEqual([]);
    expect(await findAdmin({ authClient: 'admin-cli' })).toEqual([]);
    expect(await findAdmin({ authRealm: 'master' })).toEqual([]);
    expect(await findAdmin({ authIpAddress: '10.9.9.9' })).toEqual([]);
  });

  it('admin events: dateFrom, dateTo, first, max, direction', async () => {
    expect(await findAdmin({ dateFrom: day(0), dateTo: day(0) })).toEqual(adminEvents);
    expect(await findAdmin({ dateTo: day(-1) })).toEqual([]);
    expect(await findAdmin({ dateFrom: String(adminEvents[0].time) })).toEqual(
      adminEvents.filter((e) => e.time! >= adminEvents[0].time!),
    );
    expect(await findAdmin({ first: 1, max: 2 })).toEqual(adminEvents.slice(1, 3));
    expect((await get('admin-events', 'direction=asc&max=1')).body).toEqual([adminEvents[3]]);
  });

  it("answers a bad value with 400 and Keycloak's error body", async () => {
    const dateError = (name: string) => ({
      error: `Invalid value for '${name}', expected format is yyyy-MM-dd or an Epoch timestamp`,
    });
    for (const listing of ['events', 'admin-events']) {
      for (const [query, body] of [
        ['max=abc', { error: "Invalid value for 'max', expected an integer from 0 to 2147483647" }],
        ['max=-1', { error: "Invalid value for 'max', expected an integer from 0 to 2147483647" }],
        [
          'max=99999999999',
          { error: "Invalid value for 'max', expected an integer from 0 to 2147483647" },
        ],
        [
          'first=1.5',
          { error: "Invalid value for 'first', expected an integer from 0 to 2147483647" },
        ],
        ['dateFrom=2024-13-01', dateError('dateFrom')],
        ['dateFrom=2023-02-29', dateError('dateFrom')],
        ['dateFrom=-5', dateError('dateFrom')],
        ['dateTo=yesterday', dateError('dateTo')],
        [
          'direction=sideways',
          { error: 'Invalid value for sortDirection, expected value is asc or desc' },
        ],
      ] as const) {
        expect({ listing, query, ...(await get(listing, query)) }).toEqual({
          listing,
          query,
          status: 400,
          body,
        });
      }
    }
    expect(await get('events', 'type=LOGIN&type=login')).toEqual({
      status: 400,
      body: { error: "Invalid value for 'type', expected event type names such as LOGIN" },
    });
    expect(await get('admin-events', 'operationTypes=NOPE')).toEqual({
      status: 400,
      body: {
        error: "Invalid value for 'operationTypes', expected CREATE, UPDATE, DELETE or ACTION",
      },
    });
    expect(await get('admin-events', 'resourceTypes=user')).toEqual({
      status: 400,
      body: {
        error: "Invalid value for 'resourceTypes', expected resource type names such as USER",
      },
    });
    await expect(find({ max: 'abc' })).rejects.toMatchObject({ response: { status: 400 } });
  });
});

/**
 * Keycloak-style events: login and admin events stored and readable through the admin API
 * (@keycloak/keycloak-admin-client), chained with an HMAC; `npm start -- events verify` names an
 * edited login event, an edited admin event and a deleted event, on PGlite and on PostgreSQL.
 * What is saved follows the realm's events config, as in Keycloak: nothing by default, the
 * saved-by-default types, or the enabled types.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { REPO, startServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';
import { openSqlClient } from '../../src/store/sql.ts';

const run = promisify(execFile);
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const postgres = await postgresAvailable();

describe('events', () => {
  // The case, on both stores: tamper with stored events and `events verify` names them.
  for (const store of ['PGlite', 'PostgreSQL'] as const) {
    it.skipIf(store === 'PostgreSQL' && !postgres)(
      `records login and admin events, serves them, and names a tampered login and admin event (${store})`,
      async () => {
        const database = store === 'PostgreSQL' ? await createTestDatabase() : undefined;
        if (database) cleanups.push(database.drop);
        const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-events-'));
        cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
        const server = await startServer({
          dataDir,
          databaseUrl: database?.url,
          realmFiles: [
            path.join(REPO, 'realms', 'master.json'),
            path.join(REPO, 'realms', 'demo.json'),
          ],
        });
        const grant = (password: string) =>
          fetch(`${server.baseUrl}/realms/demo/protocol/openid-connect/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'password',
              client_id: 'demo-cli',
              username: 'alice',
              password,
            }),
          });
        const [{ id: realmId }] = await server.db.query<{ id: string }>(
          "SELECT id FROM realms WHERE name = 'demo'",
        );
        const stored = async (n: number) => {
          for (let i = 0; i < 100; i += 1) {
            const rows = await server.db.query<{ id: string; type: string }>(
              'SELECT id, type FROM events WHERE realm_id = $1 ORDER BY id',
              [realmId],
            );
            if (rows.length >= n) return rows;
            await new Promise((r) => setTimeout(r, 50));
          }
          throw new Error(`fewer than ${n} events stored`);
        };
        // One at a time: the chain order is then the order of the steps below.
        await grant('alice');
        await stored(1);
        await grant('wrong');
        await stored(2);
        await fetch(`${server.baseUrl}/realms/demo/protocol/openid-connect/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`,
          },
          body: 'grant_type=client_credentials',
        });
        await stored(3);
        const kc = await masterAdmin(server.baseUrl);
        kc.setConfig({ realmName: 'demo' });
        await kc.roles.create({ name: 'auditor' });
        await stored(4);
        await kc.roles.create({ name: 'reviewer' });
        const rows = await stored(5);
        expect(rows.map((r) => r.type)).toEqual([
          'LOGIN',
          'LOGIN_ERROR',
          'CLIENT_LOGIN',
          'CREATE',
          'CREATE',
        ]);
        const ids = rows.map((r) => Number(r.id));

        const events = await kc.realms.findEvents({ realm: 'demo' });
        expect(events.map((e) => e.type)).toEqual(['CLIENT_LOGIN', 'LOGIN_ERROR', 'LOGIN']);
        expect(events.find((e) => e.type === 'LOGIN_ERROR')).toMatchObject({
          clientId: 'demo-cli',
          error: 'invalid_user_credentials',
        });
        const adminEvents = await kc.realms.findAdminEvents({ realm: 'demo' });
        // Keycloak's AuthDetails: ids, not names (the admin's user id, admin-cli's id, master's id).
        const [adminCli] = await kc.clients.find({ realm: 'master', clientId: 'admin-cli' });
        const master = await kc.realms.findOne({ realm: 'master' });
        expect(adminEvents[1]).toMatchObject({
          operationType: 'CREATE',
          resourcePath: 'roles',
          authDetails: {
            userId: decodeJwt(kc.accessToken!).sub,
            clientId: adminCli!.id,
            realmId: master!.id,
            ipAddress: '127.0.0.1',
          },
        });
        await server.stop();

        const env = {
          ...process.env,
          DATA_DIR: dataDir,
          ...(database ? { DATABASE_URL: database.url } : {}),
          KEY_ENCRYPTION_KEY: server.config.keyEncryptionKey.toString('base64'),
          LOG_LEVEL: 'silent',
        };
        const verify = () =>
          run(process.execPath, ['src/main.ts', 'events', 'verify'], { cwd: REPO, env }).then(
            (r) => ({ code: 0, out: r.stdout }),
            (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
          );
        expect((await verify()).out).toMatch(/^events intact: \d+ events checked/);

        const db = await openSqlClient({ dataDir, databaseUrl: database?.url });
        await db.query(
          "UPDATE events SET representation = jsonb_set(representation, '{ipAddress}', '\"10.6.6.6\"') WHERE id = $1",
          [ids[1]],
        );
        await db.query('DELETE FROM events WHERE id = $1', [ids[2]]);
        await db.query(
          "UPDATE events SET representation = jsonb_set(representation, '{resourcePath}', '\"roles/forged\"') WHERE id = $1",
          [ids[4]],
        );
        await db.close();
        const tampered = await verify();
        expect(tampered.code).toBe(1);
        expect(tampered.out.trim().split('\n')).toEqual([
          `TAMPERED realm ${realmId}: event ${ids[1]} (LOGIN_ERROR) was modified`,
          `TAMPERED realm ${realmId}: event ${ids[3]} does not follow event ${ids[1]}: an event before it was deleted`,
          `TAMPERED realm ${realmId}: event ${ids[4]} (CREATE) was modified`,
        ]);
      },
    );
  }

  it('records failed grants as Keycloak _ERROR events: a reused refresh token, a wrong client secret', async () => {
    const realm = {
      realm: 'failures',
      eventsEnabled: true,
      enabledEventTypes: [
        'REFRESH_TOKEN_ERROR',
        'CLIENT_LOGIN_ERROR',
        'REFRESH_TOKEN',
        'LOGIN_ERROR',
      ],
      users: [{ username: 'ann', credentials: [{ value: 'ann-password' }] }],
      clients: [
        { clientId: 'cli', publicClient: true, directAccessGrantsEnabled: true },
        {
          clientId: 'svc',
          secret: 'svc-secret',
          serviceAccountsEnabled: true,
          standardFlowEnabled: false,
        },
      ],
    };
    const server = await startServer({
      realms: [realm],
      realmFiles: [path.join(REPO, 'realms', 'master.json')],
    });
    try {
      const token = (body: Record<string, string>, headers: Record<string, string> = {}) =>
        fetch(`${server.baseUrl}/realms/failures/protocol/openid-connect/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams(body),
        });
      const login = (await (
        await token({
          grant_type: 'password',
          client_id: 'cli',
          username: 'ann',
          password: 'ann-password',
        })
      ).json()) as { refresh_token: string; access_token: string };
      expect(
        (
          await token({
            grant_type: 'refresh_token',
            client_id: 'cli',
            refresh_token: login.refresh_token,
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await token({
            grant_type: 'refresh_token',
            client_id: 'cli',
            refresh_token: login.refresh_token,
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await token(
            { grant_type: 'client_credentials' },
            { authorization: `Basic ${Buffer.from('svc:not-the-secret-9431').toString('base64')}` },
          )
        ).status,
      ).toBe(401);
      const unknown = `nobody-${'x'.repeat(400)}`;
      expect(
        (
          await token({
            grant_type: 'client_credentials',
            client_id: unknown,
            client_secret: 'not-the-secret-9431',
          })
        ).status,
      ).toBe(401);
      expect(
        (
          await token(
            { grant_type: 'password', username: 'ann', password: 'ann-password' },
            { authorization: `Basic ${Buffer.from('svc:not-the-secret-9431').toString('base64')}` },
          )
        ).status,
      ).toBe(401);

      const kc = await masterAdmin(server.baseUrl);
      let events = await kc.realms.findEvents({ realm: 'failures' });
      for (let i = 0; i < 50 && events.length < 5; i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        events = await kc.realms.findEvents({ realm: 'failures' });
      }
      expect(events.map((e) => e.type)).toEqual([
        'LOGIN_ERROR',
        'CLIENT_LOGIN_ERROR',
        'CLIENT_LOGIN_ERROR',
        'REFRESH_TOKEN_ERROR',
        'REFRESH_TOKEN',
      ]);
      // A password grant whose client fails to authenticate (Keycloak: LOGIN_ERROR); an unknown
      // client as the form named it, cut to Keycloak's 255 characters; a known one with a wrong secret.
      expect(events[0]).toMatchObject({
        clientId: 'svc',
        error: 'invalid_client_credentials',
        details: { grant_type: 'password' },
      });
      expect(events[1]).toMatchObject({
        clientId: unknown.slice(0, 255),
        error: 'client_not_found',
        details: { grant_type: 'client_credentials' },
      });
      expect(events[2]).toMatchObject({
        clientId: 'svc',
        error: 'invalid_client_credentials',
        details: { grant_type: 'client_credentials' },
      });
      const userId = (await kc.users.find({ realm: 'failures', username: 'ann' }))[0].id;
      expect(events[3]).toMatchObject({
        clientId: 'cli',
        userId,
        error: 'invalid_token',
        details: { grant_type: 'refresh_token', reason: 'refresh token already used' },
      });
      expect(JSON.stringify(events)).not.toContain('not-the-secret-9431');
    } finally {
      await server.close();
    }
  });

  it('saves what the realm events config says, and serves the config', async () => {
    const realm = {
      realm: 'quiet',
      users: [{ username: 'ann', credentials: [{ value: 'ann-password' }] }],
      clients: [{ clientId: 'cli', publicClient: true, directAccessGrantsEnabled: true }],
    };
    const server = await startServer({
      realms: [realm],
      realmFiles: [path.join(REPO, 'realms', 'master.json')],
    });
    try {
      const grant = (body: Record<string, string>) =>
        fetch(`${server.baseUrl}/realms/quiet/protocol/openid-connect/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ client_id: 'cli', ...body }),
        }).then((r) => r.json() as Promise<{ refresh_token?: string }>);
      const login = (password: string) =>
        grant({ grant_type: 'password', username: 'ann', password });
      const kc = await masterAdmin(server.baseUrl);
      const settle = () => new Promise((r) => setTimeout(r, 300));

      // Keycloak's default: no event saved, no admin event saved.
      expect(await kc.realms.getConfigEvents({ realm: 'quiet' })).toMatchObject({
        eventsEnabled: false,
        adminEventsEnabled: false,
        enabledEventTypes: [],
      });
      await login('ann-password');
      await kc.roles.create({ realm: 'quiet', name: 'unrecorded' } as never);
      await settle();
      expect(await kc.realms.findEvents({ realm: 'quiet' })).toEqual([]);
      expect(await kc.realms.findAdminEvents({ realm: 'quiet' })).toEqual([]);

      // Enabled with no types: the saved-by-default ones (LOGIN yes, REFRESH_TOKEN no).
      await kc.realms.updateConfigEvents(
        { realm: 'quiet' },
        { eventsEnabled: true, adminEventsEnabled: true },
      );
      const { refresh_token } = await login('ann-password');
      await grant({ grant_type: 'refresh_token', refresh_token: refresh_token! });
      await settle();
      expect((await kc.realms.findEvents({ realm: 'quiet' })).map((e) => e.type)).toEqual([
        'LOGIN',
      ]);
      expect(
        (await kc.realms.findAdminEvents({ realm: 'quiet' })).map((e) => e.resourcePath),
      ).toEqual(['events/config']);

      // Only the listed types; a PUT changes only the fields it carries.
      await kc.realms.updateConfigEvents(
        { realm: 'quiet' },
        { enabledEventTypes: ['LOGIN_ERROR'] },
      );
      expect(await kc.realms.getConfigEvents({ realm: 'quiet' })).toMatchObject({
        eventsEnabled: true,
        adminEventsEnabled: true,
        enabledEventTypes: ['LOGIN_ERROR'],
      });
      await login('ann-password');
      await login('wrong');
      await settle();
      expect((await kc.realms.findEvents({ realm: 'quiet' })).map((e) => e.type)).toEqual([
        'LOGIN_ERROR',
        'LOGIN',
      ]);

      await expect(
        kc.realms.updateConfigEvents({ realm: 'quiet' }, { eventsEnabled: 'yes' } as never),
      ).rejects.toMatchObject({ response: { status: 400 } });
    } finally {
      await server.stop();
    }
  });
});

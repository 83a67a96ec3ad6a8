/**
 * Admin events are appended after the response: a failed append is logged as `event not recorded`
 * (realm, operation, error message; no secret), as a login event's is, and EventWriter#flush (what a
 * shutdown awaits before closing the store) waits for an append still looking up its realm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { recordAdminEvents } from '../../src/admin/events.ts';
import { EventWriter } from '../../src/events/store.ts';
import { createLogger } from '../../src/log.ts';
import type { SqlClient } from '../../src/store/sql.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'qsign-admin-events-'));
const logFile = path.join(dir, 'server.log');
let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    logFile,
    env: { LOG_LEVEL: 'info' },
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [{ realm: 'audited', adminEventsEnabled: true }],
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const adminEvents = async () =>
  Number(
    (
      await server.db.query<{ n: string }>(
        "SELECT count(*) AS n FROM events e JOIN realms r ON r.id = e.realm_id WHERE r.name = 'audited' AND e.kind = 'admin'",
      )
    )[0].n,
  );

describe('admin event recording', () => {
  it('waits in EventWriter#flush for an admin event whose realm lookup is still running', async () => {
    // The store, with 300 ms more on every realm lookup: the append starts well after the response.
    const slow = new Proxy(server.db, {
      get(target, name) {
        if (name === 'query') {
          return async (text: string, params?: unknown[]) => {
            if (/FROM realms/.test(text)) await new Promise((r) => setTimeout(r, 300));
            return target.query(text, params);
          };
        }
        const value = Reflect.get(target, name) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as SqlClient;
    const slowEvents = new EventWriter(slow);
    const app = new Koa();
    app.use(async (ctx, next) => {
      ctx.state.admin = {
        realm: 'master',
        username: 'admin',
        superAdmin: true,
        realmAdminOf: new Set(),
      };
      await next();
    });
    app.use(
      recordAdminEvents({
        db: slow,
        events: slowEvents,
        registry: server.registry,
        kek: server.config.keyEncryptionKey,
        baseUrl: server.baseUrl,
        log: createLogger('silent'),
      }),
    );
    app.use((ctx) => {
      ctx.status = 204;
    });
    const listener = http.createServer(app.callback());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const before = await adminEvents();
      const response = await fetch(
        `http://127.0.0.1:${(listener.address() as AddressInfo).port}/admin/realms/audited/roles/flushed`,
        { method: 'PUT' },
      );
      expect(response.status).toBe(204);
      await slowEvents.flush();
      expect(await adminEvents()).toBe(before + 1);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it('logs an admin event the store refuses as "event not recorded", without secrets', async () => {
    const kc = await masterAdmin(server.baseUrl);
    const before = await adminEvents();
    await server.db.query('ALTER TABLE events RENAME TO events_away');
    try {
      await kc.roles.create({ realm: 'audited', name: 'unrecorded' } as never);
      await server.services.events.flush();
      const lines = () =>
        existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : [];
      for (let i = 0; i < 50 && !lines().some((l) => l.includes('event not recorded')); i += 1)
        await new Promise((r) => setTimeout(r, 50));
      const line = lines()
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === 'event not recorded');
      expect(line).toMatchObject({
        level: 50,
        realm: 'audited',
        type: 'CREATE',
        err: { message: expect.stringContaining('events') },
      });
      const log = readFileSync(logFile, 'utf8');
      expect(log).not.toContain('admin-test-password');
      expect(log).not.toContain((await kc.getAccessToken())!);
    } finally {
      await server.db.query('ALTER TABLE events_away RENAME TO events');
    }
    expect(await adminEvents()).toBe(before);
  });
});

/**
 * The password grant stores its user session, grant, refresh token and access token row in one
 * statement (adapters/postgres.ts `deferWrites`), before it answers: a failure of the last write
 * leaves none of them (before, each was its own autocommit INSERT, and a failed refresh token
 * INSERT left the session, the grant and the access token behind). A refresh touches the token's
 * session in its rotation's statement (its expiry moved on) and never re-creates a session that
 * ended meanwhile. Faults are injected through the store client the server is given
 * (test/helpers/server.ts `wrapSqlClient`), on PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { StoreUnavailableError, type SqlClient } from '../../src/store/sql.ts';
import { classify } from '../../bench/store-statements.ts';

const REALM = 'atomic';
const REALM_DOC = {
  realm: REALM,
  clients: [{ clientId: 'cli', publicClient: true, directAccessGrantsEnabled: true }],
  users: [{ username: 'bob', enabled: true, credentials: [{ type: 'password', value: 'bob-pw' }] }],
};

/** A statement about to run; `before` may throw (the statement then never runs) or act first. */
type Hook = (text: string, params: unknown[]) => Promise<void>;

/** `db` with `hook.current` run before each statement (transactions' statements included). */
function hooked(db: SqlClient, hook: { current?: Hook }): SqlClient {
  return {
    kind: db.kind,
    keyEncryptionKey: db.keyEncryptionKey,
    close: () => db.close(),
    query: async (text, params = []) => {
      await hook.current?.(text, params);
      return db.query(text, params);
    },
    transaction: (fn, options) => db.transaction((tx) => fn(hooked(tx, hook)), options),
  };
}

const stores = await testStores();

describe.each(stores)('password grant writes on $name', (store) => {
  let database: { url: string; drop: () => Promise<void> } | undefined;
  let server: TestServer;
  let raw: SqlClient;
  const hook: { current?: Hook } = {};

  beforeAll(async () => {
    database = await store.databaseUrl?.();
    server = await startServer({
      databaseUrl: database?.url,
      realms: [REALM_DOC],
      wrapSqlClient: (db) => {
        raw = db;
        return hooked(db, hook);
      },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  const token = (form: Record<string, string>) =>
    fetch(`${server.baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'cli', ...form }),
    });
  const password = () =>
    token({ grant_type: 'password', username: 'bob', password: 'bob-pw', scope: 'openid' });
  const rowsByModel = async () => {
    const rows = await raw.query<{ model: string; n: number | string }>(
      `SELECT model, count(*) AS n FROM oidc_payloads
       WHERE model IN ('Session', 'Grant', 'RefreshToken', 'AccessToken') GROUP BY model`,
    );
    return Object.fromEntries(rows.map((r) => [r.model, Number(r.n)]));
  };
  const sessionRow = (id: string) =>
    raw.query<{ payload: { exp: number; lastAccess: number }; expires_at: Date }>(
      "SELECT payload, expires_at FROM oidc_payloads WHERE model = 'Session' AND id = $1",
      [id],
    );

  it('a failed last write (the refresh token) leaves no session, grant or token row', async () => {
    const before = await rowsByModel();
    hook.current = async (text, params) => {
      if (/INSERT INTO oidc_payloads/.test(text) && params.includes('RefreshToken'))
        throw new StoreUnavailableError(raw.kind, new Error('injected: store down'));
    };
    const res = await password().finally(() => (hook.current = undefined));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable');
    expect(await rowsByModel()).toEqual(before);

    // The store back: the grant stores all four, bound together.
    const ok = await password();
    expect(ok.status).toBe(200);
    const after = await rowsByModel();
    for (const model of ['Session', 'Grant', 'RefreshToken', 'AccessToken'])
      expect(after[model] ?? 0, model).toBe((before[model] ?? 0) + 1);
  });

  it('a refresh moves its session expiry on, in the rotation statement', async () => {
    await raw.query('DELETE FROM oidc_payloads');
    const body = (await (await password()).json()) as { refresh_token: string };
    const [session] = await raw.query<{ id: string }>(
      "SELECT id FROM oidc_payloads WHERE model = 'Session'",
    );
    // Shortened by hand: a refresh must set it back to the realm's idle timeout (1800 s).
    await raw.query(
      "UPDATE oidc_payloads SET expires_at = now() + interval '60 seconds' WHERE model = 'Session' AND id = $1",
      [session.id],
    );
    const [old] = await sessionRow(session.id);
    const writes: string[] = [];
    hook.current = async (text, params) => {
      if (classify(text, params)[0].startsWith('write')) writes.push(text);
    };
    const res = await token({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
    hook.current = undefined;
    expect(res.status).toBe(200);
    const [row] = await sessionRow(session.id);
    expect(new Date(row.expires_at).getTime()).toBeGreaterThan(Date.now() + 1_000 * 1_000);
    expect(row.payload.exp).toBeGreaterThanOrEqual(old.payload.exp);
    expect(row.payload.exp).toBeGreaterThan(Date.now() / 1000 + 1_000);
    expect(row.payload.lastAccess).toBeGreaterThanOrEqual(old.payload.lastAccess);
    // Only the rotation statement writes (the session is touched inside it).
    expect(writes).toHaveLength(1);
  });

  it('a session ended while its token is refreshed stays ended', async () => {
    const body = (await (await password()).json()) as { refresh_token: string };
    hook.current = async (text) => {
      if (!/WITH used AS/.test(text)) return;
      hook.current = undefined;
      // A logout between oidc-provider's session check and the rotation.
      await raw.query("DELETE FROM oidc_payloads WHERE model = 'Session'");
    };
    const res = await token({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
    hook.current = undefined;
    expect(res.status).toBe(200);
    expect((await rowsByModel()).Session ?? 0).toBe(0);
  });
});

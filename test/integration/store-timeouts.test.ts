/**
 * The PostgreSQL store's bounds (src/store/sql.ts): a statement past 4 s is cancelled by the
 * server and answered as "store unavailable" (503), while a transaction opened for long work
 * (`{ timeoutMs: 0 }`, migrations) is not bounded; a transaction whose server falls silent gives
 * up after the client-side bound and discards its connection rather than waiting on a ROLLBACK.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { openSqlClient, StoreUnavailableError, type SqlClient } from '../../src/store/sql.ts';

const available = await postgresAvailable();
let db: SqlClient;
let drop: (() => Promise<void>) | undefined;
let url: URL;
beforeAll(async () => {
  if (!available) return;
  const created = await createTestDatabase();
  drop = created.drop;
  url = new URL(created.url);
  db = await openSqlClient({ databaseUrl: created.url, dataDir: '' });
});
afterAll(async () => {
  await db?.close();
  await drop?.();
});

const timed = async (work: Promise<unknown>): Promise<{ error?: unknown; ms: number }> => {
  const started = Date.now();
  const error = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  return { error, ms: Date.now() - started };
};

describe.skipIf(!available)('PostgreSQL store bounds', () => {
  it('cancels a statement past 4 s (StoreUnavailableError), not one in a transaction opened with { timeoutMs: 0 }', async () => {
    const [bounded, long] = await Promise.all([
      timed(db.query('SELECT pg_sleep(4.5)')),
      timed(db.transaction((tx) => tx.query('SELECT pg_sleep(4.5)'), { timeoutMs: 0 })),
    ]);
    expect(bounded.error).toBeInstanceOf(StoreUnavailableError);
    // Cancelled by the server (57014) at its 4 s, before the client's own 5 s.
    expect(((bounded.error as Error).cause as { code?: string }).code).toBe('57014');
    expect(bounded.ms).toBeLessThan(4_900);
    expect(long.error).toBeUndefined();
    expect(long.ms).toBeGreaterThanOrEqual(4_500);
    // Sessions start with the 4 s bound (a transaction's SET LOCAL ends with it).
    await expect(db.transaction((tx) => tx.query('SHOW statement_timeout'))).resolves.toEqual([
      { statement_timeout: '4s' },
    ]);
  });

  it('a transaction on a silent server gives up after 5 s, discards its connection, and the next query works once it answers', async () => {
    const proxy: TcpProxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    const viaProxy = new URL(url);
    viaProxy.port = String(proxy.port);
    const small = await openSqlClient({
      databaseUrl: viaProxy.toString(),
      dataDir: '',
      poolSize: 1,
    });
    try {
      proxy.partition();
      const cut = await timed(small.transaction((tx) => tx.query('SELECT 1')));
      expect(cut.error).toBeInstanceOf(StoreUnavailableError);
      // One client-side bound (BEGIN), not a second one for a ROLLBACK on the dead connection.
      expect(cut.ms).toBeLessThan(6_500);
      proxy.heal();
      await expect(small.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    } finally {
      proxy.heal();
      await small.close();
      await proxy.close();
    }
  });
});

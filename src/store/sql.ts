/**
 * SqlClient: the one database interface of qsign-oidc, over real PostgreSQL (`pg`) when a
 * connection URL is given, or over PGlite (PostgreSQL compiled to WebAssembly, persisted in a
 * folder) otherwise. Both speak the same SQL dialect, so every repository is written once.
 *
 * Errors: a query on a database that is down rejects with `StoreUnavailableError` (message names
 * the back end, never the connection string's password); SQL errors are re-thrown as they are.
 */
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

export interface SqlClient {
  /** Runs one statement with `$1..$n` parameters and returns its rows. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` inside BEGIN/COMMIT; any throw rolls the whole transaction back. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** "postgresql" or "pglite", for health output and logs. */
  readonly kind: 'postgresql' | 'pglite';
}

export class StoreUnavailableError extends Error {
  constructor(kind: string, cause: unknown) {
    super(`the ${kind} store is unavailable`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08006', '08001', '08003']);

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  if (code && CONNECTION_ERRORS.has(code)) return true;
  const message = (err as Error)?.message ?? '';
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(message);
}

class PgClient implements SqlClient {
  readonly kind = 'postgresql' as const;
  readonly #pool: pg.Pool;
  readonly #conn: pg.PoolClient | undefined;

  constructor(pool: pg.Pool, conn?: pg.PoolClient) {
    this.#pool = pool;
    this.#conn = conn;
  }

  async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
    try {
      const result = await (this.#conn ?? this.#pool).query(text, params);
      return result.rows as T[];
    } catch (err) {
      if (isConnectionError(err)) throw new StoreUnavailableError(this.kind, err);
      throw err;
    }
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    if (this.#conn) return fn(this);
    let conn: pg.PoolClient;
    try {
      conn = await this.#pool.connect();
    } catch (err) {
      throw new StoreUnavailableError(this.kind, err);
    }
    // A connection that dies mid-transaction emits 'error' on the client: without a listener that
    // would crash the process. The failing query rejects anyway; the connection is then discarded.
    let broken: Error | undefined;
    const onError = (err: Error) => { broken = err; };
    conn.on('error', onError);
    try {
      await conn.query('BEGIN');
      const result = await fn(new PgClient(this.#pool, conn));
      await conn.query('COMMIT');
      return result;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      if (isConnectionError(err)) throw new StoreUnavailableError(this.kind, err);
      throw err;
    } finally {
      conn.off('error', onError);
      conn.release(broken ?? undefined);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

type PGliteLike = Pick<PGlite, 'query' | 'transaction' | 'close'>;
type PGliteTx = { query: PGlite['query'] };

class PgliteClient implements SqlClient {
  readonly kind = 'pglite' as const;
  readonly #db: PGliteLike;
  readonly #tx: PGliteTx | undefined;

  constructor(db: PGliteLike, tx?: PGliteTx) {
    this.#db = db;
    this.#tx = tx;
  }

  async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
    const result = await (this.#tx ?? this.#db).query<T>(text, params);
    return result.rows;
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    if (this.#tx) return fn(this);
    return this.#db.transaction((tx) => fn(new PgliteClient(this.#db, tx)));
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}

/**
 * Opens the store.
 * @param options.databaseUrl `postgres://user:pass@host:port/db`; when absent, PGlite in `dataDir`.
 * @param options.dataDir folder for PGlite files (created if missing); `memory://` for a throwaway store.
 */
export async function openSqlClient(options: { databaseUrl?: string; dataDir: string; poolSize?: number }): Promise<SqlClient> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const client = new PgClient(pool);
    await client.query('SELECT 1');
    return client;
  }
  let dataDir = options.dataDir;
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    dataDir = `${dataDir}/pglite`;
  }
  const db = await PGlite.create(dataDir);
  return new PgliteClient(db);
}

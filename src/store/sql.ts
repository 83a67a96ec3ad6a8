/**
 * SqlClient: the one database interface of qsign-oidc, over real PostgreSQL (`pg`) when a
 * connection URL is given, or over PGlite (PostgreSQL compiled to WebAssembly, persisted in a
 * folder) otherwise. Both speak the same SQL dialect, so every repository is written once.
 *
 * Errors: a query on a database that is down, silent or too slow rejects with
 * `StoreUnavailableError` (message names the back end, never the connection string's password);
 * SQL errors are re-thrown as they are.
 *
 * Bounds (PostgreSQL): getting a connection 5 s; a statement 4 s on the server
 * (`statement_timeout`, so a slow or lock-waiting statement is cancelled cleanly), and 5 s on the
 * client (a server that has not answered a second after its own bound is silent: partition,
 * stopped process); a transaction idle between statements 30 s (`idle_in_transaction_session_
 * timeout`: locks of a client that vanished mid-transaction are freed); TCP keepalive on every
 * connection. Long work (migrations, the expired-row sweep, a realm delete) passes `{ timeoutMs }` to
 * `transaction()`, 0 for none.
 */
import { QsignError } from '../errors.ts';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { ensurePrivateDir, restrictTree } from './data-dir.ts';

export interface TransactionOptions {
  /**
   * Bound on each statement of this transaction, in ms (PostgreSQL's statement_timeout; the client
   * waits a second more). Default 4,000, the request path's; 0 = none, for work that may take
   * minutes (a dead network is then found by TCP keepalive). Time between statements stays
   * bounded (30 s). PGlite has no bounds.
   */
  timeoutMs?: number;
}

export interface SqlClient {
  /** Runs one statement with `$1..$n` parameters and returns its rows. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` inside BEGIN/COMMIT; any throw rolls the whole transaction back. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
  /** "postgresql" or "pglite", for health output and logs. */
  readonly kind: 'postgresql' | 'pglite';
  /**
   * KEY_ENCRYPTION_KEY, for the values the store seals at rest (the secrets in realm documents:
   * store/realm-secrets.ts); absent when the client was opened without it.
   */
  readonly keyEncryptionKey?: Buffer;
}

export class StoreUnavailableError extends QsignError {
  constructor(kind: string, cause: unknown) {
    super('ERR_STORE_UNAVAILABLE', `the ${kind} store is unavailable`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** Request-path bounds (see the header). */
export const STATEMENT_TIMEOUT_MS = 4_000;
const CLIENT_GRACE_MS = 1_000;
const IDLE_IN_TRANSACTION_MS = 30_000;

/** The connection is gone or the server did not answer in time: the connection cannot be reused. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08006',
  '08001',
  '08003',
]);
const connectionLost = (err: unknown): boolean => {
  const code = (err as { code?: string })?.code;
  if (code && CONNECTION_ERRORS.has(code)) return true;
  const message = (err as Error)?.message ?? '';
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Query read timeout/i.test(
    message,
  );
};
/** ...or the server cancelled a statement at its statement_timeout (57014): overloaded or locked. */
const unavailable = (err: unknown): boolean =>
  connectionLost(err) || (err as { code?: string })?.code === '57014';

class PgClient implements SqlClient {
  readonly kind = 'postgresql' as const;
  readonly #pool: pg.Pool;
  readonly #conn: pg.PoolClient | undefined;
  readonly #timeoutMs: number;
  readonly #kek: Buffer | undefined;

  constructor(
    pool: pg.Pool,
    keyEncryptionKey: Buffer | undefined,
    conn?: pg.PoolClient,
    timeoutMs = STATEMENT_TIMEOUT_MS,
  ) {
    this.#pool = pool;
    this.#kek = keyEncryptionKey;
    this.#conn = conn;
    this.#timeoutMs = timeoutMs;
  }

  /** A getter over a private field: not enumerable, so never in a logged or serialised client. */
  get keyEncryptionKey(): Buffer | undefined {
    return this.#kek;
  }

  async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
    // The client-side bound goes with each query: 0 (long work) sends none.
    const config = {
      text,
      values: params,
      ...(this.#timeoutMs ? { query_timeout: this.#timeoutMs + CLIENT_GRACE_MS } : {}),
    };
    try {
      const result = await (this.#conn ?? this.#pool).query(config);
      return result.rows as T[];
    } catch (err) {
      if (unavailable(err)) throw new StoreUnavailableError(this.kind, err);
      throw err;
    }
  }

  async transaction<T>(
    fn: (tx: SqlClient) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
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
    const onError = (err: Error) => {
      broken = err;
    };
    conn.on('error', onError);
    const timeoutMs = Math.max(0, Math.floor(options.timeoutMs ?? STATEMENT_TIMEOUT_MS));
    const tx = new PgClient(this.#pool, this.keyEncryptionKey, conn, timeoutMs);
    try {
      await tx.query('BEGIN');
      if (timeoutMs !== STATEMENT_TIMEOUT_MS)
        await tx.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
      const result = await fn(tx);
      await tx.query('COMMIT');
      return result;
    } catch (err) {
      // A lost or silent connection is discarded (the server rolls back when it closes); a ROLLBACK
      // on it would only wait for its own timeout.
      const cause = err instanceof StoreUnavailableError ? err.cause : err;
      if (!broken && connectionLost(cause)) broken = cause as Error;
      if (!broken) await tx.query('ROLLBACK').catch(() => undefined);
      if (unavailable(cause))
        throw err instanceof StoreUnavailableError
          ? err
          : new StoreUnavailableError(this.kind, err);
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
  /** The PGlite folder, set 0700/0600 again at close (files made while running); none in memory. */
  readonly #folder: string | undefined;
  readonly #kek: Buffer | undefined;

  constructor(
    db: PGliteLike,
    keyEncryptionKey: Buffer | undefined,
    tx?: PGliteTx,
    folder?: string,
  ) {
    this.#db = db;
    this.#kek = keyEncryptionKey;
    this.#tx = tx;
    this.#folder = folder;
  }

  get keyEncryptionKey(): Buffer | undefined {
    return this.#kek;
  }

  async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
    const result = await (this.#tx ?? this.#db).query<T>(text, params);
    return result.rows;
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    if (this.#tx) return fn(this);
    return this.#db.transaction((tx) => fn(new PgliteClient(this.#db, this.keyEncryptionKey, tx)));
  }

  async close(): Promise<void> {
    await this.#db.close();
    if (this.#folder) restrictTree(this.#folder);
  }
}

export interface OpenOptions {
  /** `postgres://user:pass@host:port/db`; when absent, PGlite in `dataDir`. */
  databaseUrl?: string;
  /** Folder for the PGlite files (`dataDir/pglite`); `memory://` for a throwaway store. */
  dataDir: string;
  poolSize?: number;
  /** KEY_ENCRYPTION_KEY (32 bytes), kept as `SqlClient.keyEncryptionKey`: realm secrets are sealed and opened with it. */
  keyEncryptionKey?: Buffer;
  /** Where a DATA_DIR permission warning goes (store/data-dir.ts); default `process.emitWarning`. */
  warn?: (message: string) => void;
}

/**
 * Opens the store. PGlite: DATA_DIR and its `pglite` folder are made (or tightened to) 0700 and
 * the files in it 0600 (store/data-dir.ts), at open and again at close.
 * @throws StoreUnavailableError (PostgreSQL down); the fs error when the `pglite` folder cannot be
 *   made private.
 */
export async function openSqlClient(options: OpenOptions): Promise<SqlClient> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // Session defaults, sent as startup parameters.
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const client = new PgClient(pool, options.keyEncryptionKey);
    await client.query('SELECT 1');
    return client;
  }
  if (options.dataDir.startsWith('memory://'))
    return new PgliteClient(await PGlite.create(options.dataDir), options.keyEncryptionKey);
  const warn =
    options.warn ?? ((message: string) => process.emitWarning(message, 'DataDirWarning'));
  ensurePrivateDir(options.dataDir, (message) => warn(`DATA_DIR ${message}`));
  const folder = `${options.dataDir}/pglite`;
  ensurePrivateDir(folder, (message) => warn(`DATA_DIR store folder ${message}`), true);
  const db = await PGlite.create(folder);
  // A new database's files are written 0666 by PGlite: private from here on.
  restrictTree(folder);
  return new PgliteClient(db, options.keyEncryptionKey, undefined, folder);
}

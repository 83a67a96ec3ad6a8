/**
 * Starts the real server in-process on a free port over a fresh store (PGlite in a temporary
 * folder, or a throwaway PostgreSQL database), with the given realm files imported.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { importRealm, parseRealm, readRealmFile } from '../../src/realm/import.ts';
import { createServer } from '../../src/server.ts';
import { openRedis } from '../../src/redis.ts';
import type { RealmRegistry } from '../../src/runtime/registry.ts';
import { Backends } from '../../src/signer/backends.ts';
import { closeServices, type Services } from '../../src/services.ts';
import { seedPgliteDataDir } from './store-template.ts';
import type { TestStore } from './components.ts';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
/** The real Keycloak exports, copied from ../shared/fixtures/keycloak-realms (its README.md, copied too, gives each file's source and licence). */
export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'keycloak-realms');
/** The master realm with the bootstrap admin `admin` / TEST_ADMIN_PASSWORD (test/helpers/admin.ts). */
export const MASTER_REALM_FILE = path.join(REPO, 'realms', 'master.json');

export interface TestServer {
  baseUrl: string;
  config: Config;
  db: SqlClient;
  registry: RealmRegistry;
  /** The server's signing back ends, declared by `env.KEY_BACKENDS` / `KEY_BACKENDS_FILE` (docs/backends.md). */
  backends: Backends;
  /** The server's services (src/services.ts): its own metrics, event writer, signing threads, back ends. */
  services: Services;
  /** Stops the HTTP server and closes the store (the data stays, for restart tests). */
  stop: () => Promise<void>;
  /** Stops and deletes the store. */
  close: () => Promise<void>;
}

export interface StartOptions {
  realmFiles?: string[];
  /** Realm representations to import, after the files. */
  realms?: Record<string, unknown>[];
  databaseUrl?: string;
  redisUrl?: string;
  dataDir?: string;
  /** Server environment, e.g. `KEY_BACKENDS` (the back-end declaration, JSON). */
  env?: Record<string, string>;
  /** File the server's JSON log lines go to (default stdout, at TEST_LOG_LEVEL or silent). */
  logFile?: string;
  /**
   * true: a PGlite store made from nothing (initdb and every migration), as a first start makes
   * it. Default: when the data dir holds no store yet, the run's migrated template is copied in
   * (test/helpers/store-template.ts); an existing store is always used as it is.
   */
  fresh?: boolean;
  /**
   * Wraps the store client the server is given (bench/store-statements.ts counts its statements);
   * the wrapper must delegate every call. Default: the client as opened.
   */
  wrapSqlClient?: (db: SqlClient) => SqlClient;
}

const KEK = Buffer.alloc(32, 7).toString('base64');

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'qsign-test-'));
  if (!options.fresh && !options.databaseUrl) seedPgliteDataDir(dataDir);
  const config = loadConfig({
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    KEY_ENCRYPTION_KEY: KEK,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  });
  const opened = await openSqlClient({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    keyEncryptionKey: config.keyEncryptionKey,
  });
  const db = options.wrapSqlClient ? options.wrapSqlClient(opened) : opened;
  await migrate(db);
  const log = createLogger(config.logLevel, options.logFile);
  const backends = new Backends(config.keyBackends, log);
  for (const file of options.realmFiles ?? []) {
    await importRealm(
      db,
      config.keyEncryptionKey,
      await readRealmFile(file, {
        ...process.env,
        KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
        KC_BOOTSTRAP_ADMIN_PASSWORD: 'admin-test-password',
        ...options.env,
      }),
      { backends },
    );
  }
  for (const realm of options.realms ?? [])
    await importRealm(
      db,
      config.keyEncryptionKey,
      parseRealm(realm, 'test realm', { ...process.env, ...options.env }),
      { backends },
    );
  const redis = options.redisUrl ? openRedis(options.redisUrl, log) : undefined;
  const { app, registry, services } = createServer(config, db, log, { redis, backends });
  server.on('request', app.callback());
  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await redis?.close();
    await closeServices(services);
    await db.close();
  };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    db,
    registry,
    backends,
    services,
    stop,
    close: async () => {
      await stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Options of startStoreServer: startServer's, the store given apart. */
export interface StoreServerOptions extends Omit<StartOptions, 'databaseUrl'> {
  /** Import realms/master.json (MASTER_REALM_FILE) before `realmFiles`; default true. */
  master?: boolean;
}

/**
 * startServer on one of testStores(): for PostgreSQL a throwaway database (a copy of the run's
 * migrated template) that the returned `close()` drops after stopping the server; for PGlite a
 * temporary folder. The master realm is imported first unless `master: false`, so
 * `masterAdmin(server.baseUrl)` logs in.
 */
export async function startStoreServer(
  store: TestStore,
  options: StoreServerOptions = {},
): Promise<TestServer> {
  const { master = true, ...rest } = options;
  const database = await store.databaseUrl?.();
  try {
    const server = await startServer({
      ...rest,
      databaseUrl: database?.url,
      realmFiles: [...(master ? [MASTER_REALM_FILE] : []), ...(rest.realmFiles ?? [])],
    });
    return {
      ...server,
      close: async () => {
        await server.close();
        await database?.drop();
      },
    };
  } catch (err) {
    await database?.drop();
    throw err;
  }
}

/**
 * Command line entry (commander): `start` (default) runs the server; `import FILE...` imports
 * realm files; `export` writes them as `kc.sh export` does; `verify TOKEN --jwks URL` checks a token. Exit codes: 0 success, 1 runtime failure, 2 bad configuration or bad realm file.
 */
import { readdir } from 'node:fs/promises';
import cluster from 'node:cluster';
import path from 'node:path';
import { Command } from 'commander';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { openSqlClient, type SqlClient } from './store/sql.ts';
import { migrate } from './store/migrations.ts';
import { RealmImportError } from './realm/import.ts';
import { importRealmFiles, keycloakDirFiles } from './realm/partitions.ts';
import { writeExport, ExportOptionError, type ExportTarget } from './realm/export-files.ts';
import { createServer } from './server.ts';
import { openRedis } from './redis.ts';
import { deleteExpiredPayloads } from '../adapters/postgres.ts';
import { decodeProtectedHeader } from 'jose';
import { verifyToken, createRemoteJWKSet, TokenVerificationError } from './jose/verify.ts';
import { allAlgorithms } from './jose/algorithms.ts';
import { runRotation } from './keys/rotation.ts';
import { syncAllExternalKeys } from './keys/external.ts';
import { eventKey, flushEvents, verifyEvents } from './events/store.ts';
import { findRealm, sealClearRealmSecrets } from './store/realms.ts';
import { keysCommand, type KeysOptions } from './keys/cli.ts';
import { checkKeyEncryptionKey } from './keys/kek-check.ts';
import { WrongKeyEncryptionKeyError } from './keys/encryption.ts';
import { Backends } from './signer/backends.ts';
import { serveClusterMetrics } from './metrics-cluster.ts';

/** Environment for realm placeholders: the bootstrap admin comes from config (KC_BOOTSTRAP_ADMIN_*). */
function importEnv(config: Config): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KC_BOOTSTRAP_ADMIN_USERNAME: config.adminUsername,
    KC_BOOTSTRAP_ADMIN_PASSWORD: config.adminPassword,
  };
}

/**
 * Opens and migrates the store, checks KEY_ENCRYPTION_KEY against it (keys/kek-check.ts;
 * WrongKeyEncryptionKeyError: exit code 2), then seals realm secrets older versions stored in clear.
 */
async function openStore(config: Config): Promise<SqlClient> {
  const db = await openSqlClient({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolMaxSize,
    keyEncryptionKey: config.keyEncryptionKey,
  });
  try {
    await migrate(db);
    await checkKeyEncryptionKey(db, config.keyEncryptionKey);
    await sealClearRealmSecrets(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

/** Imports every `*.json` in the realms folder, master first; existing realms are kept as they are. */
export async function importRealmsDir(
  db: SqlClient,
  config: Config,
  log: Logger,
  backends: Backends,
): Promise<void> {
  let files: string[];
  try {
    files = (await readdir(config.realmsDir))
      .filter((f) => f.endsWith('.json'))
      .sort((a, b) => (a === 'master.json' ? -1 : b === 'master.json' ? 1 : a.localeCompare(b)));
  } catch {
    log.warn({ dir: config.realmsDir }, 'realms folder not found; no realm imported');
    return;
  }
  // Users partition files merge into their realm's file (realm/partitions.ts).
  const results = await importRealmFiles(
    db,
    config.keyEncryptionKey,
    files.map((f) => path.join(config.realmsDir, f)),
    { env: importEnv(config), onExistingRealm: 'skip', backends },
  );
  for (const { files: used, ...result } of results)
    log.info(
      { file: used.join(' + '), ...result },
      result.status === 'skipped' ? 'realm exists, import skipped' : 'realm imported',
    );
}

/** A dead worker's replacement waits this long (ms), doubling from the first to the last for workers that die young. */
const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A worker that lived this long (ms) is replaced at once, and resets the wait. */
const RESTART_STABLE_MS = 60_000;

/**
 * Without Redis, rate limits are counted by each process alone and realm changes travel by the
 * 1 s version check (README "Configuration", REDIS_URL): said once at start when that matters
 * (several workers, or production, where replicas are likely).
 */
function warnWithoutRedis(config: Config, log: Logger): void {
  if (config.redisUrl || (config.workers === 1 && config.mode !== 'production')) return;
  log.warn(
    { workers: config.workers },
    `REDIS_URL is not set: rate limits (qsign.rateLimit.*) are counted by each process alone, so with ${config.workers} worker process${config.workers === 1 ? '' : 'es'} per replica a client gets up to ${config.workers} times the configured limit per replica; realm and key changes reach the other processes within the 1 s version check instead of at once`,
  );
}

/**
 * With WORKERS > 1 the primary process migrates and imports once, then runs one worker per
 * WORKERS (node:cluster, sharing the port), aggregates their metrics for `/metrics`
 * (metrics-cluster.ts) and replaces any worker that dies: at once when it had lived
 * RESTART_STABLE_MS, else after a wait doubling from RESTART_FIRST_MS to RESTART_MAX_MS, so a
 * worker failing at start (the store down) is not restarted in a tight loop.
 */
async function start(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  if (cluster.isPrimary) warnWithoutRedis(config, log);
  if (config.workers > 1 && cluster.isPrimary) {
    const db = await openStore(config);
    const backends = new Backends(config.keyBackends, log);
    await importRealmsDir(db, config, log, backends);
    await Promise.all([db.close(), backends.close()]);
    serveClusterMetrics();
    const forkedAt = new Map<number, number>();
    const fork = () => {
      const w = cluster.fork();
      forkedAt.set(w.id, Date.now());
    };
    for (let i = 0; i < config.workers; i += 1) fork();
    cluster.on('online', (worker) =>
      log.info({ worker: worker.id, pid: worker.process.pid }, 'worker started'),
    );
    let restartDelay = 0;
    const restarts = new Set<NodeJS.Timeout>();
    cluster.on('exit', (worker, code, signal) => {
      const lived = Date.now() - (forkedAt.get(worker.id) ?? 0);
      forkedAt.delete(worker.id);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
        return;
      }
      restartDelay =
        lived >= RESTART_STABLE_MS
          ? 0
          : Math.min(restartDelay ? restartDelay * 2 : RESTART_FIRST_MS, RESTART_MAX_MS);
      log.warn(
        {
          worker: worker.id,
          pid: worker.process.pid,
          code,
          signal,
          livedMs: lived,
          restartInMs: restartDelay,
        },
        'worker died; starting a new one',
      );
      const timer = setTimeout(() => {
        restarts.delete(timer);
        fork();
      }, restartDelay);
      restarts.add(timer);
    });
    let stopping = false;
    // Each worker stops gracefully (below); the primary exits when the last one has.
    const stop = () => {
      stopping = true;
      for (const timer of restarts) clearTimeout(timer);
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      setTimeout(() => process.exit(0), (config.shutdownGraceSeconds + 1) * 1000).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return;
  }
  if (config.devKeyEncryptionKey)
    log.warn(
      'development mode: KEY_ENCRYPTION_KEY not set, using a generated key stored in DATA_DIR',
    );
  const db = await openStore(config);
  // The operator's signing back ends (KEY_BACKENDS_FILE / KEY_BACKENDS): one set of connections per process.
  const backends = new Backends(config.keyBackends, log);
  if (cluster.isPrimary) await importRealmsDir(db, config, log, backends);
  const redis = config.redisUrl ? openRedis(config.redisUrl, log) : undefined;
  const { app, registry } = createServer(config, db, log, { redis, backends });
  const server = app.listen(config.port, config.host, () => {
    log.info(
      { url: config.baseUrl, port: config.port, store: db.kind, mode: config.mode },
      `qsign-oidc listening on ${config.baseUrl}`,
    );
  });
  // The management interface (MANAGEMENT_PORT): the same app, which answers only /health/* and /metrics there.
  const management =
    config.managementPort === undefined
      ? undefined
      : app.listen(config.managementPort, config.host);
  // Idle keep-alive connections outlive load balancers' own idle timeouts (AWS ALB and nginx's
  // upstream keepalive: 60 s); with Node's 5 s default the server closed first, and a balancer
  // sending a request on the closing connection answered 502. headersTimeout must exceed it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Every realm loads now; readiness answers DOWN until they have.
  registry.loadAll().catch(() => undefined);
  const sweep = setInterval(() => {
    deleteExpiredPayloads(db).catch(() => undefined);
  }, 10 * 60_000);
  sweep.unref();
  // Scheduled key rotation (rotation policy components); several processes may run it: a realm is
  // handled by whichever holds its advisory lock.
  const rotation = setInterval(() => {
    runRotation(db, config.keyEncryptionKey, { log }).then(
      (actions) => {
        for (const action of actions) {
          log.info({ realm: action.realm, action: action.message }, 'scheduled key rotation');
          registry.invalidate(action.realm);
        }
      },
      (err) =>
        log.warn(
          { err: { message: (err as Error).message } },
          'scheduled key rotation pass failed',
        ),
    );
    // Back-end keys (Vault transit versions): pick up rotations and trims done in the back end.
    syncAllExternalKeys(db, backends).then(
      ({ changed, failures }) => {
        for (const realm of changed) registry.invalidate(realm);
        for (const f of failures)
          log.warn(f, 'back-end key sync failed; keeping the keys as they were');
      },
      (err) => log.warn({ err: { message: (err as Error).message } }, 'back-end key sync failed'),
    );
  }, config.keyRotationCheckSeconds * 1000);
  rotation.unref();
  // Graceful stop (SIGTERM, as Kubernetes and Docker send): no new connections; requests in flight
  // are answered with "Connection: close"; their events are committed; then the store closes.
  // Bounded by SHUTDOWN_GRACE_SECONDS.
  let stopping = false;
  server.on('request', (_req, res) => {
    if (stopping) res.setHeader('Connection', 'close');
  });
  const stop = () => {
    log.info('shutting down');
    stopping = true;
    management?.close();
    server.close(() => {
      void flushEvents(db)
        .then(() => Promise.allSettled([db.close(), redis?.close(), backends.close()]))
        .finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => {
      log.warn('shutdown grace period over; exiting');
      process.exit(0);
    }, config.shutdownGraceSeconds * 1000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function importCommand(
  args: string[],
  options: { override?: boolean; dir?: string },
): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const files = options.dir ? await keycloakDirFiles(options.dir) : args;
  if (!files.length)
    throw new ConfigError([
      options.dir
        ? `${options.dir}: no <realm>-realm.json file to import`
        : 'import: name the realm files, or --dir',
    ]);
  const db = await openStore(config);
  const backends = new Backends(config.keyBackends, log);
  try {
    for (const { files: used, ...result } of await importRealmFiles(
      db,
      config.keyEncryptionKey,
      files,
      { env: importEnv(config), override: options.override, backends },
    )) {
      log.info({ file: used.join(' + '), ...result }, `realm ${result.realm}: ${result.status}`);
      if (result.status === 'skipped')
        process.stderr.write(`realm "${result.realm}" exists; use --override to replace it\n`);
    }
  } finally {
    await Promise.all([db.close(), backends.close()]);
  }
}

async function verifyCommand(
  token: string,
  options: { jwks: string; alg?: string[]; issuer?: string; audience?: string },
): Promise<void> {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  try {
    out(`header: ${JSON.stringify(decodeProtectedHeader(token))}`);
  } catch {
    out('header: (not a JWS header)');
  }
  const algorithms =
    options.alg ??
    allAlgorithms()
      .filter((a) => a.kty !== 'oct')
      .map((a) => a.alg);
  try {
    const { payload } = await verifyToken(token, createRemoteJWKSet(options.jwks), {
      algorithms,
      issuer: options.issuer,
      audience: options.audience,
    });
    out(`verified claims: ${JSON.stringify(payload, null, 2)}`);
  } catch (err) {
    if (!(err instanceof TokenVerificationError)) throw err;
    out(`rejected: ${err.code}: ${err.message}`);
    process.exitCode = 1;
  }
}

async function eventsVerify(options: { realm?: string }): Promise<void> {
  const config = loadConfig();
  const db = await openStore(config);
  try {
    const realmId = options.realm ? (await findRealm(db, options.realm))?.id : undefined;
    if (options.realm && !realmId) throw new Error(`realm ${options.realm} not found`);
    const problems = await verifyEvents(db, eventKey(config.keyEncryptionKey), realmId);
    const [{ count }] = await db.query<{ count: string }>(
      'SELECT count(*) FROM events WHERE ($1::text IS NULL OR realm_id = $1)',
      [realmId ?? null],
    );
    if (problems.length) {
      for (const p of problems) process.stdout.write(`TAMPERED ${p}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`events intact: ${count} events checked\n`);
    }
  } finally {
    await db.close();
  }
}

/** `export`: kc.sh export's options (realm/export-files.ts); works on the store. */
async function exportCommand(
  options: Omit<ExportTarget, 'usersPerFile'> & { usersPerFile?: string },
): Promise<void> {
  const config = loadConfig();
  const db = await openStore(config);
  try {
    const files = await writeExport(db, {
      ...options,
      usersPerFile: options.usersPerFile === undefined ? undefined : Number(options.usersPerFile),
    });
    for (const file of files) process.stdout.write(`wrote ${file}\n`);
  } finally {
    await db.close();
  }
}

function fail(err: unknown): never {
  if (
    err instanceof ConfigError ||
    err instanceof ExportOptionError ||
    err instanceof RealmImportError ||
    err instanceof WrongKeyEncryptionKeyError
  ) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`qsign-oidc: ${(err as Error).message}\n`);
  process.exit(1);
}

const program = new Command('qsign-oidc')
  .description(
    'Keycloak-compatible OpenID Connect provider with post-quantum (ML-DSA) token signing',
  )
  .showHelpAfterError();
program
  .command('start', { isDefault: true })
  .description('run the server (imports realms/*.json first)')
  .action(() => start().catch(fail));
program
  .command('import')
  .description('import Keycloak realm JSON files (RealmRepresentation)')
  .argument(
    '[file...]',
    'realm export files; users files (`kc.sh export --users different_files`) merge into their realm',
  )
  .option(
    '--dir <dir>',
    'import a `kc.sh export --dir` folder: <realm>-realm.json with its <realm>-users-N.json',
  )
  .option('--override', 'replace a realm that already exists')
  .action((files: string[], options: { override?: boolean; dir?: string }) =>
    importCommand(files, options).catch(fail),
  );

program
  .command('export')
  .description(
    "export realms in Keycloak's format, as `kc.sh export` (files hold clear client secrets and password hashes; mode 0600)",
  )
  .option('--realm <realm>', 'the realm (default: every realm)')
  .option('--file <file>', 'one JSON file (every realm: a JSON array)')
  .option('--dir <dir>', 'a folder: <realm>-realm.json and <realm>-users-N.json')
  .option(
    '--users <strategy>',
    'skip, realm_file, same_file or different_files (default for --dir: different_files)',
  )
  .option('--users-per-file <n>', 'users per <realm>-users-N.json (default 50)')
  .action((options: ExportTarget & { usersPerFile?: string }) =>
    exportCommand(options as never).catch(fail),
  );

const keys = program
  .command('keys')
  .description(
    "list, rotate and disable a realm's signing keys (works on the store; running servers pick the change up within a second)",
  );
keys
  .command('list')
  .requiredOption('--realm <realm>')
  .option('--alg <alg>')
  .description("list the realm's keys")
  .action((options: { realm: string; alg?: string }) => keysCommand('list', options).catch(fail));
keys
  .command('rotate')
  .requiredOption('--realm <realm>')
  .requiredOption('--alg <alg>')
  .option(
    '--pre-publish <seconds>',
    'publish the new key PASSIVE for this long before it signs (the scheduler activates it); default: sign now',
  )
  .option(
    '--retire-after <seconds>',
    "keep the replaced key PASSIVE this long (default: the realm's longest token lifetime)",
  )
  .description('replace the signing key of an algorithm')
  .action((options: { realm: string; alg: string; prePublish?: string; retireAfter?: string }) =>
    keysCommand('rotate', options).catch(fail),
  );
keys
  .command('create')
  .requiredOption('--realm <realm>')
  .requiredOption(
    '--backend <name>',
    'a pkcs11 back end declared in KEY_BACKENDS_FILE / KEY_BACKENDS (docs/backends.md)',
  )
  .requiredOption('--alg <alg>', 'RS256, PS256, ES256 or ML-DSA-44/65/87')
  .option('--key-id <hex>', 'CKA_ID (default: random)')
  .option('--priority <n>')
  .option('--rsa-bits <n>', 'RSA modulus size (default 2048; 3072 for the RSA half of a composite)')
  .option(
    '--disabled',
    'register the key DISABLED (never published): a member for a composite key provider',
  )
  .description("create a key on a PKCS#11 token and register it as the realm's pkcs11 key provider")
  .action((options: KeysOptions) => keysCommand('create', options).catch(fail));
keys
  .command('disable')
  .requiredOption('--realm <realm>')
  .option('--alg <alg>', 'disable every PASSIVE key of this alg')
  .option('--kid <kid>', 'disable this key')
  .option('--force', 'also a key whose signed tokens are still valid (recorded in key_events)')
  .description(
    'disable keys (refused for the last active key of an algorithm the realm needs, and for a key whose signed tokens are still valid)',
  )
  .action((options: { realm: string; alg?: string; kid?: string; force?: boolean }) =>
    keysCommand('disable', options).catch(fail),
  );

program
  .command('events')
  .description('login and admin events')
  .command('verify')
  .option('--realm <realm>', 'only this realm')
  .description('check the HMAC chain of the stored events; names every edited or deleted event')
  .action((options: { realm?: string }) => eventsVerify(options).catch(fail));

program
  .command('verify')
  .description(
    'verify a token against a JWKS and print its header and claims, or why it is rejected',
  )
  .argument('<token>', 'compact JWS (JWT)')
  .requiredOption(
    '--jwks <url>',
    'JWKS URL, e.g. http://localhost:8080/realms/demo/protocol/openid-connect/certs',
  )
  .option(
    '--alg <alg...>',
    'accepted algorithms (default: every asymmetric algorithm qsign-oidc knows)',
  )
  .option('--issuer <iss>', 'expected iss')
  .option('--audience <aud>', 'expected aud')
  .action(
    (
      token: string,
      options: { jwks: string; alg?: string[]; issuer?: string; audience?: string },
    ) => verifyCommand(token, options).catch(fail),
  );

program.parseAsync(process.argv).catch(fail);

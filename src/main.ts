/**
 * Command line entry (commander): `start` (default) runs the server; `import FILE...` imports
 * realm files; `export` writes them as `kc.sh export` does; `verify TOKEN --jwks URL` checks a token. Exit codes: 0 success, 1 runtime failure, 2 bad configuration or bad realm file.
 */
import cluster from 'node:cluster';
import { Command } from 'commander';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { RealmImportError } from './realm/import.ts';
import { importRealmFiles, keycloakDirFiles } from './realm/partitions.ts';
import { writeExport, ExportOptionError, type ExportTarget } from './realm/export-files.ts';
import { decodeProtectedHeader } from 'jose';
import { verifyToken, createRemoteJWKSet, TokenVerificationError } from './jose/verify.ts';
import { allAlgorithms } from './jose/algorithms.ts';
import { eventKey, verifyEvents } from './events/store.ts';
import { findRealm, RealmNotFoundError } from './store/realms.ts';
import { keysCommand, type KeysOptions } from './keys/cli.ts';
import { WrongKeyEncryptionKeyError } from './store/encryption.ts';
import { Backends } from './signer/backends.ts';
import { importEnv, openStore } from './bootstrap.ts';
import { runClusterPrimary } from './cluster.ts';
import { serve } from './serve.ts';
import { baselineWasmOnly } from './wasm-tiering.ts';

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
 * `start`: with WORKERS > 1 the primary process supervises workers (cluster.ts); otherwise (and
 * in each worker) this process serves (serve.ts).
 */
async function start(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  if (cluster.isPrimary) warnWithoutRedis(config, log);
  if (config.workers > 1 && cluster.isPrimary) return runClusterPrimary(config, log);
  return serve(config, log);
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
    if (options.realm && !realmId) throw new RealmNotFoundError(options.realm);
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
  .showHelpAfterError()
  // Every command but the server runs for seconds: no optimising WebAssembly compile (wasm-tiering.ts).
  .hook('preAction', (_program, action) => {
    if (action.name() !== 'start') baselineWasmOnly();
  });
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

/**
 * Configuration from the environment, validated with zod at start. Where Keycloak 26 has an
 * option for the same thing its `KC_*` name is accepted too (Keycloak "All configuration"
 * guide); the qsign name wins when both are set.
 *
 * Throws `ConfigError` listing every invalid variable with the reason; never echoes a secret.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { isSupportedAlg } from './jose/algorithms.ts';
import { parseBackendDeclarations, type BackendDeclarations } from './signer/backend-config.ts';

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const DEV_ADMIN_PASSWORD = 'admin';

const schema = z.object({
  mode: z.enum(['development', 'production']),
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  dataDir: z.string().min(1),
  realmsDir: z.string().min(1),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (or KC_DB_URL jdbc:postgresql://...)').optional(),
  keyEncryptionKey: z.string().optional()
    .refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)'),
  adminUsername: z.string().min(1),
  adminPassword: z.string().min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  outboundAllowPrivateNetworks: z.enum(['true', 'false']).transform((v) => v === 'true'),
  keyRotationCheckSeconds: z.coerce.number().int().min(1).max(86_400),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  workers: z.coerce.number().int().min(1).max(256),
  /** Worker threads per process that make ML-DSA signatures (jose/ml-dsa-threads.ts); 0: on the event loop. */
  signingThreads: z.coerce.number().int().min(0).max(64),
  /** Seconds a stopping process waits for requests in flight and their events before it exits. */
  shutdownGraceSeconds: z.coerce.number().int().min(1).max(3600),
  /**
   * Which proxy headers to trust for the client's address and scheme: `xforwarded`
   * (X-Forwarded-For/-Proto/-Host) or none (Keycloak's `proxy-headers`; `forwarded`, RFC 7239, is
   * not supported). Unset, they are ignored: a client could set them to dodge per-IP rate limits.
   */
  proxyHeaders: z.enum(['xforwarded']).optional(),
  /** Peers (IPs or CIDR ranges) whose proxy headers are trusted; empty: any peer (Keycloak's `proxy-trusted-addresses`). */
  proxyTrustedAddresses: z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()])),
  /**
   * Port for `/health/*` and `/metrics` alone (Keycloak's management interface, `http-management-port`);
   * unset: they are served on `port` with everything else.
   */
  managementPort: z.coerce.number().int().min(1).max(65535).optional(),
  /** PostgreSQL connections per process (Keycloak's `db-pool-max-size`). */
  dbPoolMaxSize: z.coerce.number().int().min(1).max(1000),
  /** The alg a realm signs with when its file names no `defaultSignatureAlgorithm` (Keycloak's RS256 unless set). */
  defaultSignatureAlgorithm: z.string().refine((alg) => isSupportedAlg(alg) && !alg.startsWith('HS'), 'must be an asymmetric signing algorithm this server supports (e.g. RS256, ML-DSA-65)'),
});

export type Config = Omit<z.infer<typeof schema>, 'keyEncryptionKey' | 'baseUrl'> & {
  /** 32-byte AES-256-GCM key-encryption key for local private keys (section 6 of ARCHITECTURE.md). */
  keyEncryptionKey: Buffer;
  /** Public base URL without trailing slash, e.g. `https://sso.example.com`; issuer = `${baseUrl}/realms/${realm}`. */
  baseUrl: string;
  /** True when keyEncryptionKey was generated for development and stored in `dataDir`. */
  devKeyEncryptionKey: boolean;
  /**
   * The signing back ends (Vault transit connections, PKCS#11 tokens) by name, from
   * `KEY_BACKENDS_FILE` (a path to a JSON file) or `KEY_BACKENDS` (the same JSON inline);
   * `{}` when neither is set. Key provider components name one (`config.backend`); see
   * docs/backends.md and signer/backend-config.ts for the shape.
   */
  keyBackends: BackendDeclarations;
};

/**
 * The back-end declaration from KEY_BACKENDS_FILE or KEY_BACKENDS (one of them), with its
 * problems as ConfigError lines naming the variable and the JSON path.
 */
function loadKeyBackends(env: NodeJS.ProcessEnv, problems: string[]): BackendDeclarations {
  const file = env.KEY_BACKENDS_FILE || undefined;
  const inline = env.KEY_BACKENDS || undefined;
  if (file && inline) {
    problems.push('KEY_BACKENDS_FILE / KEY_BACKENDS: set one of them, not both');
    return {};
  }
  let text = inline;
  if (file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`KEY_BACKENDS_FILE: cannot read ${file} (${(err as { code?: string }).code ?? (err as Error).name})`);
      return {};
    }
  }
  if (text === undefined) return {};
  const { declarations, problems: found } = parseBackendDeclarations(text);
  for (const problem of found) problems.push(`${file ? `KEY_BACKENDS_FILE ${file}` : 'KEY_BACKENDS'}: ${problem}`);
  return declarations;
}

/** Keycloak's KC_DB_URL is a JDBC URL; credentials come from KC_DB_USERNAME / KC_DB_PASSWORD. */
function fromJdbc(env: NodeJS.ProcessEnv): string | undefined {
  const jdbc = env.KC_DB_URL;
  if (!jdbc) return undefined;
  if (!jdbc.startsWith('jdbc:postgresql://')) return jdbc;
  const url = new URL(jdbc.slice('jdbc:'.length).replace(/^postgresql:/, 'postgres:'));
  if (env.KC_DB_USERNAME) url.username = encodeURIComponent(env.KC_DB_USERNAME);
  if (env.KC_DB_PASSWORD) url.password = encodeURIComponent(env.KC_DB_PASSWORD);
  return url.toString();
}

/** KC_HOSTNAME may be a full URL (Keycloak 25+) or a bare host name. */
function fromKcHostname(env: NodeJS.ProcessEnv, port: string): string | undefined {
  const hostname = env.KC_HOSTNAME;
  if (!hostname) return undefined;
  if (/^https?:\/\//.test(hostname)) return hostname;
  return `http://${hostname}:${port}`;
}

function loadDevKek(dataDir: string): Buffer {
  const file = path.join(dataDir, 'dev-key-encryption-key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 }); // private, as store/data-dir.ts keeps it
  const kek = randomBytes(32);
  writeFileSync(file, kek.toString('base64'), { mode: 0o600 });
  return kek;
}

/**
 * The default SIGNING_THREADS: the cores a worker process has beyond its own event loop
 * (cores / workers - 1), at most 2. One worker on 2 cores gets 1 thread; one worker per core
 * (the production default) gets none; one worker on 8 cores gets 2. 0 for an invalid WORKERS
 * (reported by the schema).
 */
export function defaultSigningThreads(workers: number, cores = availableParallelism()): number {
  if (!Number.isInteger(workers) || workers < 1) return 0;
  return Math.max(0, Math.min(2, Math.floor(cores / workers) - 1));
}

/**
 * DEFAULT_SIGNATURE_ALGORITHM: the alg of realms whose file names none, RS256 (Keycloak's
 * RealmModel default, `Constants.DEFAULT_SIGNATURE_ALGORITHM`) unless set. Read by realm/import.ts
 * from the same environment; loadConfig validates it at start.
 */
export const defaultSignatureAlgorithm = (env: NodeJS.ProcessEnv): string => env.DEFAULT_SIGNATURE_ALGORITHM || 'RS256';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const mode = env.QSIGN_MODE ?? (env.NODE_ENV === 'production' ? 'production' : 'development');
  const port = env.PORT ?? env.KC_HTTP_PORT ?? '8080';
  // One worker per core in production over PostgreSQL; the embedded store is single-process.
  const workers = env.WORKERS ?? (mode === 'production' && (env.DATABASE_URL || env.KC_DB_URL) ? String(availableParallelism()) : '1');
  const raw = {
    mode,
    port,
    host: env.HOST ?? env.KC_HTTP_HOST ?? '0.0.0.0',
    baseUrl: env.PUBLIC_BASE_URL ?? fromKcHostname(env, port),
    dataDir: path.resolve(env.DATA_DIR ?? 'data'),
    realmsDir: path.resolve(env.REALMS_DIR ?? 'realms'),
    databaseUrl: env.DATABASE_URL || fromJdbc(env) || undefined,
    keyEncryptionKey: env.KEY_ENCRYPTION_KEY || undefined,
    adminUsername: env.KC_BOOTSTRAP_ADMIN_USERNAME ?? env.ADMIN_USERNAME ?? 'admin',
    adminPassword: env.KC_BOOTSTRAP_ADMIN_PASSWORD ?? env.ADMIN_PASSWORD ?? (mode === 'production' ? '' : DEV_ADMIN_PASSWORD),
    logLevel: env.LOG_LEVEL ?? env.KC_LOG_LEVEL?.toLowerCase() ?? 'info',
    outboundAllowPrivateNetworks: env.OUTBOUND_ALLOW_PRIVATE_NETWORKS ?? 'false',
    keyRotationCheckSeconds: env.KEY_ROTATION_CHECK_SECONDS ?? '60',
    redisUrl: env.REDIS_URL || undefined,
    workers,
    signingThreads: env.SIGNING_THREADS ?? String(defaultSigningThreads(Number(workers))),
    // Under Kubernetes' default terminationGracePeriodSeconds (30).
    shutdownGraceSeconds: env.SHUTDOWN_GRACE_SECONDS ?? '25',
    proxyHeaders: env.PROXY_HEADERS || env.KC_PROXY_HEADERS || undefined,
    proxyTrustedAddresses: (env.PROXY_TRUSTED_ADDRESSES ?? env.KC_PROXY_TRUSTED_ADDRESSES ?? '').split(',').map((a) => a.trim()).filter(Boolean),
    dbPoolMaxSize: env.DB_POOL_MAX_SIZE ?? env.KC_DB_POOL_MAX_SIZE ?? '10',
    managementPort: env.MANAGEMENT_PORT || env.KC_HTTP_MANAGEMENT_PORT || undefined,
    defaultSignatureAlgorithm: defaultSignatureAlgorithm(env),
  };
  const parsed = schema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    const names: Record<string, string> = {
      mode: 'QSIGN_MODE', port: 'PORT / KC_HTTP_PORT', host: 'HOST', baseUrl: 'PUBLIC_BASE_URL / KC_HOSTNAME',
      dataDir: 'DATA_DIR', realmsDir: 'REALMS_DIR', databaseUrl: 'DATABASE_URL / KC_DB_URL',
      keyEncryptionKey: 'KEY_ENCRYPTION_KEY', adminUsername: 'KC_BOOTSTRAP_ADMIN_USERNAME',
      adminPassword: 'KC_BOOTSTRAP_ADMIN_PASSWORD', logLevel: 'LOG_LEVEL / KC_LOG_LEVEL', outboundAllowPrivateNetworks: 'OUTBOUND_ALLOW_PRIVATE_NETWORKS', keyRotationCheckSeconds: 'KEY_ROTATION_CHECK_SECONDS', redisUrl: 'REDIS_URL', workers: 'WORKERS', signingThreads: 'SIGNING_THREADS', shutdownGraceSeconds: 'SHUTDOWN_GRACE_SECONDS',
      proxyHeaders: 'PROXY_HEADERS / KC_PROXY_HEADERS', proxyTrustedAddresses: 'PROXY_TRUSTED_ADDRESSES / KC_PROXY_TRUSTED_ADDRESSES', dbPoolMaxSize: 'DB_POOL_MAX_SIZE / KC_DB_POOL_MAX_SIZE',
      managementPort: 'MANAGEMENT_PORT / KC_HTTP_MANAGEMENT_PORT', defaultSignatureAlgorithm: 'DEFAULT_SIGNATURE_ALGORITHM',
    };
    for (const issue of parsed.error.issues) problems.push(`${names[String(issue.path[0])] ?? issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  const c = parsed.data;
  if (c.mode === 'production') {
    if (!c.keyEncryptionKey) problems.push('KEY_ENCRYPTION_KEY: required in production mode (32 bytes, base64)');
    if (!c.adminPassword) problems.push('KC_BOOTSTRAP_ADMIN_PASSWORD: required in production mode');
    else if (c.adminPassword === DEV_ADMIN_PASSWORD) problems.push('KC_BOOTSTRAP_ADMIN_PASSWORD: the development default is refused in production mode');
    if (!c.baseUrl) problems.push('PUBLIC_BASE_URL / KC_HOSTNAME: required in production mode (the public URL tokens are issued for)');
  }
  if (c.managementPort !== undefined && c.managementPort === c.port) problems.push('MANAGEMENT_PORT: must differ from PORT');
  if (c.workers > 1 && !c.databaseUrl) problems.push('WORKERS: several workers need PostgreSQL (DATABASE_URL); the embedded store serves one process');
  const keyBackends = loadKeyBackends(env, problems);
  if (problems.length) throw new ConfigError(problems);
  const baseUrl = (c.baseUrl ?? `http://localhost:${c.port}`).replace(/\/+$/, '');
  return {
    ...c,
    baseUrl,
    keyEncryptionKey: c.keyEncryptionKey ? Buffer.from(c.keyEncryptionKey, 'base64') : loadDevKek(c.dataDir),
    devKeyEncryptionKey: !c.keyEncryptionKey,
    keyBackends,
  };
}

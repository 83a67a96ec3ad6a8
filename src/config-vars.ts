/**
 * The environment variables, defined once: for each `Config` field, the names it is read from
 * (ours first, then Keycloak 26's `KC_*` name or a legacy alias: the first one set wins; an empty
 * value counts as unset), its zod schema, its default, and its documentation. `config.ts` loads
 * from this table, and `npm run docs` (scripts/docs.ts) writes the table in
 * docs/configuration.md from it; `npm run lint` fails when the two differ.
 *
 * Keycloak's names follow its "All configuration" guide (server options as `KC_*` variables).
 */
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { isSupportedAlg } from './jose/algorithms.ts';

/** What a default may depend on: the environment and the fields resolved before it (table order). */
export interface DefaultContext {
  env: NodeJS.ProcessEnv;
  resolved: Record<string, unknown>;
}

/** One variable of the table. */
export interface EnvVar<S extends z.ZodType = z.ZodType> {
  /** Accepted names, in priority order. The first is the one documented as ours. */
  names: readonly string[];
  /** The Keycloak column of the docs table ('' when Keycloak has no such option). */
  keycloak: string;
  /** Value used when no name is set; undefined leaves the field unset. */
  default?: string | ((ctx: DefaultContext) => string | undefined);
  /** A value read by a rule of its own after the names (Keycloak's JDBC URL, KC_HOSTNAME). */
  fallback?: (env: NodeJS.ProcessEnv, ctx: DefaultContext) => string | undefined;
  /** The name in error messages when it is not the names joined by " / " (a fallback rule reads it). */
  display?: string;
  /** The text turned into the schema's input (e.g. a comma-separated list into an array). */
  input?: (text: string) => unknown;
  schema: S;
  /** The default in words, for the docs table. */
  defaultDoc: string;
  /** What it does, for the docs table (Markdown, one line). */
  doc: string;
}

/** The production default of WORKERS: one per core over PostgreSQL; the embedded store is single-process. */
function defaultWorkers({ env, resolved }: DefaultContext): string {
  return resolved.mode === 'production' && (env.DATABASE_URL || env.KC_DB_URL)
    ? String(availableParallelism())
    : '1';
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

/** KC_HOSTNAME may be a full URL (Keycloak 25+) or a bare host name (then http on PORT). */
function fromKcHostname(env: NodeJS.ProcessEnv, { resolved }: DefaultContext): string | undefined {
  const hostname = env.KC_HOSTNAME;
  if (!hostname) return undefined;
  if (/^https?:\/\//.test(hostname)) return hostname;
  return `http://${hostname}:${String(resolved.port)}`;
}

/** The development default of the bootstrap admin's password; refused in production. */
export const DEV_ADMIN_PASSWORD = 'admin';

const port = z.coerce.number().int().min(0).max(65535);

/** The table, in resolution order (a default may read the fields above it). */
export const ENV_VARS = {
  mode: {
    names: ['QSIGN_MODE'],
    keycloak: '',
    schema: z.enum(['development', 'production']),
    default: ({ env }) => (env.NODE_ENV === 'production' ? 'production' : 'development'),
    defaultDoc: '`production` if `NODE_ENV=production`, else `development`',
    doc: 'production mode refuses development defaults',
  },
  port: {
    names: ['PORT', 'KC_HTTP_PORT'],
    keycloak: '`KC_HTTP_PORT`',
    schema: port,
    default: '8080',
    defaultDoc: '`8080`',
    doc: 'HTTP port',
  },
  host: {
    names: ['HOST', 'KC_HTTP_HOST'],
    keycloak: '`KC_HTTP_HOST`',
    schema: z.string().min(1),
    default: '0.0.0.0',
    defaultDoc: '`0.0.0.0`',
    doc: 'listen address',
  },
  baseUrl: {
    names: ['PUBLIC_BASE_URL'],
    keycloak: '`KC_HOSTNAME` (URL or host name)',
    fallback: fromKcHostname,
    display: 'PUBLIC_BASE_URL / KC_HOSTNAME',
    schema: z.url({ protocol: /^https?$/ }).optional(),
    defaultDoc: '`http://localhost:{PORT}`',
    doc: "public URL; issuer = `{PUBLIC_BASE_URL}/realms/{realm}`, and every URL the server advertises (discovery's endpoints, redirects to its pages) has its origin, whatever the request's `Host` or `X-Forwarded-Host` says (Keycloak's behaviour once `hostname` is set). Required in production. `https://` turns on `Secure` cookies",
  },
  dataDir: {
    names: ['DATA_DIR'],
    keycloak: '',
    schema: z
      .string()
      .min(1)
      .transform((p) => path.resolve(p)),
    default: 'data',
    defaultDoc: '`./data`',
    doc: 'embedded store (PGlite) folder, and the development key-encryption key',
  },
  databaseUrl: {
    names: ['DATABASE_URL'],
    keycloak: '`KC_DB_URL` (`jdbc:postgresql://...`) + `KC_DB_USERNAME` / `KC_DB_PASSWORD`',
    fallback: fromJdbc,
    display: 'DATABASE_URL / KC_DB_URL',
    schema: z
      .string()
      .regex(
        /^postgres(ql)?:\/\//,
        'must be a postgres:// URL (or KC_DB_URL jdbc:postgresql://...)',
      )
      .optional(),
    defaultDoc: 'unset: PGlite in `DATA_DIR`',
    doc: 'PostgreSQL `postgres://user:pass@host:5432/db`',
  },
  realmsDir: {
    names: ['REALMS_DIR'],
    keycloak: '',
    schema: z
      .string()
      .min(1)
      .transform((p) => path.resolve(p)),
    default: 'realms',
    defaultDoc: '`./realms`',
    doc: 'realm files imported at start (existing realms are not touched)',
  },
  keyEncryptionKey: {
    names: ['KEY_ENCRYPTION_KEY'],
    keycloak: '',
    schema: z
      .string()
      .optional()
      .refine(
        (v) => v === undefined || Buffer.from(v, 'base64').length === 32,
        'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
      ),
    defaultDoc: 'development: generated into `DATA_DIR/dev-key-encryption-key`',
    doc: '32 bytes, base64 (`openssl rand -base64 32`): AES-256-GCM key for private keys at rest; cookie keys derive from it. Required in production',
  },
  adminUsername: {
    names: ['KC_BOOTSTRAP_ADMIN_USERNAME', 'ADMIN_USERNAME'],
    keycloak: 'same',
    schema: z.string().min(1),
    default: 'admin',
    defaultDoc: '`admin`',
    doc: 'first admin of the `master` realm (`ADMIN_USERNAME` also accepted)',
  },
  adminPassword: {
    names: ['KC_BOOTSTRAP_ADMIN_PASSWORD', 'ADMIN_PASSWORD'],
    keycloak: 'same',
    schema: z.string(),
    default: ({ resolved }) => (resolved.mode === 'production' ? '' : DEV_ADMIN_PASSWORD),
    defaultDoc: 'development: `admin`',
    doc: 'its password; required in production, and `admin` is refused there (`ADMIN_PASSWORD` also accepted)',
  },
  logLevel: {
    names: ['LOG_LEVEL', 'KC_LOG_LEVEL'],
    keycloak: '`KC_LOG_LEVEL`',
    input: (t) => t.toLowerCase(),
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    defaultDoc: '`info`',
    doc: '`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`',
  },
  keyRotationCheckSeconds: {
    names: ['KEY_ROTATION_CHECK_SECONDS'],
    keycloak: '',
    schema: z.coerce.number().int().min(1).max(86_400),
    default: '60',
    defaultDoc: '`60`',
    doc: 'how often the scheduler applies rotation policies',
  },
  redisUrl: {
    names: ['REDIS_URL'],
    keycloak: '',
    schema: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    defaultDoc: 'unset',
    doc: "`redis://host:6379`: rate-limit counters shared by all processes and the realm-changed fan-out; without it each process counts alone and sees other processes' changes within a second",
  },
  workers: {
    names: ['WORKERS'],
    keycloak: '',
    schema: z.coerce.number().int().min(1).max(256),
    default: defaultWorkers,
    defaultDoc: 'production over PostgreSQL: one per core; otherwise 1',
    doc: 'worker processes (node:cluster) sharing the port; more than one needs `DATABASE_URL`',
  },
  signingThreads: {
    names: ['SIGNING_THREADS'],
    keycloak: '',
    schema: z.coerce.number().int().min(0).max(64),
    default: ({ resolved }) => String(defaultSigningThreads(Number(resolved.workers))),
    defaultDoc:
      'the cores a worker has beyond its event loop (cores / `WORKERS` - 1), at most 2: 1 for one worker on 2 cores, 0 for one worker per core',
    doc: 'worker threads per process that make ML-DSA signatures (liboqs) off the event loop; `0` signs on the event loop. Each thread adds about 25 MB RSS',
  },
  shutdownGraceSeconds: {
    // Under Kubernetes' default terminationGracePeriodSeconds (30).
    names: ['SHUTDOWN_GRACE_SECONDS'],
    keycloak: '',
    schema: z.coerce.number().int().min(1).max(3600),
    default: '25',
    defaultDoc: '`25`',
    doc: "on SIGTERM/SIGINT: stop accepting, answer the requests in flight (with `Connection: close`), commit their events, then close the store; exit at the latest after this many seconds (below Kubernetes' default 30 s grace period)",
  },
  proxyHeaders: {
    names: ['PROXY_HEADERS', 'KC_PROXY_HEADERS'],
    keycloak: '`KC_PROXY_HEADERS`',
    schema: z.enum(['xforwarded']).optional(),
    defaultDoc: 'unset: proxy headers ignored',
    doc: "`xforwarded`: behind a reverse proxy, take the client's address from the **last** `X-Forwarded-For` entry (the one the nearest proxy appended; the client's own entries before it are not believed). Unset, a client could pick its address per request and slip past per-IP rate limits or forge the address in events. Cookies are `Secure` when `PUBLIC_BASE_URL` is `https://`, whatever the connection, and URLs never follow `X-Forwarded-Host` (see `PUBLIC_BASE_URL`). `forwarded` (RFC 7239) is not supported yet",
  },
  proxyTrustedAddresses: {
    names: ['PROXY_TRUSTED_ADDRESSES', 'KC_PROXY_TRUSTED_ADDRESSES'],
    keycloak: '`KC_PROXY_TRUSTED_ADDRESSES`',
    default: '',
    input: (t) =>
      t
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    schema: z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()])),
    defaultDoc: 'unset: any peer',
    doc: 'comma-separated IPs or CIDR ranges (`10.0.0.0/8,::1`): the proxy headers count only on connections from these peers and are dropped from others',
  },
  managementPort: {
    names: ['MANAGEMENT_PORT', 'KC_HTTP_MANAGEMENT_PORT'],
    keycloak: '`KC_HTTP_MANAGEMENT_PORT`',
    schema: z.coerce.number().int().min(1).max(65535).optional(),
    defaultDoc: 'unset: on `PORT`',
    doc: "a second port for `/health/*` and `/metrics`, which are then answered there alone (404 on `PORT`), and nothing else is (Keycloak's management interface, by default 9000 there)",
  },
  dbPoolMaxSize: {
    names: ['DB_POOL_MAX_SIZE', 'KC_DB_POOL_MAX_SIZE'],
    keycloak: '`KC_DB_POOL_MAX_SIZE`',
    schema: z.coerce.number().int().min(1).max(1000),
    default: '10',
    defaultDoc: '`10`',
    doc: "PostgreSQL connections per process: replicas x `WORKERS` x this must stay under the server's `max_connections` (100 by default)",
  },
  outboundAllowPrivateNetworks: {
    names: ['OUTBOUND_ALLOW_PRIVATE_NETWORKS'],
    keycloak: '',
    schema: z.enum(['true', 'false']).transform((v) => v === 'true'),
    default: 'false',
    defaultDoc: '`false`',
    doc: "`true` lets back-channel logout and the fetch of a `client-jwt` client's `jwks.url` reach loopback and private addresses (services inside the cluster); oidc-provider refuses them otherwise (SSRF guard)",
  },
  // h20b: outgoing mail (issue 20 item 4).
  smtpAllowedHosts: {
    names: ['SMTP_ALLOWED_HOSTS'],
    keycloak: '',
    default: '',
    input: (t) =>
      t
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    schema: z.array(z.string().regex(/^[a-z0-9.\-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/)),
    defaultDoc: 'unset: no mail is sent',
    doc: "comma-separated SMTP hosts (`mail.example.com`, or `host:port` for one port) a realm's `smtpServer` may name: the server connects only to these, a realm naming another gets a clear error (a realm administrator may not make the server connect to an address of their choosing)",
  },
  smtpTimeoutMs: {
    names: ['SMTP_TIMEOUT_MS'],
    keycloak: '',
    schema: z.coerce.number().int().min(100).max(120_000),
    default: '10000',
    defaultDoc: '`10000`',
    doc: 'bound in ms on each step of sending one mail (connect, greeting, each reply) and on the whole send (4x), as Keycloak\'s `mail.smtp.timeout` / `connectiontimeout` of 10 s: an SMTP server that hangs fails the send with Keycloak\'s "Failed to send email, please try again later."',
  },
  defaultSignatureAlgorithm: {
    names: ['DEFAULT_SIGNATURE_ALGORITHM'],
    keycloak: '',
    default: 'RS256',
    schema: z
      .string()
      .refine(
        (alg) => isSupportedAlg(alg) && !alg.startsWith('HS'),
        'must be an asymmetric signing algorithm this server supports (e.g. RS256, ML-DSA-65)',
      ),
    defaultDoc: "`RS256` (Keycloak's default)",
    doc: 'the alg of realms whose file names no `defaultSignatureAlgorithm` (at import, from a file or `POST /admin/realms`); any asymmetric alg this server supports, e.g. `ML-DSA-65`. Every realm gets ML-DSA-65 and RS256 keys whatever this says; a realm or a client switches with one setting (docs/keys-and-rotation.md). A realm already stored keeps its alg',
  },
} satisfies Record<string, EnvVar>;

/**
 * Variables read outside the schema (config.ts `loadKeyBackends`), listed here so the docs table
 * has them in one place with the rest. Placed after `dbPoolMaxSize` in the table.
 */
export const BACKEND_VARS: readonly {
  names: readonly string[];
  keycloak: string;
  defaultDoc: string;
  doc: string;
}[] = [
  {
    names: ['KEY_BACKENDS_FILE'],
    keycloak: '',
    defaultDoc: 'unset: no back ends',
    doc: 'path of a JSON file declaring the signing back ends (Vault transit connections, PKCS#11 tokens), each under a name and for the realms that may use it; see [Signing back ends](backends.md)',
  },
  {
    names: ['KEY_BACKENDS'],
    keycloak: '',
    defaultDoc: 'unset',
    doc: 'the same declaration inline (set one of the two)',
  },
];

export type EnvField = keyof typeof ENV_VARS;

/** The name of a field in error messages: ours and Keycloak's, joined by " / ". */
export function displayName(field: EnvField): string {
  const v: EnvVar = ENV_VARS[field];
  return v.display ?? v.names.filter((n, i) => i === 0 || n.startsWith('KC_')).join(' / ');
}

/** The schema's input for every field: the first name set, else the fallback rule, else the default. */
export function readEnv(env: NodeJS.ProcessEnv): Record<EnvField, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(ENV_VARS) as [EnvField, EnvVar][]) {
    const ctx = { env, resolved };
    const named = spec.names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
    const text =
      named ??
      spec.fallback?.(env, ctx) ??
      (typeof spec.default === 'function' ? spec.default(ctx) : spec.default);
    resolved[field] = text === undefined || !spec.input ? text : spec.input(text);
  }
  return resolved as Record<EnvField, unknown>;
}

/**
 * Configuration from the environment, validated with zod at start. The variables, their
 * Keycloak 26 `KC_*` names (Keycloak "All configuration" guide; the qsign name wins when both
 * are set), defaults and docs are one table, `config-vars.ts`.
 *
 * Throws `ConfigError` listing every invalid variable with the reason; never echoes a secret.
 */
import { QsignError } from './errors.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import {
  DEV_ADMIN_PASSWORD,
  ENV_VARS,
  displayName,
  readEnv,
  type EnvField,
} from './config-vars.ts';
import { parseBackendDeclarations, type BackendDeclarations } from './signer/backend-config.ts';

export class ConfigError extends QsignError {
  constructor(problems: string[]) {
    super('ERR_CONFIG', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** The schema of every field, from the one table in config-vars.ts. */
const schema = z.object(
  Object.fromEntries(Object.entries(ENV_VARS).map(([field, v]) => [field, v.schema])) as {
    [K in EnvField]: (typeof ENV_VARS)[K]['schema'];
  },
);

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
      problems.push(
        `KEY_BACKENDS_FILE: cannot read ${file} (${(err as { code?: string }).code ?? (err as Error).name})`,
      );
      return {};
    }
  }
  if (text === undefined) return {};
  const { declarations, problems: found } = parseBackendDeclarations(text);
  for (const problem of found)
    problems.push(`${file ? `KEY_BACKENDS_FILE ${file}` : 'KEY_BACKENDS'}: ${problem}`);
  return declarations;
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
 * DEFAULT_SIGNATURE_ALGORITHM: the alg of realms whose file names none, RS256 (Keycloak's
 * RealmModel default, `Constants.DEFAULT_SIGNATURE_ALGORITHM`) unless set. Read by realm/import.ts
 * from the same environment; loadConfig validates it at start (config-vars.ts).
 */
export const defaultSignatureAlgorithm = (env: NodeJS.ProcessEnv): string =>
  env.DEFAULT_SIGNATURE_ALGORITHM || 'RS256';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(readEnv(env));
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(
        `${issue.path[0] in ENV_VARS ? displayName(issue.path[0] as EnvField) : issue.path.join('.')}: ${issue.message}`,
      );
    throw new ConfigError(problems);
  }
  const c = parsed.data;
  if (c.mode === 'production') {
    if (!c.keyEncryptionKey)
      problems.push('KEY_ENCRYPTION_KEY: required in production mode (32 bytes, base64)');
    if (!c.adminPassword) problems.push('KC_BOOTSTRAP_ADMIN_PASSWORD: required in production mode');
    else if (c.adminPassword === DEV_ADMIN_PASSWORD)
      problems.push(
        'KC_BOOTSTRAP_ADMIN_PASSWORD: the development default is refused in production mode',
      );
    if (!c.baseUrl)
      problems.push(
        'PUBLIC_BASE_URL / KC_HOSTNAME: required in production mode (the public URL tokens are issued for)',
      );
  }
  if (c.managementPort !== undefined && c.managementPort === c.port)
    problems.push('MANAGEMENT_PORT: must differ from PORT');
  if (c.workers > 1 && !c.databaseUrl)
    problems.push(
      'WORKERS: several workers need PostgreSQL (DATABASE_URL); the embedded store serves one process',
    );
  const keyBackends = loadKeyBackends(env, problems);
  if (problems.length) throw new ConfigError(problems);
  const baseUrl = (c.baseUrl ?? `http://localhost:${c.port}`).replace(/\/+$/, '');
  return {
    ...c,
    baseUrl,
    keyEncryptionKey: c.keyEncryptionKey
      ? Buffer.from(c.keyEncryptionKey, 'base64')
      : loadDevKek(c.dataDir),
    devKeyEncryptionKey: !c.keyEncryptionKey,
    keyBackends,
  };
}

export { defaultSigningThreads } from './config-vars.ts';

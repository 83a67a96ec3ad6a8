/**
 * The operator's declaration of signing back ends (env `KEY_BACKENDS_FILE`, a path to a JSON
 * file, or `KEY_BACKENDS`, the same JSON inline; docs/backends.md): an object of named back ends,
 * each a Vault transit connection or a PKCS#11 token, and the realms that may use it. A realm's key
 * provider component names one (`config.backend`) and a key within it; it never carries an
 * address, a path, an env-var name, a file name, a PIN or any other setting of the connection.
 *
 * Secrets are never in the declaration itself: it names the file or variable they are read from
 * (`tokenFile`/`tokenEnv`, `secretIdFile`/`secretIdEnv`, `pinFile`/`pinEnv`), read when needed.
 */
import { z } from 'zod';

/** Realms that may use a back end: realm names, or `"*"` for every realm. */
const realms = z.array(z.string().min(1)).min(1, 'must list at least one realm name, or "*"');
const name = z.string().min(1);

/** Exactly one of the two sources is set. */
const oneOf = (a: string, b: string) => (v: Record<string, unknown>) =>
  (v[a] === undefined) !== (v[b] === undefined);

const tokenAuth = z
  .strictObject({
    method: z.literal('token'),
    /** File whose first line is the token (e.g. a Vault Agent sink), read on first use and after a 403. */
    tokenFile: name.optional(),
    /** Environment variable holding the token. */
    tokenEnv: name.optional(),
  })
  .refine(oneOf('tokenFile', 'tokenEnv'), 'token auth needs exactly one of tokenFile, tokenEnv');

const approleAuth = z
  .strictObject({
    method: z.literal('approle'),
    roleId: name,
    /** File whose first line is the secret_id, read at every login. */
    secretIdFile: name.optional(),
    secretIdEnv: name.optional(),
    /** Auth mount of AppRole (default "approle"). */
    approleMount: name.default('approle'),
  })
  .refine(
    oneOf('secretIdFile', 'secretIdEnv'),
    'approle auth needs exactly one of secretIdFile, secretIdEnv',
  );

export const vaultBackendSchema = z.strictObject({
  type: z.literal('vault-transit'),
  /** Vault's base URL, e.g. `https://vault:8200`. */
  address: z.url({ protocol: /^https?$/ }),
  /** Vault Enterprise namespace (`X-Vault-Namespace`). */
  namespace: name.optional(),
  /**
   * Mount of the transit secrets engine (default "transit"), or of the QSIGN `oqs-transit` plugin
   * (e.g. "oqs-transit"), whose `dilithium3` and `ml-dsa-65` keys sign DILITHIUM3 and ML-DSA-65
   * (signer/vault/signer.ts). The operator's setting only: a realm names the back end, never a mount.
   */
  mount: name.default('transit'),
  /** PEM file of the CA that signs Vault's TLS certificate. */
  caCertFile: name.optional(),
  /** Milliseconds per request (connect, headers, body); default 5,000. */
  timeoutMs: z.number().int().min(1).max(600_000).default(5_000),
  /** Milliseconds the circuit breaker stays open after 5 consecutive failures; default 5,000. */
  breakerResetMs: z.number().int().min(1).max(600_000).default(5_000),
  auth: z.discriminatedUnion('method', [tokenAuth, approleAuth]),
  realms,
});

export const pkcs11BackendSchema = z
  .strictObject({
    type: z.literal('pkcs11'),
    /** Path of the PKCS#11 library, e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
    module: name,
    /** The token by its label (CKA_LABEL of the token info) ... */
    tokenLabel: name.optional(),
    /** ... or by slot index in the list of slots with a token. */
    slot: z.number().int().min(0).optional(),
    /** File whose first line is the user PIN ... */
    pinFile: name.optional(),
    /** ... or the environment variable holding it. */
    pinEnv: name.optional(),
    /** Sessions open at most (the pool size); default 4. */
    sessions: z.number().int().min(1).max(1024).default(4),
    realms,
  })
  .refine(oneOf('tokenLabel', 'slot'), 'needs exactly one of tokenLabel, slot')
  .refine(oneOf('pinFile', 'pinEnv'), 'needs exactly one of pinFile, pinEnv');

export const backendDeclarationsSchema = z.record(
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
      'back-end names are 1-64 letters, digits, ".", "_" or "-"',
    ),
  z.discriminatedUnion('type', [vaultBackendSchema, pkcs11BackendSchema]),
);

export type VaultBackend = z.infer<typeof vaultBackendSchema>;
export type Pkcs11Backend = z.infer<typeof pkcs11BackendSchema>;
export type BackendDeclaration = VaultBackend | Pkcs11Backend;
/** Back-end name -> declaration. */
export type BackendDeclarations = Record<string, BackendDeclaration>;

/** JSONPath-like form of a zod issue path: `vault-prod.auth.roleId`, `hsm.realms[0]`. */
const pathOf = (path: readonly PropertyKey[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') ||
  '(top level)';

/**
 * Parses and validates a declaration (the JSON text of KEY_BACKENDS or of the KEY_BACKENDS_FILE).
 * @returns the declarations, or `problems` as `"{path}: {reason}"` lines (never a secret: the
 *   declaration holds none).
 */
export function parseBackendDeclarations(text: string): {
  declarations: BackendDeclarations;
  problems: string[];
} {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { declarations: {}, problems: [`not valid JSON: ${(err as Error).message}`] };
  }
  const parsed = backendDeclarationsSchema.safeParse(json);
  if (!parsed.success)
    return {
      declarations: {},
      problems: parsed.error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`),
    };
  return { declarations: parsed.data, problems: [] };
}

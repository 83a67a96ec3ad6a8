/**
 * The process's connections to the signing back ends the operator declared (KEY_BACKENDS_FILE /
 * KEY_BACKENDS, signer/backend-config.ts): one VaultClient per declared Vault, one session pool
 * per declared PKCS#11 token (each library loaded once for these back ends, Pkcs11Modules: PKCS#11
 * allows one C_Initialize per process, a second is taken as done), each made when first used.
 * Made once by the composition root (services.ts: serve.ts, the test server) and passed down; `health()` feeds `/health/ready`, `close()` ends the connections.
 *
 * A realm reaches a back end only by its declared name, only when the declaration lists the realm
 * (or `"*"`), and only for the type its key provider needs (BackendRefusedError otherwise, with
 * one text for all three cases, so a realm administrator learns nothing of back ends declared for
 * other realms). Nothing in a realm's data can make this class open a connection or load a library
 * the operator did not declare.
 */
import { QsignError } from '../errors.ts';
import { readFileSync } from 'node:fs';
import type { Logger } from '../log.ts';
import { VaultClient, secretFrom } from './vault/client.ts';
import { Pkcs11Modules, Pkcs11Pool } from './pkcs11/module.ts';
import type {
  BackendDeclaration,
  BackendDeclarations,
  Pkcs11Backend,
  VaultBackend,
} from './backend-config.ts';

export type BackendType = BackendDeclaration['type'];

/** A back end a realm may not use (unknown name, another type, or not declared for the realm). */
export class BackendRefusedError extends QsignError {
  constructor(name: string, type: BackendType) {
    super(
      'ERR_BACKEND_REFUSED',
      `"${name}" names no ${type} back end this realm may use (back ends are declared by the operator in KEY_BACKENDS_FILE or KEY_BACKENDS)`,
    );
    this.name = 'BackendRefusedError';
  }
}

/** A declared Vault: its client and transit mount. */
export interface VaultConnection {
  client: VaultClient;
  mount: string;
}

export class Backends {
  readonly #declarations: BackendDeclarations;
  readonly #log: Pick<Logger, 'warn'> | undefined;
  readonly #vault = new Map<string, VaultClient>();
  readonly #pkcs11 = new Map<string, Pkcs11Pool>();
  /** The PKCS#11 libraries loaded for these back ends (one per path, shared by their pools). */
  readonly #modules = new Pkcs11Modules();

  /** @param log where back-end clients report what they recover from (Vault token renewal). */
  constructor(declarations: BackendDeclarations = {}, log?: Pick<Logger, 'warn'>) {
    this.#declarations = declarations;
    this.#log = log;
  }

  /**
   * The declaration of back end `name` of `type` that `realm` (a realm name) may use; pure, no I/O.
   * @throws BackendRefusedError otherwise.
   */
  declaration<T extends BackendType>(
    name: string,
    type: T,
    realm: string,
  ): Extract<BackendDeclaration, { type: T }> {
    const declared = Object.hasOwn(this.#declarations, name) ? this.#declarations[name] : undefined;
    if (
      !declared ||
      declared.type !== type ||
      !(declared.realms.includes('*') || declared.realms.includes(realm))
    )
      throw new BackendRefusedError(name, type);
    return declared as Extract<BackendDeclaration, { type: T }>;
  }

  /** The Vault connection of back end `name` for `realm`. @throws BackendRefusedError. */
  vault(name: string, realm: string): VaultConnection {
    const declared = this.declaration(name, 'vault-transit', realm);
    let client = this.#vault.get(name);
    if (!client) {
      client = vaultClient(declared, this.#log);
      this.#vault.set(name, client);
    }
    return { client, mount: declared.mount };
  }

  /** The session pool of PKCS#11 back end `name` for `realm` (loads the module on first use). @throws BackendRefusedError. */
  pkcs11(name: string, realm: string): Pkcs11Pool {
    const declared = this.declaration(name, 'pkcs11', realm);
    let pool = this.#pkcs11.get(name);
    if (!pool) {
      pool = pkcs11Pool(declared, this.#modules);
      this.#pkcs11.set(name, pool);
    }
    return pool;
  }

  /**
   * Status of the back ends named in `inUse` (Signer#backendId of the keys that sign):
   * `{ name, status: "UP" | "DOWN", reason? }`. Connections made for keys that no longer sign (a
   * disabled or deleted key provider) are not checked, so they cannot hold readiness down.
   */
  async health(
    inUse: Set<string>,
  ): Promise<{ name: string; status: 'UP' | 'DOWN'; reason?: string }[]> {
    const vault = [...this.#vault.values()]
      .filter((client) => inUse.has(`vault-transit ${client.address}`))
      .map(async (client) => {
        const reason = client.circuitOpen ? 'circuit open' : await client.health();
        return {
          name: `vault-transit ${client.address}`,
          status: reason ? ('DOWN' as const) : ('UP' as const),
          ...(reason ? { reason } : {}),
        };
      });
    const tokens = [...this.#pkcs11.values()]
      .filter((pool) => inUse.has(pool.label))
      .map(async (pool) => {
        const reason = await pool.health();
        return {
          name: pool.label,
          status: reason ? ('DOWN' as const) : ('UP' as const),
          ...(reason ? { reason } : {}),
        };
      });
    return Promise.all([...vault, ...tokens]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#vault.values()].map((c) => c.close()));
    this.#vault.clear();
  }
}

function vaultClient(declared: VaultBackend, log: Pick<Logger, 'warn'> | undefined): VaultClient {
  const auth = declared.auth;
  return new VaultClient({
    address: declared.address,
    namespace: declared.namespace,
    caCert: declared.caCertFile ? readFileSync(declared.caCertFile, 'utf8') : undefined,
    timeoutMs: declared.timeoutMs,
    breakerResetMs: declared.breakerResetMs,
    // Secrets are read from their file or variable when needed (again after a 403), so a token
    // rotated by Vault Agent or a new AppRole secret_id is picked up without a restart.
    auth:
      auth.method === 'approle'
        ? {
            method: 'approle',
            roleId: auth.roleId,
            secretIdFile: auth.secretIdFile,
            secretIdEnv: auth.secretIdEnv,
            approleMount: auth.approleMount,
          }
        : { method: 'token', tokenFile: auth.tokenFile, tokenEnv: auth.tokenEnv },
    log,
  });
}

function pkcs11Pool(declared: Pkcs11Backend, modules: Pkcs11Modules): Pkcs11Pool {
  const pinSource = { file: declared.pinFile, env: declared.pinEnv };
  return new Pkcs11Pool(
    declared.module,
    { tokenLabel: declared.tokenLabel, slot: declared.slot },
    () => {
      const pin = secretFrom(pinSource);
      if (!pin)
        throw new Error(
          `pkcs11: no PIN (${declared.pinFile ? `pinFile ${declared.pinFile} is empty` : `environment variable ${declared.pinEnv} is not set`})`,
        );
      return pin;
    },
    { size: declared.sessions, modules },
  );
}

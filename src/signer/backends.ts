/**
 * The process's connections to signing back ends, shared by every realm: one VaultClient per
 * Vault (address, namespace, auth), one PKCS#11 module per library path (PKCS#11 allows one
 * C_Initialize per process) with its session pool per token. `health()` feeds `/health/ready`.
 *
 * Secrets come from where the component config points (`tokenFile`/`tokenEnv`,
 * `secretIdFile`/`secretIdEnv`, `pinFile`/`pinEnv`), never from the config itself, so they are
 * neither stored in the database nor returned by the admin API.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../log.ts';
import { VaultClient, secretFrom } from './vault/client.ts';
import { ComponentError, type ComponentConfig } from '../keys/providers.ts';
import { Pkcs11Pool } from './pkcs11/module.ts';

const first = (config: ComponentConfig, key: string) => config[key]?.[0];

/**
 * `config.sessions` of a `pkcs11` component: the session pool size, a decimal integer >= 1
 * (default 4). @throws ComponentError (field `sessions`) otherwise.
 */
function pkcs11Sessions(config: ComponentConfig): number {
  const text = String(first(config, 'sessions') ?? '4');
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new ComponentError(`config.sessions (the PKCS#11 session pool size) must be an integer >= 1, got "${text}"`, 'sessions');
  return Number(text);
}

export class Backends {
  /** Where back-end clients report what they recover from (Vault token renewal); the process logger. */
  log: Pick<Logger, 'warn'> | undefined;
  readonly #vault = new Map<string, VaultClient>();
  readonly #pkcs11 = new Map<string, Pkcs11Pool>();

  /**
   * The session pool for a `pkcs11` component's token (one per module path and token; the first
   * component's `sessions` and PIN source make it).
   * @throws ComponentError when config.sessions is not an integer >= 1.
   */
  pkcs11(config: ComponentConfig): Pkcs11Pool {
    const modulePath = first(config, 'modulePath');
    if (!modulePath) throw new Error('pkcs11: config.modulePath is required');
    const size = pkcs11Sessions(config);
    const tokenLabel = first(config, 'tokenLabel');
    const slotText = first(config, 'slot');
    if (slotText !== undefined && !/^\d+$/.test(slotText)) throw new ComponentError(`config.slot must be a slot index (a whole number >= 0), got "${slotText}"`, 'slot');
    const slot = slotText !== undefined ? Number(slotText) : undefined;
    const identity = JSON.stringify([modulePath, tokenLabel, slot]);
    let pool = this.#pkcs11.get(identity);
    if (!pool) {
      const pinSource = { file: first(config, 'pinFile'), env: first(config, 'pinEnv') };
      pool = new Pkcs11Pool(modulePath, { tokenLabel, slot }, () => {
        const pin = secretFrom(pinSource);
        if (!pin) throw new Error('pkcs11: no PIN (config.pinEnv or config.pinFile)');
        return pin;
      }, { size });
      this.#pkcs11.set(identity, pool);
    }
    return pool;
  }

  /** The VaultClient for a `vault-transit` component's connection settings. */
  vault(config: ComponentConfig): VaultClient {
    const address = first(config, 'address');
    if (!address) throw new Error('vault-transit: config.address is required');
    const method = (first(config, 'authMethod') ?? 'token') as 'token' | 'approle';
    const identity = JSON.stringify([address, first(config, 'namespace'), method, first(config, 'tokenFile'), first(config, 'tokenEnv'), first(config, 'roleId'), first(config, 'caCertFile')]);
    let client = this.#vault.get(identity);
    if (!client) {
      client = new VaultClient({
        address,
        namespace: first(config, 'namespace'),
        caCert: first(config, 'caCertFile') ? readFileSync(first(config, 'caCertFile')!, 'utf8') : undefined,
        timeoutMs: first(config, 'timeoutMs') ? Number(first(config, 'timeoutMs')) : undefined,
        breakerResetMs: first(config, 'breakerResetMs') ? Number(first(config, 'breakerResetMs')) : undefined,
        // Secrets are read from their file or variable when needed (again after a 403), so a
        // token rotated by Vault Agent or a new AppRole secret_id is picked up without a restart.
        auth: method === 'approle'
          ? { method, roleId: first(config, 'roleId'), secretIdFile: first(config, 'secretIdFile'), secretIdEnv: first(config, 'secretIdEnv'), approleMount: first(config, 'approleMount') }
          : { method: 'token', tokenFile: first(config, 'tokenFile'), tokenEnv: first(config, 'tokenEnv') },
        log: this.log,
      });
      this.#vault.set(identity, client);
    }
    return client;
  }

  /**
   * Status of the back ends named in `inUse` (Signer#backendId of the keys that sign):
   * `{ name, status: "UP" | "DOWN", reason? }`. Connections made for keys that no longer sign (a
   * disabled or deleted key provider) are not checked, so they cannot hold readiness down.
   */
  async health(inUse: Set<string>): Promise<{ name: string; status: 'UP' | 'DOWN'; reason?: string }[]> {
    const vault = [...this.#vault.values()].filter((client) => inUse.has(`vault-transit ${client.address}`)).map(async (client) => {
      const reason = client.circuitOpen ? 'circuit open' : await client.health();
      return { name: `vault-transit ${client.address}`, status: reason ? 'DOWN' as const : 'UP' as const, ...(reason ? { reason } : {}) };
    });
    const tokens = [...this.#pkcs11.values()].filter((pool) => inUse.has(pool.label)).map(async (pool) => {
      const reason = await pool.health();
      return { name: pool.label, status: reason ? 'DOWN' as const : 'UP' as const, ...(reason ? { reason } : {}) };
    });
    return Promise.all([...vault, ...tokens]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#vault.values()].map((c) => c.close()));
    this.#vault.clear();
  }
}

/** The process-wide back ends. */
export const backends = new Backends();

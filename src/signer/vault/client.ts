/**
 * HashiCorp Vault client for the transit secrets engine (Vault "Transit secrets engine (API)"):
 * read a key's versions and public keys, sign with a key version. Token auth by static token or
 * AppRole (login, renew-self before the lease ends, login again when the token is refused),
 * `X-Vault-Namespace`, TLS with a custom CA (undici Agent), a timeout per request, retries with
 * jittered exponential backoff on 429/5xx/connection errors, and a circuit breaker that fails fast
 * while Vault is down (cockatiel). Times in milliseconds.
 *
 * Never logs or puts in an error message the token, the secret_id, or a request body.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import {
  ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, retry, wrap, BrokenCircuitError, CircuitState, type IPolicy, type CircuitBreakerPolicy,
} from 'cockatiel';

export interface VaultAuth {
  method: 'token' | 'approle';
  /** Static token (method "token"). */
  token?: string;
  roleId?: string;
  secretId?: string;
  /** Auth mount of AppRole (default "approle"). */
  approleMount?: string;
}

export interface VaultClientOptions {
  address: string;
  namespace?: string;
  auth: VaultAuth;
  /** PEM of the CA that signs Vault's TLS certificate. */
  caCert?: string;
  timeoutMs?: number;
  /** Attempts per request, first included (default 3). */
  maxAttempts?: number;
  /** Consecutive failures that open the circuit (default 5) and how long it stays open (default 5,000 ms). */
  breakerThreshold?: number;
  breakerResetMs?: number;
}

export class VaultError extends Error {
  readonly status: number;
  readonly errors: string[];
  constructor(status: number, errors: string[]) {
    super(`Vault answered HTTP ${status}${errors.length ? `: ${errors.join('; ')}` : ''}`);
    this.name = 'VaultError';
    this.status = status;
    this.errors = errors;
  }
}

/** Connection refused/reset/timed out: no HTTP status at all. */
export class VaultUnreachableError extends Error {
  constructor(address: string, cause: unknown) {
    super(`Vault at ${address} is unreachable (${(cause as { code?: string }).code ?? (cause as Error).name})`);
    this.name = 'VaultUnreachableError';
  }
}

const retryable = (err: unknown) => err instanceof VaultUnreachableError || (err instanceof VaultError && (err.status === 429 || err.status >= 500));

export interface TransitKey {
  type: string;
  latestVersion: number;
  minDecryptionVersion: number;
  minAvailableVersion: number;
  /** version -> public key as Vault returns it (PEM for RSA/ECDSA, base64 for ML-DSA). */
  publicKeys: Map<number, string>;
}

export class VaultClient {
  readonly address: string;
  readonly #options: VaultClientOptions;
  readonly #dispatcher: Agent;
  readonly #policy: IPolicy;
  readonly #breaker: CircuitBreakerPolicy;
  #token: string | undefined;
  #tokenExpiresAt = 0;
  #tokenRenewAt = 0;
  #tokenRenewable = false;
  #login: Promise<void> | undefined;

  constructor(options: VaultClientOptions) {
    this.#options = options;
    this.address = options.address.replace(/\/+$/, '');
    const timeout = options.timeoutMs ?? 5_000;
    this.#dispatcher = new Agent({ connect: { ca: options.caCert, timeout }, headersTimeout: timeout, bodyTimeout: timeout, keepAliveTimeout: 10_000 });
    if (options.auth.method === 'token') this.#token = options.auth.token;
    const breaker = circuitBreaker(handleWhen(retryable), { halfOpenAfter: options.breakerResetMs ?? 5_000, breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5) });
    const retries = retry(handleWhen(retryable), { maxAttempts: Math.max(0, (options.maxAttempts ?? 3) - 1), backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }) });
    this.#breaker = breaker;
    this.#policy = wrap(retries, breaker);
  }

  /** True while the circuit breaker is open (Vault considered down). */
  get circuitOpen(): boolean {
    return this.#breaker.state === CircuitState.Open;
  }

  async #raw(method: string, path: string, body: unknown, token: string | undefined): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers['x-vault-token'] = token;
    if (this.#options.namespace) headers['x-vault-namespace'] = this.#options.namespace;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await request(`${this.address}/v1/${path}`, { method: method as 'GET', headers, body: body === undefined ? undefined : JSON.stringify(body), dispatcher: this.#dispatcher });
    } catch (err) {
      throw new VaultUnreachableError(this.address, err);
    }
    const text = await response.body.text().catch(() => '');
    let json: { errors?: unknown } = {};
    try { json = text ? JSON.parse(text) : {}; } catch { json = {}; }
    if (response.statusCode >= 400) {
      throw new VaultError(response.statusCode, Array.isArray(json.errors) ? json.errors.map(String) : []);
    }
    return json;
  }

  async #authenticate(force: boolean): Promise<string> {
    const auth = this.#options.auth;
    if (auth.method === 'token') {
      if (!this.#token) throw new VaultError(403, ['no Vault token configured']);
      return this.#token;
    }
    const now = Date.now();
    if (this.#token && !force && now < this.#tokenRenewAt) return this.#token;
    this.#login ??= (async () => {
      try {
        if (!force && this.#token && this.#tokenRenewable && now < this.#tokenExpiresAt) {
          try {
            const renewed = await this.#raw('POST', 'auth/token/renew-self', {}, this.#token) as { auth?: { client_token?: string; lease_duration?: number; renewable?: boolean } };
            this.#accept(renewed.auth);
            return;
          } catch (err) {
            if (!(err instanceof VaultError && err.status === 403)) throw err;
            // The token is gone (revoked, or the lease ended first): log in again below.
          }
        }
        const login = await this.#raw('POST', `auth/${auth.approleMount ?? 'approle'}/login`, { role_id: auth.roleId, secret_id: auth.secretId }, undefined) as { auth?: { client_token?: string; lease_duration?: number; renewable?: boolean } };
        this.#accept(login.auth);
      } finally {
        this.#login = undefined;
      }
    })();
    await this.#login;
    return this.#token!;
  }

  #accept(auth: { client_token?: string; lease_duration?: number; renewable?: boolean } | undefined): void {
    if (!auth?.client_token) throw new VaultError(500, ['AppRole login returned no token']);
    this.#token = auth.client_token;
    // Renew when two thirds of the lease are gone; a zero lease never expires.
    const lease = (auth.lease_duration ?? 0) * 1000;
    this.#tokenExpiresAt = lease > 0 ? Date.now() + lease : Number.MAX_SAFE_INTEGER;
    this.#tokenRenewAt = lease > 0 ? Date.now() + (lease * 2) / 3 : Number.MAX_SAFE_INTEGER;
    this.#tokenRenewable = Boolean(auth.renewable);
  }

  /** One API call through retries and the circuit breaker; a refused AppRole token logs in again once. */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    try {
      return await this.#policy.execute(async () => {
        const token = await this.#authenticate(false);
        try {
          return await this.#raw(method, path, body, token) as T;
        } catch (err) {
          if (err instanceof VaultError && err.status === 403 && this.#options.auth.method === 'approle') {
            return await this.#raw(method, path, body, await this.#authenticate(true)) as T;
          }
          throw err;
        }
      });
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw new VaultUnreachableError(this.address, Object.assign(new Error('circuit open'), { code: 'CIRCUIT_OPEN' }));
      throw err;
    }
  }

  /** GET /v1/{mount}/keys/{name} */
  async readKey(mount: string, name: string): Promise<TransitKey> {
    const { data } = await this.call<{ data: { type: string; latest_version: number; min_decryption_version?: number; min_available_version?: number; keys: Record<string, { public_key?: string } | number> } }>('GET', `${mount}/keys/${encodeURIComponent(name)}`);
    const publicKeys = new Map<number, string>();
    for (const [version, entry] of Object.entries(data.keys ?? {})) {
      if (typeof entry === 'object' && entry.public_key) publicKeys.set(Number(version), entry.public_key);
    }
    return {
      type: data.type, latestVersion: data.latest_version, minDecryptionVersion: data.min_decryption_version ?? 1,
      minAvailableVersion: data.min_available_version ?? 0, publicKeys,
    };
  }

  /**
   * POST /v1/{mount}/sign/{name} with `input` base64 and the parameters of `params`; returns the raw
   * signature (the part after `vault:vN:`, base64 or, with marshaling_algorithm jws, base64url).
   */
  async sign(mount: string, name: string, input: Uint8Array, params: Record<string, unknown>): Promise<Buffer> {
    const { data } = await this.call<{ data: { signature: string } }>('POST', `${mount}/sign/${encodeURIComponent(name)}`, { ...params, input: Buffer.from(input).toString('base64') });
    const match = /^vault:v\d+:(.+)$/.exec(data?.signature ?? '');
    if (!match) throw new VaultError(500, ['unexpected signature format']);
    return Buffer.from(match[1], params.marshaling_algorithm === 'jws' ? 'base64url' : 'base64');
  }

  /** GET /v1/sys/health: undefined when active and unsealed, else the reason. */
  async health(): Promise<string | undefined> {
    try {
      await this.#raw('GET', 'sys/health', undefined, undefined);
      return undefined;
    } catch (err) {
      if (err instanceof VaultError) return err.status === 503 ? 'sealed' : err.status === 429 ? 'standby' : `HTTP ${err.status}`;
      return 'unreachable';
    }
  }

  close(): Promise<void> {
    return this.#dispatcher.close();
  }
}

/** Reads a secret from a file (first line) or an environment variable. */
export function secretFrom(source: { file?: string; env?: string }): string | undefined {
  if (source.file) return readFileSync(source.file, 'utf8').split('\n')[0].trim();
  if (source.env) return process.env[source.env];
  return undefined;
}

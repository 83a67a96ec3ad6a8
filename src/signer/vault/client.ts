/**
 * HashiCorp Vault client for the transit secrets engine (Vault "Transit secrets engine (API)"):
 * read a key's versions and public keys, sign with a key version. Token auth by static token or
 * AppRole (login, renew-self before the lease ends, login again when the token is refused),
 * `X-Vault-Namespace`, TLS with a custom CA (undici Agent), a timeout per request, retries with
 * jittered exponential backoff on 429/5xx/connection errors, and a circuit breaker that fails fast
 * while Vault is down (cockatiel). Times in milliseconds.
 *
 * Secrets are read when needed, not when the client is made: the token (`tokenFile`/`tokenEnv`) on
 * first use and again whenever Vault refuses it (Vault Agent rewrites its sink file when it gets a
 * new token), the AppRole secret_id (`secretIdFile`/`secretIdEnv`) at every login (so a rotated
 * secret_id is picked up). A request refused with 403 is retried once with the new credentials.
 * Concurrent requests share one login, and only a refusal of the current token starts one, so a
 * burst of refused requests costs one login (one use of `secret_id_num_uses`). A renewal that fails
 * for any reason but 403 keeps the current token until it expires (with a warning).
 *
 * Never logs or puts in an error message the token, the secret_id, or a request body.
 */
import { QsignError } from '../../errors.ts';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import {
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  BrokenCircuitError,
  CircuitState,
  type IPolicy,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { Logger } from '../../log.ts';

export interface VaultAuth {
  method: 'token' | 'approle';
  /** Static token (method "token"), used when neither tokenFile nor tokenEnv is set. */
  token?: string;
  /** File whose first line is the token (e.g. a Vault Agent sink); read on first use and after a 403. */
  tokenFile?: string;
  /** Environment variable holding the token (when no tokenFile). */
  tokenEnv?: string;
  roleId?: string;
  /** Static secret_id (method "approle"), used when neither secretIdFile nor secretIdEnv is set. */
  secretId?: string;
  /** File whose first line is the AppRole secret_id; read at every login. */
  secretIdFile?: string;
  /** Environment variable holding the secret_id (when no secretIdFile). */
  secretIdEnv?: string;
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
  /** Where warnings go (a failed renewal); none when unset (the server passes its logger, see Backends#log). */
  log?: Pick<Logger, 'warn'>;
}

export class VaultError extends QsignError {
  readonly status: number;
  readonly errors: string[];
  constructor(status: number, errors: string[]) {
    super(
      'ERR_VAULT',
      `Vault answered HTTP ${status}${errors.length ? `: ${errors.join('; ')}` : ''}`,
    );
    this.name = 'VaultError';
    this.status = status;
    this.errors = errors;
  }
}

/** Connection refused/reset/timed out: no HTTP status at all. */
export class VaultUnreachableError extends QsignError {
  constructor(address: string, cause: unknown) {
    super(
      'ERR_VAULT_UNREACHABLE',
      `Vault at ${address} is unreachable (${(cause as { code?: string }).code ?? (cause as Error).name})`,
    );
    this.name = 'VaultUnreachableError';
  }
}

/**
 * No usable credentials: the token or secret_id is missing (file unreadable or empty, variable
 * unset) or the AppRole login was refused. Names the file or variable, never the secret.
 */
export class VaultAuthError extends QsignError {
  /** Vault's HTTP status when Vault refused the login, else undefined. */
  readonly status: number | undefined;
  constructor(detail: string, status?: number) {
    super('ERR_VAULT_AUTH', `Vault authentication failed: ${detail}`);
    this.name = 'VaultAuthError';
    this.status = status;
  }
}

const retryable = (err: unknown) =>
  err instanceof VaultUnreachableError ||
  (err instanceof VaultError && (err.status === 429 || err.status >= 500));
const refused = (err: unknown): err is VaultError =>
  err instanceof VaultError && err.status === 403;
/** After a renewal that failed for a transient reason, the next attempt waits this long (or until the token expires). */
const RENEW_RETRY_MS = 1_000;

interface AuthResponse {
  auth?: { client_token?: string; lease_duration?: number; renewable?: boolean };
}

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
  /** The token in use (method "token": as last read; "approle": from the last login), read lazily. */
  #token: string | undefined;
  #tokenExpiresAt = 0;
  #tokenRenewAt = 0;
  #tokenRenewable = false;
  /** The AppRole login or renewal in flight, shared by every caller that needs it. */
  #pending: Promise<string> | undefined;

  constructor(options: VaultClientOptions) {
    this.#options = options;
    this.address = options.address.replace(/\/+$/, '');
    const timeout = options.timeoutMs ?? 5_000;
    this.#dispatcher = new Agent({
      connect: { ca: options.caCert, timeout },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 10_000,
    });
    const breaker = circuitBreaker(handleWhen(retryable), {
      halfOpenAfter: options.breakerResetMs ?? 5_000,
      breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
    });
    const retries = retry(handleWhen(retryable), {
      maxAttempts: Math.max(0, (options.maxAttempts ?? 3) - 1),
      backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }),
    });
    this.#breaker = breaker;
    this.#policy = wrap(retries, breaker);
  }

  /** True while the circuit breaker is open (Vault considered down). */
  get circuitOpen(): boolean {
    return this.#breaker.state === CircuitState.Open;
  }

  async #raw(
    method: string,
    path: string,
    body: unknown,
    token: string | undefined,
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers['x-vault-token'] = token;
    if (this.#options.namespace) headers['x-vault-namespace'] = this.#options.namespace;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await request(`${this.address}/v1/${path}`, {
        method: method as 'GET',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: this.#dispatcher,
      });
    } catch (err) {
      throw new VaultUnreachableError(this.address, err);
    }
    const text = await response.body.text().catch(() => '');
    let json: { errors?: unknown } = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = {};
    }
    if (response.statusCode >= 400) {
      throw new VaultError(
        response.statusCode,
        Array.isArray(json.errors) ? json.errors.map(String) : [],
      );
    }
    return json;
  }

  /** The token or the secret_id from its file (first line), variable or static value, read now. */
  #secret(kind: 'token' | 'secretId'): string {
    const auth = this.#options.auth;
    const [file, env, value, fileKey, what] =
      kind === 'token'
        ? [auth.tokenFile, auth.tokenEnv, auth.token, 'tokenFile', 'token']
        : [auth.secretIdFile, auth.secretIdEnv, auth.secretId, 'secretIdFile', 'secret_id'];
    if (file) {
      let secret: string;
      try {
        secret = secretFrom({ file })!;
      } catch (err) {
        throw new VaultAuthError(
          `cannot read ${fileKey} ${file} (${(err as { code?: string }).code ?? (err as Error).name})`,
        );
      }
      if (!secret) throw new VaultAuthError(`${fileKey} ${file} is empty`);
      return secret;
    }
    if (env) {
      const secret = process.env[env];
      if (!secret) throw new VaultAuthError(`environment variable ${env} (the ${what}) is not set`);
      return secret;
    }
    if (!value) throw new VaultAuthError(`no ${what} configured`);
    return value;
  }

  /**
   * The token to send. `failed` is a token Vault has just refused (403): if it is still the
   * current one, new credentials are fetched (token file read again; AppRole login), else the
   * token that already replaced it is returned. The result equals `failed` when nothing better is
   * available (e.g. the token file still holds the refused token).
   */
  async #authenticate(failed?: string): Promise<string> {
    if (this.#options.auth.method === 'token') {
      if (this.#token === undefined || (failed !== undefined && failed === this.#token))
        this.#token = this.#secret('token');
      return this.#token;
    }
    if (this.#pending) return this.#pending;
    const force = failed !== undefined && failed === this.#token;
    if (this.#token !== undefined && !force && Date.now() < this.#tokenRenewAt) return this.#token;
    const pending = this.#refresh(force).finally(() => {
      if (this.#pending === pending) this.#pending = undefined;
    });
    this.#pending = pending;
    return pending;
  }

  /** AppRole: renew the current token or log in again (forced: the current token was refused). */
  async #refresh(force: boolean): Promise<string> {
    const token = this.#token;
    const usable = !force && token !== undefined && Date.now() < this.#tokenExpiresAt;
    let gone = !usable;
    if (usable && this.#tokenRenewable) {
      try {
        this.#accept(
          ((await this.#raw('POST', 'auth/token/renew-self', {}, token)) as AuthResponse).auth,
        );
        return this.#token!;
      } catch (err) {
        // 403: the token is gone (revoked, or its lease ended first), log in again. A transient
        // failure: the token is still good until it expires, keep it and try again later.
        if (refused(err)) gone = true;
        else if (retryable(err)) return this.#keep(token, 'renewal', err);
      }
    }
    try {
      return await this.#login();
    } catch (err) {
      if (!gone && token !== undefined && Date.now() < this.#tokenExpiresAt)
        return this.#keep(token, 'login', err);
      throw err;
    }
  }

  async #login(): Promise<string> {
    const auth = this.#options.auth;
    if (!auth.roleId) throw new VaultAuthError('no roleId configured');
    const secretId = this.#secret('secretId');
    let response: AuthResponse;
    try {
      response = (await this.#raw(
        'POST',
        `auth/${auth.approleMount ?? 'approle'}/login`,
        { role_id: auth.roleId, secret_id: secretId },
        undefined,
      )) as AuthResponse;
    } catch (err) {
      if (err instanceof VaultError && !retryable(err))
        throw new VaultAuthError(
          `AppRole login refused (${err.message.replace(/^Vault answered /, '')})`,
          err.status,
        );
      throw err;
    }
    this.#accept(response.auth);
    return this.#token!;
  }

  /** Keeps using `token` after a failed renewal or login; the next attempt is after RENEW_RETRY_MS. */
  #keep(token: string, what: 'renewal' | 'login', err: unknown): string {
    this.#tokenRenewAt = Math.min(this.#tokenExpiresAt, Date.now() + RENEW_RETRY_MS);
    this.#options.log?.warn(
      {
        vault: this.address,
        expiresInMs: this.#tokenExpiresAt - Date.now(),
        err: { name: (err as Error).name, message: (err as Error).message },
      },
      `${what === 'renewal' ? 'Vault token renewal' : 'Vault AppRole login'} failed; using the current token until it expires`,
    );
    return token;
  }

  #accept(auth: AuthResponse['auth']): void {
    if (!auth?.client_token) throw new VaultError(500, ['AppRole login returned no token']);
    this.#token = auth.client_token;
    // Renew when two thirds of the lease are gone; a zero lease never expires.
    const lease = (auth.lease_duration ?? 0) * 1000;
    this.#tokenExpiresAt = lease > 0 ? Date.now() + lease : Number.MAX_SAFE_INTEGER;
    this.#tokenRenewAt = lease > 0 ? Date.now() + (lease * 2) / 3 : Number.MAX_SAFE_INTEGER;
    this.#tokenRenewable = Boolean(auth.renewable);
  }

  /**
   * One authenticated request; a 403 fetches new credentials (if there are any) and tries once more.
   * Records the outcome for health(): an authentication failure until a request succeeds again.
   */
  async #send<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    try {
      const result = await this.#sendOnce<T>(method, path, body);
      this.#authFailure = undefined;
      return result;
    } catch (err) {
      if (err instanceof VaultAuthError) this.#authFailure = err.message;
      else if (refused(err))
        this.#authFailure = `Vault authentication failed: token refused (HTTP 403${(err as VaultError).errors.length ? `: ${(err as VaultError).errors.join('; ')}` : ''})`;
      throw err;
    }
  }

  /** Why the last authenticated request failed to authenticate, until one succeeds; never a secret. */
  #authFailure: string | undefined;

  async #sendOnce<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const token = await this.#authenticate();
    try {
      return (await this.#raw(method, path, body, token)) as T;
    } catch (err) {
      if (!refused(err)) throw err;
      const next = await this.#authenticate(token);
      if (next === token) throw err;
      return (await this.#raw(method, path, body, next)) as T;
    }
  }

  /** One API call through retries and the circuit breaker; a refused token is replaced once (see #send). */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    try {
      return await this.#policy.execute(() => this.#send<T>(method, path, body));
    } catch (err) {
      if (err instanceof BrokenCircuitError)
        throw new VaultUnreachableError(
          this.address,
          Object.assign(new Error('circuit open'), { code: 'CIRCUIT_OPEN' }),
        );
      throw err;
    }
  }

  /** GET /v1/{mount}/keys/{name} */
  async readKey(mount: string, name: string): Promise<TransitKey> {
    const { data } = await this.call<{
      data: {
        type: string;
        latest_version: number;
        min_decryption_version?: number;
        min_available_version?: number;
        keys: Record<string, { public_key?: string } | number>;
      };
    }>('GET', `${mount}/keys/${encodeURIComponent(name)}`);
    const publicKeys = new Map<number, string>();
    for (const [version, entry] of Object.entries(data.keys ?? {})) {
      if (typeof entry === 'object' && entry.public_key)
        publicKeys.set(Number(version), entry.public_key);
    }
    return {
      type: data.type,
      latestVersion: data.latest_version,
      minDecryptionVersion: data.min_decryption_version ?? 1,
      minAvailableVersion: data.min_available_version ?? 0,
      publicKeys,
    };
  }

  /**
   * POST /v1/{mount}/sign/{name} with `input` base64 and the parameters of `params`; returns the raw
   * signature (the part after `vault:vN:`, base64 or, with marshaling_algorithm jws, base64url).
   */
  async sign(
    mount: string,
    name: string,
    input: Uint8Array,
    params: Record<string, unknown>,
  ): Promise<Buffer> {
    const { data } = await this.call<{ data: { signature: string } }>(
      'POST',
      `${mount}/sign/${encodeURIComponent(name)}`,
      { ...params, input: Buffer.from(input).toString('base64') },
    );
    const match = /^vault:v\d+:(.+)$/.exec(data?.signature ?? '');
    if (!match) throw new VaultError(500, ['unexpected signature format']);
    return Buffer.from(match[1], params.marshaling_algorithm === 'jws' ? 'base64url' : 'base64');
  }

  /**
   * Health for `/health/ready`: Vault's own state from `GET /v1/sys/health?standbyok=true&perfstandbyok=true`
   * (no token needed; "sealed", "unreachable", "HTTP n"). A standby or performance standby node
   * counts as healthy, as its 200 with those parameters says: it forwards transit requests to the
   * active node (Vault API docs, /sys/health; without them it answers 429 or 473). Then the authentication outcome of the last
   * signing or key read ("Vault authentication failed: ..." until a request succeeds again). It
   * neither logs in nor asks for any permission signing does not need (a lookup-self check would
   * use up AppRole secret_id uses and fail under policies without the default policy). Not through
   * the retries and the breaker, which the caller checks with `circuitOpen`. Undefined when healthy.
   */
  async health(): Promise<string | undefined> {
    try {
      await this.#raw('GET', 'sys/health?standbyok=true&perfstandbyok=true', undefined, undefined);
    } catch (err) {
      if (err instanceof VaultError) return err.status === 503 ? 'sealed' : `HTTP ${err.status}`;
      return 'unreachable';
    }
    return this.#authFailure;
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

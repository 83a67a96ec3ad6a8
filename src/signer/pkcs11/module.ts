/**
 * PKCS#11 with pkcs11js, following the pitfalls of ARCHITECTURE.md section 7:
 * - one C_Initialize per library per process, with CKF_OS_LOCKING_OK (without it SoftHSM drops
 *   its locking and concurrent asynchronous signing crashes);
 * - a pool of sessions, one operation per session at a time, sized to the wanted concurrency;
 * - login is per token, not per session, and is lost when the last session closes: every
 *   session taken from the pool is checked, and a session that fails with a session/login error
 *   is thrown away and the operation retried once on a fresh, logged-in session;
 * - a PIN the token refuses (CKR_PIN_INCORRECT, _LOCKED, _EXPIRED, _LEN_RANGE, _INVALID) is never
 *   tried twice: the pool latches the failure and calls C_Login again only once the PIN source
 *   gives another PIN (re-read on each acquire and health check while latched), so a typo in the
 *   pin file cannot use up the token's retry counter and lock the user PIN;
 * - nobody waits for a session forever: a waiter is rejected when no session can be opened and
 *   none is open, and after ACQUIRE_TIMEOUT_MS;
 * - keys are found by CKA_ID (hex in config) and class.
 * The pool refuses with Pkcs11UnavailableError (a SignerUnavailableError: 503 at the token
 * endpoint); errors of the token itself (CKR_...) are thrown as pkcs11js raised them.
 */
import { createHmac, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { SignerUnavailableError } from '../signer.ts';

const { PKCS11 } = pkcs11js;
type Handle = Buffer;

/**
 * The PKCS#11 libraries one set of back ends has loaded, by path: owned by Backends
 * (signer/backends.ts), so that its pools of one library share one loaded module. The library's
 * own state is per process (C_Initialize once, login per token): a second owner in the same
 * process (another server in a test) gets CKR_CRYPTOKI_ALREADY_INITIALIZED, which is taken as
 * done, and CKR_USER_ALREADY_LOGGED_IN at login, likewise (Pkcs11Pool).
 */
export class Pkcs11Modules {
  readonly #loaded = new Map<string, InstanceType<typeof PKCS11>>();

  /** The loaded, initialised library at `path`. @throws Error when it cannot be loaded or initialised. */
  get(path: string): InstanceType<typeof PKCS11> {
    let lib = this.#loaded.get(path);
    if (!lib) {
      lib = new PKCS11();
      lib.load(path);
      try {
        lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
      } catch (err) {
        if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test((err as Error).message)) throw err;
      }
      this.#loaded.set(path, lib);
    }
    return lib;
  }
}

/** Errors after which a session is useless: open a new one (and log in) and try again. */
const SESSION_LOST =
  /CKR_(SESSION_HANDLE_INVALID|SESSION_CLOSED|USER_NOT_LOGGED_IN|TOKEN_NOT_PRESENT|DEVICE_REMOVED|DEVICE_ERROR|SESSION_COUNT)/;

/** C_Login results that mean "this PIN will not do": retrying it only counts towards a lockout. */
const PIN_REFUSED = /CKR_PIN_(INCORRECT|INVALID|LEN_RANGE|EXPIRED|LOCKED)/;

/**
 * How long (milliseconds) an operation waits for a free session of a full pool before it fails
 * closed with Pkcs11UnavailableError. Signing takes milliseconds, so a wait this long means the
 * token is stuck or far too busy for the pool size.
 */
export const ACQUIRE_TIMEOUT_MS = 5_000;

/** The pool cannot give out a session now (PIN refused, nothing open, timed out): fails closed. */
export class Pkcs11UnavailableError extends SignerUnavailableError {
  /** @param message what is wrong, naming the token and never the PIN; @param cause the token's error, if any. */
  constructor(message: string, cause?: unknown) {
    super('pkcs11', '(any key on the token)', cause);
    this.name = 'Pkcs11UnavailableError';
    this.message = message;
  }
}

export interface TokenSelector {
  tokenLabel?: string;
  slot?: number;
}

export interface PoolOptions {
  /** Sessions open at most, an integer >= 1 (default 4). */
  size?: number;
  /** Milliseconds a caller waits for a session of a full pool (default ACQUIRE_TIMEOUT_MS). */
  acquireTimeoutMs?: number;
  /** The loaded libraries to take the module from (Backends'); default a set of this pool's own. */
  modules?: Pkcs11Modules;
}

interface Waiter {
  resolve: (session: Handle) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** A refused login: its error, and a keyed digest of the refused PIN (the PIN itself is not kept). */
interface PinLatch {
  error: Pkcs11UnavailableError;
  pinDigest: string;
}

export class Pkcs11Pool {
  readonly lib: InstanceType<typeof PKCS11>;
  readonly label: string;
  readonly #selector: TokenSelector;
  readonly #pin: () => string;
  readonly #size: number;
  readonly #acquireTimeoutMs: number;
  readonly #idle: Handle[] = [];
  #open = 0;
  readonly #waiting: Waiter[] = [];
  #latch: PinLatch | undefined;
  readonly #digestKey = randomBytes(32);

  /**
   * @param pin reads the user PIN from its source (called for each login, and on each acquire
   *   and health check while a refused PIN is latched); throws when there is none.
   * @throws Error when `options.size` is not an integer >= 1.
   */
  constructor(
    modulePath: string,
    selector: TokenSelector,
    pin: () => string,
    options: PoolOptions = {},
  ) {
    const size = options.size ?? 4;
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`pkcs11: the session pool size must be an integer >= 1, got ${size}`);
    this.lib = (options.modules ?? new Pkcs11Modules()).get(modulePath);
    this.#selector = selector;
    this.#pin = pin;
    this.#size = size;
    this.#acquireTimeoutMs = options.acquireTimeoutMs ?? ACQUIRE_TIMEOUT_MS;
    this.label = `pkcs11 ${modulePath} ${selector.tokenLabel ?? `slot ${selector.slot}`}`;
  }

  /** The token for messages: `PKCS#11 token "label"` or `the PKCS#11 token in slot N`. */
  get #token(): string {
    return this.#selector.tokenLabel !== undefined
      ? `PKCS#11 token "${this.#selector.tokenLabel}"`
      : `the PKCS#11 token in slot ${this.#selector.slot ?? 0}`;
  }

  slot(): Handle {
    const slots = this.lib.C_GetSlotList(true);
    if (this.#selector.tokenLabel !== undefined) {
      const found = slots.find(
        (s) => this.lib.C_GetTokenInfo(s).label.trim() === this.#selector.tokenLabel,
      );
      if (!found) throw new Error(`no PKCS#11 token labelled "${this.#selector.tokenLabel}"`);
      return found;
    }
    const index = this.#selector.slot ?? 0;
    if (!slots[index]) throw new Error(`no PKCS#11 token in slot ${index}`);
    return slots[index];
  }

  #pinDigest(pin: string): string {
    return createHmac('sha256', this.#digestKey).update(pin).digest('hex');
  }

  /**
   * The latched login failure while the PIN source still gives the refused PIN; undefined (and
   * the latch cleared, so the next open logs in once) when there is none or the PIN changed.
   * @throws what reading the PIN source throws.
   */
  #latched(): Pkcs11UnavailableError | undefined {
    if (!this.#latch) return undefined;
    if (this.#pinDigest(this.#pin()) === this.#latch.pinDigest) return this.#latch.error;
    this.#latch = undefined;
    return undefined;
  }

  /** Latches a refused PIN: no C_Login until the PIN source changes. @returns the latched error. */
  #latchRefusedPin(pin: string, err: Error): Pkcs11UnavailableError {
    const code = PIN_REFUSED.exec(err.message)![0];
    const error = new Pkcs11UnavailableError(
      `${this.#token} refused the user PIN (${code}); no further login until the PIN in config.pinFile/pinEnv changes`,
      err,
    );
    this.#latch = { error, pinDigest: this.#pinDigest(pin) };
    return error;
  }

  /** A new logged-in session. @throws the latched error without logging in while the PIN is unchanged. */
  #openSession(): Handle {
    const latched = this.#latched();
    if (latched) throw latched;
    const pin = this.#pin();
    const session = this.lib.C_OpenSession(
      this.slot(),
      pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION,
    );
    try {
      this.lib.C_Login(session, pkcs11js.CKU_USER, pin);
    } catch (err) {
      if (!/CKR_USER_ALREADY_LOGGED_IN/.test((err as Error).message)) {
        this.lib.C_CloseSession(session);
        throw PIN_REFUSED.test((err as Error).message)
          ? this.#latchRefusedPin(pin, err as Error)
          : err;
      }
    }
    this.#open += 1;
    return session;
  }

  async #acquire(): Promise<Handle> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#open < this.#size) return this.#openSession();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => this.#timeOut(waiter), this.#acquireTimeoutMs),
      };
      waiter.timer.unref();
      this.#waiting.push(waiter);
    });
  }

  #timeOut(waiter: Waiter): void {
    const index = this.#waiting.indexOf(waiter);
    if (index >= 0) this.#waiting.splice(index, 1);
    waiter.reject(
      new Pkcs11UnavailableError(
        `${this.#token}: no session free within ${this.#acquireTimeoutMs} ms (pool of ${this.#size})`,
      ),
    );
  }

  /** Hands `session` to the longest waiter; false when nobody waits. */
  #handOver(session: Handle): boolean {
    const next = this.#waiting.shift();
    if (!next) return false;
    clearTimeout(next.timer);
    next.resolve(session);
    return true;
  }

  #release(session: Handle): void {
    if (!this.#handOver(session)) this.#idle.push(session);
  }

  #discard(session: Handle): void {
    this.#open -= 1;
    try {
      this.lib.C_CloseSession(session);
    } catch {
      /* already gone */
    }
    if (this.#waiting.length === 0) return;
    // A waiter gets a fresh session instead of the lost one.
    let fresh: Handle;
    try {
      fresh = this.#openSession();
    } catch (err) {
      // Sessions still in use will come back to the waiters; with none, nothing ever would.
      if (this.#open === 0) this.#rejectWaiters(err);
      return;
    }
    this.#release(fresh);
  }

  /** Fails every waiter closed with the reason no session can be opened. */
  #rejectWaiters(cause: unknown): void {
    const error =
      cause instanceof Pkcs11UnavailableError
        ? cause
        : new Pkcs11UnavailableError(
            `${this.#token}: no session can be opened: ${(cause as Error).message.split('\n')[0]}`,
            cause,
          );
    for (const waiter of this.#waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  /**
   * Runs `fn` on a logged-in session of its own; retries once on a lost session or login.
   * @throws Pkcs11UnavailableError when the PIN is latched as refused, or (for a caller waiting on a
   *   full pool) no session comes within the acquire timeout or none can be opened any more;
   *   otherwise what `fn` or the token throws.
   */
  async withSession<T>(fn: (session: Handle) => Promise<T> | T): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      const session = await this.#acquire();
      try {
        const result = await fn(session);
        this.#release(session);
        return result;
      } catch (err) {
        if (SESSION_LOST.test((err as Error).message)) {
          this.#discard(session);
          // The token lost its login or was reset: the idle sessions are as stale as this one, and
          // the retry must not take one of them.
          for (const stale of this.#idle.splice(0)) this.#discard(stale);
          if (attempt === 0) continue;
        } else {
          this.#release(session);
        }
        throw err;
      }
    }
  }

  /** The object of `cls` with CKA_ID `id` (hex). */
  findByCkaId(session: Handle, cls: number, idHex: string): Handle | undefined {
    this.lib.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: cls },
      { type: pkcs11js.CKA_ID, value: Buffer.from(idHex, 'hex') },
    ]);
    try {
      return this.lib.C_FindObjects(session, 1)[0];
    } finally {
      this.lib.C_FindObjectsFinal(session);
    }
  }

  /** Mechanisms the token lists (C_GetMechanismList). */
  mechanisms(): Set<number> {
    return new Set(this.lib.C_GetMechanismList(this.slot()));
  }

  /** For tests and operators: drop every session of the token (its login goes with them). */
  closeAllSessions(): void {
    this.lib.C_CloseAllSessions(this.slot());
  }

  /**
   * For `/health/ready`: undefined when a session answers, else the first line of the reason. A
   * latched refused PIN is reported as it is, without logging in (unless the PIN source changed:
   * then this check logs in once).
   */
  async health(): Promise<string | undefined> {
    try {
      const latched = this.#latched();
      if (latched) return latched.message;
      await this.withSession((s) => this.lib.C_GetSessionInfo(s));
      return undefined;
    } catch (err) {
      return (err as Error).message.split('\n')[0];
    }
  }
}

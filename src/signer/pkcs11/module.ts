/**
 * PKCS#11 with pkcs11js, following the pitfalls of ARCHITECTURE.md section 7:
 * - one C_Initialize per library per process, with CKF_OS_LOCKING_OK (without it SoftHSM drops
 *   its locking and concurrent asynchronous signing crashes);
 * - a pool of sessions, one operation per session at a time, sized to the wanted concurrency;
 * - login is per token, not per session, and is lost when the last session closes: every
 *   session taken from the pool is checked, and a session that fails with a session/login error
 *   is thrown away and the operation retried once on a fresh, logged-in session;
 * - keys are found by CKA_ID (hex in config) and class.
 */
import pkcs11js from 'pkcs11js';

const { PKCS11 } = pkcs11js;
type Handle = Buffer;

const modules = new Map<string, InstanceType<typeof PKCS11>>();

/** The loaded, initialised library at `path` (one per process). */
export function pkcs11Module(path: string): InstanceType<typeof PKCS11> {
  let lib = modules.get(path);
  if (!lib) {
    lib = new PKCS11();
    lib.load(path);
    try {
      lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (err) {
      if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test((err as Error).message)) throw err;
    }
    modules.set(path, lib);
  }
  return lib;
}

/** Errors after which a session is useless: open a new one (and log in) and try again. */
const SESSION_LOST = /CKR_(SESSION_HANDLE_INVALID|SESSION_CLOSED|USER_NOT_LOGGED_IN|TOKEN_NOT_PRESENT|DEVICE_REMOVED|DEVICE_ERROR|SESSION_COUNT)/;

export interface TokenSelector { tokenLabel?: string; slot?: number }

export class Pkcs11Pool {
  readonly lib: InstanceType<typeof PKCS11>;
  readonly label: string;
  readonly #selector: TokenSelector;
  readonly #pin: () => string;
  readonly #size: number;
  readonly #idle: Handle[] = [];
  #open = 0;
  readonly #waiting: ((session: Handle) => void)[] = [];

  constructor(modulePath: string, selector: TokenSelector, pin: () => string, size = 4) {
    this.lib = pkcs11Module(modulePath);
    this.#selector = selector;
    this.#pin = pin;
    this.#size = size;
    this.label = `pkcs11 ${modulePath} ${selector.tokenLabel ?? `slot ${selector.slot}`}`;
  }

  slot(): Handle {
    const slots = this.lib.C_GetSlotList(true);
    if (this.#selector.tokenLabel !== undefined) {
      const found = slots.find((s) => this.lib.C_GetTokenInfo(s).label.trim() === this.#selector.tokenLabel);
      if (!found) throw new Error(`no PKCS#11 token labelled "${this.#selector.tokenLabel}"`);
      return found;
    }
    const index = this.#selector.slot ?? 0;
    if (!slots[index]) throw new Error(`no PKCS#11 token in slot ${index}`);
    return slots[index];
  }

  #openSession(): Handle {
    const session = this.lib.C_OpenSession(this.slot(), pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      this.lib.C_Login(session, pkcs11js.CKU_USER, this.#pin());
    } catch (err) {
      if (!/CKR_USER_ALREADY_LOGGED_IN/.test((err as Error).message)) {
        this.lib.C_CloseSession(session);
        throw err;
      }
    }
    this.#open += 1;
    return session;
  }

  async #acquire(): Promise<Handle> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#open < this.#size) return this.#openSession();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(session: Handle): void {
    const next = this.#waiting.shift();
    if (next) next(session); else this.#idle.push(session);
  }

  #discard(session: Handle): void {
    this.#open -= 1;
    try { this.lib.C_CloseSession(session); } catch { /* already gone */ }
    // A waiter gets a fresh session instead of the lost one.
    const next = this.#waiting.shift();
    if (next) {
      try { next(this.#openSession()); } catch { this.#waiting.unshift(next); }
    }
  }

  /** Runs `fn` on a logged-in session of its own; retries once on a lost session or login. */
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
    this.lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: cls }, { type: pkcs11js.CKA_ID, value: Buffer.from(idHex, 'hex') }]);
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

  async health(): Promise<string | undefined> {
    try {
      await this.withSession((s) => this.lib.C_GetSessionInfo(s));
      return undefined;
    } catch (err) {
      return (err as Error).message.split('\n')[0];
    }
  }
}

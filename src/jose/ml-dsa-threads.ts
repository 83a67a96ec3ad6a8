/**
 * Signing threads: pure ML-DSA signatures made by liboqs on worker threads (piscina), so one
 * process signs on a core its event loop does not occupy. Measured with `npm run bench`'s
 * workload: one worker process with one signing thread answers about 1.4x the ML-DSA-65
 * client_credentials grants/s of signing on the event loop (README, "Performance").
 *
 * Without `SigningThreads#start` (CLI commands, the raw-signing bench) or with 0 threads, ML-DSA
 * signs on the calling thread. The threads never fail a signature and never hold one up for
 * long: a task that fails, or has no answer within the task timeout, is signed on the calling
 * thread instead. The pool is stopped for good, `onFailure` told, and every later signature made
 * on the calling thread, when a thread cannot start (its module fails to load: the pool's
 * 'error') or after 3 failed or timed-out tasks in a row (a thread that dies while starting,
 * with no error, leaves its tasks queued for ever in piscina 5).
 *
 * DILITHIUM3 (round 3, jose/dilithium3.ts) does not use these threads: its implementation (pqclean's
 * WebAssembly build) signs on worker threads of its own, so it never signs on the event loop either.
 */
import { Piscina } from 'piscina';
import type { MlDsaParameterSet } from './liboqs.ts';
import type { MlDsaTask } from './ml-dsa-worker.ts';

/** Tasks queued on one thread ahead of the one it runs, so it never waits for the event loop. */
const TASKS_PER_THREAD = 8;
/**
 * Signatures on or waiting for one thread beyond which callers sign themselves. At about 1 ms per
 * ML-DSA-65 signature this bounds the wait to tens of ms, far below the task timeout, so an
 * overload (more requests than the thread signs) spills onto the event loop instead of piling
 * up in piscina's queue until tasks time out, get signed twice and stop the threads.
 */
const QUEUED_PER_THREAD = 2 * TASKS_PER_THREAD;
/** Failed or timed-out tasks in a row that stop the pool. */
const FAILURES_BEFORE_STOP = 3;

export interface SigningThreadsOptions {
  /** Told once, when the threads are stopped and signing moves back to the event loop. */
  onFailure?: (err: Error) => void;
  /** Milliseconds a task may wait for its signature (queue included); default 2,000. */
  taskTimeoutMs?: number;
  /** The module the threads run; default ml-dsa-worker.ts (tests pass failing ones). */
  workerFile?: URL;
}

/**
 * One process's signing threads: made by the composition root (src/services.ts), handed to the
 * signers that sign ML-DSA (jose/algorithms.ts `load`), and started by `start()` (the server; CLI
 * commands never start them, so they sign on the calling thread). Two instances share nothing.
 */
export class SigningThreads {
  readonly #threads: number;
  readonly #settings: SigningThreadsOptions & { taskTimeoutMs: number };
  #pool: Piscina<MlDsaTask, Uint8Array> | undefined;
  #failuresInRow = 0;
  #inFlight = 0;

  /** @param threads threads `start()` runs (0: never any; every signature on the calling thread). */
  constructor(threads: number, options: SigningThreadsOptions = {}) {
    this.#threads = threads > 0 ? threads : 0;
    this.#settings = { taskTimeoutMs: 2000, ...options };
  }

  /** Starts the threads (none with 0). Idempotent: a second call while threads run changes nothing. */
  start(): void {
    if (this.#pool || !(this.#threads > 0)) return;
    this.#failuresInRow = 0;
    const started = new Piscina<MlDsaTask, Uint8Array>({
      filename: (this.#settings.workerFile ?? new URL('./ml-dsa-worker.ts', import.meta.url)).href,
      minThreads: this.#threads,
      maxThreads: this.#threads,
      concurrentTasksPerWorker: TASKS_PER_THREAD,
      idleTimeout: Infinity,
      recordTiming: false,
    });
    // An error outside a task: a thread that cannot start, whose queued tasks would wait for ever.
    started.on('error', (err: Error) => this.#stopAfterFailure(started, err));
    this.#pool = started;
  }

  /** The signing threads running: as started, 0 before `start()`, without any or once stopped. */
  get running(): number {
    return this.#pool ? this.#threads : 0;
  }

  /** Stops the threads (server close, tests); later signatures are made on the calling thread. */
  async stop(): Promise<void> {
    const closing = this.#pool;
    this.#pool = undefined;
    await closing?.destroy();
  }

  /** Stops `stopping` for good if it is still the pool, and says why. */
  #stopAfterFailure(stopping: Piscina<MlDsaTask, Uint8Array>, err: Error): void {
    if (this.#pool !== stopping) return;
    this.#pool = undefined;
    stopping.destroy().catch(() => undefined);
    this.#settings.onFailure?.(err);
  }

  /**
   * Signs on a signing thread when there are any; resolves to undefined when there are none, when
   * `QUEUED_PER_THREAD` signatures per thread are already in flight, or when the task failed or
   * timed out, and the caller signs itself.
   * @param secretKey FIPS 204 skEncode form (4,032 bytes for ML-DSA-65); in a SharedArrayBuffer it
   *   is shared with the thread, otherwise copied.
   */
  async sign(
    parameterSet: MlDsaParameterSet,
    secretKey: Uint8Array,
    message: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    const current = this.#pool;
    if (!current || this.#inFlight >= this.#threads * QUEUED_PER_THREAD) return undefined;
    this.#inFlight += 1;
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.#settings.taskTimeoutMs;
    try {
      const signature = await Promise.race([
        // A copy of its own: a Buffer's backing store may be Node's 8 KiB pool, which would be cloned whole.
        current.run({ parameterSet, secretKey, message: new Uint8Array(message) }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no signature from the signing thread within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      this.#failuresInRow = 0;
      return signature;
    } catch (err) {
      this.#failuresInRow += 1;
      if (this.#failuresInRow >= FAILURES_BEFORE_STOP)
        this.#stopAfterFailure(current, err as Error);
      return undefined;
    } finally {
      this.#inFlight -= 1;
      clearTimeout(timer);
    }
  }
}

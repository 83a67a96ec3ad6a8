/**
 * Periodic work of a serving process: the expired-row sweep (every 10 min), scheduled key rotation
 * (rotation policy components) and the back-end key sync (Vault transit versions), both every
 * KEY_ROTATION_CHECK_SECONDS. Several processes may run it: a realm's rotation is done by whichever
 * holds its advisory lock. Failures are logged and the next pass tries again.
 */
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import type { SqlClient } from './store/sql.ts';
import type { Backends } from './signer/backends.ts';
import { deleteExpiredPayloads } from '../adapters/postgres.ts';
import { runRotation } from './keys/rotation.ts';
import { syncAllExternalKeys } from './keys/external.ts';

/** The sweep interval (ms). */
export const SWEEP_INTERVAL_MS = 10 * 60_000;

export interface SchedulerDeps {
  db: SqlClient;
  config: Config;
  log: Logger;
  backends: Backends;
  /** Drops a realm's cached runtime so the next request sees its changed keys. */
  invalidate: (realm: string) => void;
}

/** Starts the timers (unref'd: they never keep the process alive); returns a function that stops them. */
export function startScheduler(deps: SchedulerDeps): () => void {
  const sweep = setInterval(() => {
    deleteExpiredPayloads(deps.db).catch(() => undefined);
  }, SWEEP_INTERVAL_MS);
  const keys = setInterval(() => {
    void rotateKeys(deps);
    void syncBackendKeys(deps);
  }, deps.config.keyRotationCheckSeconds * 1000);
  sweep.unref();
  keys.unref();
  return () => {
    clearInterval(sweep);
    clearInterval(keys);
  };
}

const errorOf = (err: unknown) => ({ err: { message: (err as Error).message } });

async function rotateKeys({ db, config, log, invalidate }: SchedulerDeps): Promise<void> {
  try {
    for (const action of await runRotation(db, config.keyEncryptionKey, { log })) {
      log.info({ realm: action.realm, action: action.message }, 'scheduled key rotation');
      invalidate(action.realm);
    }
  } catch (err) {
    log.warn(errorOf(err), 'scheduled key rotation pass failed');
  }
}

/** Back-end keys (Vault transit versions): picks up rotations and trims done in the back end. */
async function syncBackendKeys({ db, log, backends, invalidate }: SchedulerDeps): Promise<void> {
  try {
    const { changed, failures } = await syncAllExternalKeys(db, backends);
    for (const realm of changed) invalidate(realm);
    for (const f of failures)
      log.warn(f, 'back-end key sync failed; keeping the keys as they were');
  } catch (err) {
    log.warn(errorOf(err), 'back-end key sync failed');
  }
}

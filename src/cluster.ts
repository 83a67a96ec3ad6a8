/**
 * The cluster supervisor (WORKERS > 1): the primary process migrates and imports once, then runs
 * one worker per WORKERS (node:cluster, sharing the port), aggregates their metrics for `/metrics`
 * (metrics-cluster.ts) and replaces any worker that dies: at once when it had lived
 * RESTART_STABLE_MS, else after a wait doubling from RESTART_FIRST_MS to RESTART_MAX_MS, so a
 * worker failing at start (the store down) is not restarted in a tight loop. SIGTERM / SIGINT stop
 * every worker gracefully; the primary exits when the last one has, or after
 * SHUTDOWN_GRACE_SECONDS + 1 s.
 */
import cluster from 'node:cluster';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { importRealmsDir, openStore } from './bootstrap.ts';
import { Backends } from './signer/backends.ts';
import { serveClusterMetrics } from './metrics-cluster.ts';

/** A dead worker's replacement waits this long (ms), doubling from the first to the last for workers that die young. */
export const RESTART_FIRST_MS = 1_000;
export const RESTART_MAX_MS = 30_000;
/** A worker that lived this long (ms) is replaced at once, and resets the wait. */
export const RESTART_STABLE_MS = 60_000;

/** The wait (ms) before replacing a worker that lived `livedMs`, given the previous wait. */
export function restartDelayFor(livedMs: number, previousMs: number): number {
  if (livedMs >= RESTART_STABLE_MS) return 0;
  return Math.min(previousMs ? previousMs * 2 : RESTART_FIRST_MS, RESTART_MAX_MS);
}

/** Runs the primary: one-time migration and import, then the supervised workers. */
export async function runClusterPrimary(config: Config, log: Logger): Promise<void> {
  const db = await openStore(config);
  const backends = new Backends(config.keyBackends, log);
  await importRealmsDir(db, config, log, backends);
  await Promise.all([db.close(), backends.close()]);
  serveClusterMetrics();
  superviseWorkers(config, log);
}

function superviseWorkers(config: Config, log: Logger): void {
  const forkedAt = new Map<number, number>();
  const restarts = new Set<NodeJS.Timeout>();
  let restartDelay = 0;
  let stopping = false;
  const fork = () => forkedAt.set(cluster.fork().id, Date.now());
  const noWorkers = () => Object.keys(cluster.workers ?? {}).length === 0;
  for (let i = 0; i < config.workers; i += 1) fork();
  cluster.on('online', (worker) =>
    log.info({ worker: worker.id, pid: worker.process.pid }, 'worker started'),
  );
  cluster.on('exit', (worker, code, signal) => {
    const livedMs = Date.now() - (forkedAt.get(worker.id) ?? 0);
    forkedAt.delete(worker.id);
    if (stopping) {
      if (noWorkers()) process.exit(0);
      return;
    }
    restartDelay = restartDelayFor(livedMs, restartDelay);
    log.warn(
      {
        worker: worker.id,
        pid: worker.process.pid,
        code,
        signal,
        livedMs,
        restartInMs: restartDelay,
      },
      'worker died; starting a new one',
    );
    const timer = setTimeout(() => {
      restarts.delete(timer);
      fork();
    }, restartDelay);
    restarts.add(timer);
  });
  // Each worker stops gracefully (serve.ts); the primary exits when the last one has.
  const stop = () => {
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    if (noWorkers()) process.exit(0);
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), (config.shutdownGraceSeconds + 1) * 1000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

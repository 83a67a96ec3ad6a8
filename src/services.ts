/**
 * The composition root's one value: everything a server shares between its requests and nothing
 * it shares with another server (two in one process, as the tests run them, count, queue and
 * sign apart). Made once where the process starts (serve.ts) or by createServer from the config
 * for what it is not given, and passed down: the realm registry, the admin API, the signers.
 */
import cluster from 'node:cluster';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import type { SqlClient } from './store/sql.ts';
import { Backends } from './signer/backends.ts';
import { SigningThreads } from './jose/ml-dsa-threads.ts';
import { Metrics } from './metrics.ts';
import { EventWriter } from './events/store.ts';

export interface Services {
  /** The operator's signing back ends (KEY_BACKENDS_FILE / KEY_BACKENDS): one set of connections. */
  backends: Backends;
  /** ML-DSA signing threads (SIGNING_THREADS), started by the server (createServer). */
  signingThreads: SigningThreads;
  /** The Prometheus registry and counters served at /metrics. */
  metrics: Metrics;
  /** The writer of the store's login and admin events (queued per realm). */
  events: EventWriter;
}

/**
 * The services of a server over `db`, each from `config` unless given. In a node:cluster worker
 * the metrics are shared with the primary (metrics-cluster.ts), so /metrics sums the workers.
 */
export function createServices(
  config: Config,
  db: SqlClient,
  log: Logger,
  given: Partial<Services> = {},
): Services {
  const signingThreads =
    given.signingThreads ??
    new SigningThreads(config.signingThreads, {
      onFailure: (err) =>
        log.error(
          { err: { message: err.message } },
          'ML-DSA signing threads stopped after failing; signing on the event loop',
        ),
    });
  const metrics = given.metrics ?? new Metrics({ threads: signingThreads });
  if (!given.metrics && cluster.isWorker) metrics.shareWithPrimary();
  return {
    backends: given.backends ?? new Backends(config.keyBackends, log),
    signingThreads,
    metrics,
    events: given.events ?? new EventWriter(db),
  };
}

/** Ends what the services hold open (signing threads, back-end connections) after committing queued events. */
export async function closeServices(services: Services): Promise<void> {
  await services.events.flush();
  await Promise.allSettled([services.signingThreads.stop(), services.backends.close()]);
}

/**
 * A serving process (the only one, or a cluster worker): opens the store, the operator's signing
 * back ends and Redis, builds the server, listens on PORT (and MANAGEMENT_PORT), loads every realm,
 * starts the scheduler (scheduler.ts), and stops gracefully on SIGTERM / SIGINT (stopGracefully).
 */
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { importRealmsDir, openStore } from './bootstrap.ts';
import { createServer } from './server.ts';
import { openRedis } from './redis.ts';
import { closeServices, createServices } from './services.ts';
import { Backends } from './signer/backends.ts';
import { startScheduler } from './scheduler.ts';
import type { SqlClient } from './store/sql.ts';

/** Serves until SIGTERM / SIGINT. Throws what opening the store throws (bad configuration, KEK mismatch). */
export async function serve(config: Config, log: Logger): Promise<void> {
  if (config.devKeyEncryptionKey)
    log.warn(
      'development mode: KEY_ENCRYPTION_KEY not set, using a generated key stored in DATA_DIR',
    );
  const db = await openStore(config);
  // The operator's signing back ends (KEY_BACKENDS_FILE / KEY_BACKENDS): one set of connections per process.
  const backends = new Backends(config.keyBackends, log);
  if (cluster.isPrimary) await importRealmsDir(db, config, log, backends);
  const redis = config.redisUrl ? openRedis(config.redisUrl, log) : undefined;
  // The composition root: one Services value (services.ts) for this process's server.
  const services = createServices(config, db, log, { backends });
  const { app, registry } = createServer(config, db, log, { redis, ...services });
  const server = app.listen(config.port, config.host, () => {
    log.info(
      { url: config.baseUrl, port: config.port, store: db.kind, mode: config.mode },
      `qsign-oidc listening on ${config.baseUrl}`,
    );
  });
  // The management interface (MANAGEMENT_PORT): the same app, which answers only /health/* and /metrics there.
  const management =
    config.managementPort === undefined
      ? undefined
      : app.listen(config.managementPort, config.host);
  // Idle keep-alive connections outlive load balancers' own idle timeouts (AWS ALB and nginx's
  // upstream keepalive: 60 s); with Node's 5 s default the server closed first, and a balancer
  // sending a request on the closing connection answered 502. headersTimeout must exceed it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Every realm loads now; readiness answers DOWN until they have.
  registry.loadAll().catch(() => undefined);
  const stopScheduler = startScheduler({
    db,
    config,
    log,
    backends,
    invalidate: (realm) => registry.invalidate(realm),
  });
  const close = () =>
    closeServices(services)
      .then(() => Promise.allSettled([db.close(), redis?.close()]))
      .then(() => undefined);
  stopGracefully({ server, management, config, log, db, close, stopScheduler });
}

interface StopParts {
  server: Server;
  management?: Server;
  config: Config;
  log: Logger;
  db: SqlClient;
  /** Commits queued events, then closes the store, Redis and the back ends. */
  close: () => Promise<void>;
  stopScheduler: () => void;
}

/**
 * Graceful stop (SIGTERM, as Kubernetes and Docker send): no new connections; requests in flight
 * are answered with "Connection: close"; their events are committed; then the store closes.
 * Bounded by SHUTDOWN_GRACE_SECONDS, after which the process exits anyway.
 */
function stopGracefully({ server, management, config, log, close, stopScheduler }: StopParts) {
  let stopping = false;
  server.on('request', (_req, res) => {
    if (stopping) res.setHeader('Connection', 'close');
  });
  const stop = () => {
    log.info('shutting down');
    stopping = true;
    stopScheduler();
    management?.close();
    server.close(() => {
      void close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => {
      log.warn('shutdown grace period over; exiting');
      process.exit(0);
    }, config.shutdownGraceSeconds * 1000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

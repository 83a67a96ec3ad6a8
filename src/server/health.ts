/**
 * Health probes and metrics: `/health/live` (the process answers), `/health/ready` (the store, the
 * realms loaded, every signer back end and signing key; Redis reported but optional), `/metrics`
 * (Prometheus text). Shapes follow Quarkus SmallRye Health, as Keycloak's: `{"status","checks"}`.
 */
import type Router from '@koa/router';
import type { SqlClient } from '../store/sql.ts';
import type { RealmRegistry } from '../runtime/registry.ts';
import type { RedisConnections } from '../redis.ts';
import type { Backends } from '../signer/backends.ts';
import type { Metrics } from '../metrics.ts';

export interface HealthDeps {
  db: SqlClient;
  registry: RealmRegistry;
  backends: Backends;
  /** This server's metrics (services.ts), scraped at /metrics. */
  metrics: Metrics;
  redis?: RedisConnections;
}

/**
 * Readiness entry for Redis: the state of its two connections, commands (rate limits) and the
 * subscriber (realm-changed fan-out); no command is sent, so a probe costs Redis nothing.
 */
function redisHealth(redis: RedisConnections): {
  name: string;
  status: 'UP' | 'DOWN';
  reason?: string;
} {
  const { status: commands } = redis.client;
  const { status: subscriber } = redis.subscriber;
  if (commands === 'ready' && subscriber === 'ready') return { name: 'redis', status: 'UP' };
  return {
    name: 'redis',
    status: 'DOWN',
    reason: `connections: commands ${commands}, subscriber ${subscriber}; rate limits per process, realm changes within the 1 s version check`,
  };
}

async function checkReadiness({ db, registry, backends, redis: connections }: HealthDeps) {
  const store = await db.query('SELECT 1').then(
    () => ({ name: `store (${db.kind})`, status: 'UP' as const }),
    () => ({ name: `store (${db.kind})`, status: 'DOWN' as const }),
  );
  const keys = await registry.signingKeyHealth();
  const loading = registry.loadingRealms
    ? [
        {
          name: 'realms',
          status: 'DOWN' as const,
          reason: 'loading every realm and its keys (process start)',
        },
      ]
    : [];
  const required = [
    store,
    ...loading,
    ...(await backends.health(keys.backends)),
    ...keys.unavailable,
  ];
  // Redis is optional: without it this process serves on (per-process rate limits, realm changes
  // within the 1 s version check), so it is reported but does not make the process unready.
  const redis = connections ? [redisHealth(connections)] : [];
  return { up: required.every((c) => c.status === 'UP'), checks: [...required, ...redis] };
}

export function healthRoutes(router: Router, deps: HealthDeps): void {
  router.get('/health/live', (ctx) => {
    ctx.body = { status: 'UP' };
  });
  router.get('/metrics', async (ctx) => {
    const scrape = await deps.metrics.response();
    ctx.status = scrape.status;
    ctx.type = scrape.type;
    ctx.body = scrape.body;
  });
  // One readiness check at a time, whoever asks: each runs a query and asks every signer back end
  // (Vault, the HSM), so a flood of probes must not multiply that load. Requests arriving while a
  // check runs share its result; the next request after it starts a fresh one.
  let readiness: Promise<{ up: boolean; checks: unknown[] }> | undefined;
  router.get('/health/ready', async (ctx) => {
    readiness ??= checkReadiness(deps).finally(() => {
      readiness = undefined;
    });
    const { up, checks } = await readiness;
    ctx.status = up ? 200 : 503;
    ctx.body = { status: up ? 'UP' : 'DOWN', checks };
  });
}

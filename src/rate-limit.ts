/**
 * Rate limits on the token endpoint (per client and per IP) and the login form (per IP), set per
 * realm in its `attributes` (RealmRepresentation.attributes, requests per minute, 0 or absent =
 * no limit): `qsign.rateLimit.token.perClient`, `qsign.rateLimit.token.perIp`,
 * `qsign.rateLimit.login.perIp`. Counters live in Redis when REDIS_URL is set (shared by every
 * process), else in process memory; while Redis is down or silent each process counts alone (the
 * rate-limiter-flexible insurance limiter): a command fails at once while ioredis reconnects, and
 * after at most 500 ms when Redis does not answer (redis.ts). Over the limit: 429 with
 * `Retry-After` (seconds).
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { RealmDocument } from './realm/representation.ts';

export type LimitKind = 'token.perClient' | 'token.perIp' | 'login.perIp';

export class RateLimits {
  readonly #redis: Redis | undefined;
  readonly #limiters = new Map<string, RateLimiterAbstract>();

  constructor(redis?: Redis) {
    this.#redis = redis;
  }

  #limiter(kind: LimitKind, points: number): RateLimiterAbstract {
    const key = `${kind}:${points}`;
    let limiter = this.#limiters.get(key);
    if (!limiter) {
      const memory = new RateLimiterMemory({ keyPrefix: `qsign:${kind}`, points, duration: 60 });
      limiter = this.#redis
        ? new RateLimiterRedis({ storeClient: this.#redis, keyPrefix: `qsign:${kind}`, points, duration: 60, insuranceLimiter: memory, useRedisPackage: false })
        : memory;
      this.#limiters.set(key, limiter);
    }
    return limiter;
  }

  /**
   * Counts one request for `id` (client id or IP) in `realm`.
   * @returns undefined when allowed, else the seconds to wait.
   */
  async consume(doc: RealmDocument, kind: LimitKind, id: string): Promise<number | undefined> {
    const attributes = (doc.attributes ?? {}) as Record<string, unknown>;
    const points = Number(attributes[`qsign.rateLimit.${kind}`] ?? 0);
    if (!Number.isInteger(points) || points <= 0 || !id) return undefined;
    try {
      await this.#limiter(kind, points).consume(`${doc.realm}:${id}`);
      return undefined;
    } catch (res) {
      if (res instanceof RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      return undefined; // the limiter itself failed: do not turn that into an outage
    }
  }
}

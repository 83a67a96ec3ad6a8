/**
 * Rate limits on the token endpoint and the login form, per client and per IP, set per realm in
 * its `attributes` (RealmRepresentation.attributes, requests per minute, 0 or absent = no limit):
 * `qsign.rateLimit.token.perClient`, `qsign.rateLimit.token.perIp`,
 * `qsign.rateLimit.login.perClient`, `qsign.rateLimit.login.perIp` (which requests count against
 * which: request-limits.ts). Counters live in Redis when REDIS_URL is set (shared by every
 * process), else in process memory; while Redis is down or silent each process counts alone (the
 * rate-limiter-flexible insurance limiter): a command fails at once while ioredis reconnects, and
 * after at most 500 ms when Redis does not answer (redis.ts). Over the limit: 429 with
 * `Retry-After` (seconds).
 */
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { RealmDocument } from './model/representation.ts';

export type LimitKind = 'token.perClient' | 'token.perIp' | 'login.perClient' | 'login.perIp';

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
        ? new RateLimiterRedis({
            storeClient: this.#redis,
            keyPrefix: `qsign:${kind}`,
            points,
            duration: 60,
            insuranceLimiter: memory,
            useRedisPackage: false,
          })
        : memory;
      this.#limiters.set(key, limiter);
    }
    return limiter;
  }

  /** The realm's limit of `kind` (requests per minute), or undefined for none. */
  static #points(doc: RealmDocument, kind: LimitKind): number | undefined {
    const points = Number(
      ((doc.attributes ?? {}) as Record<string, unknown>)[`qsign.rateLimit.${kind}`] ?? 0,
    );
    return Number.isInteger(points) && points > 0 ? points : undefined;
  }

  /** Whether the realm sets a limit of `kind`. */
  static limits(doc: RealmDocument, kind: LimitKind): boolean {
    return RateLimits.#points(doc, kind) !== undefined;
  }

  /**
   * Counts one request for `id` (client id or IP) in `realm`.
   * @returns undefined when allowed, else the seconds to wait.
   */
  async consume(doc: RealmDocument, kind: LimitKind, id: string): Promise<number | undefined> {
    const points = RateLimits.#points(doc, kind);
    if (!points || !id) return undefined;
    try {
      await this.#limiter(kind, points).consume(`${doc.realm}:${id}`);
      return undefined;
    } catch (res) {
      if (res instanceof RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      return undefined; // the limiter itself failed: do not turn that into an outage
    }
  }

  /**
   * Whether `id` has used up its limit, without counting this request (`consume` counts it once
   * its outcome is known).
   * @returns undefined when allowed, else the seconds to wait.
   */
  async check(doc: RealmDocument, kind: LimitKind, id: string): Promise<number | undefined> {
    const points = RateLimits.#points(doc, kind);
    if (!points || !id) return undefined;
    try {
      const res = await this.#limiter(kind, points).get(`${doc.realm}:${id}`);
      return res && res.consumedPoints >= points
        ? Math.max(1, Math.ceil(res.msBeforeNext / 1000))
        : undefined;
    } catch {
      return undefined;
    }
  }
}

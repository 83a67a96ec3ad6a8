/**
 * Optional Redis (REDIS_URL, ioredis) shared by the processes of a deployment: rate-limit
 * counters and the "realm changed" fan-out. Commands fail fast while Redis is down (no offline
 * queue), so callers fall back to per-process behaviour; ioredis reconnects by itself.
 */
import { Redis } from 'ioredis';
import type { Logger } from './log.ts';

export const REALM_CHANGED_CHANNEL = 'qsign:realm-changed';

export interface RedisConnections {
  client: Redis;
  subscriber: Redis;
  close(): Promise<void>;
}

export function openRedis(url: string, log: Logger): RedisConnections {
  const options = { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, retryStrategy: (times: number) => Math.min(times * 200, 2_000) };
  const client = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
  let down = false;
  for (const connection of [client, subscriber]) {
    connection.on('error', (err) => {
      if (!down) log.warn({ err: { message: err.message } }, 'Redis unavailable; rate limits fall back to per process, realm changes to the 1 s version check');
      down = true;
    });
    connection.on('ready', () => {
      if (down) log.info('Redis available again');
      down = false;
    });
  }
  return {
    client,
    subscriber,
    async close() {
      client.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * Optional Redis (REDIS_URL, ioredis) shared by the processes of a deployment: rate-limit
 * counters and the "realm changed" fan-out. Commands fail fast while Redis is down (no offline
 * queue), so callers fall back to per-process behaviour; ioredis reconnects by itself.
 *
 * A Redis that stops answering without closing (network partition, stopped process) is bounded
 * too: a command gives up after 500 ms (COMMAND_TIMEOUT_MS), a connection that has received
 * nothing for 1 s after a command is dropped and reconnected (SOCKET_TIMEOUT_MS), and both
 * connections send a PING every 2 s, so an idle one (the subscriber) is found out as well and
 * `status` says whether Redis answers.
 */
import { Redis } from 'ioredis';
import type { Logger } from './log.ts';

export const REALM_CHANGED_CHANNEL = 'qsign:realm-changed';
export const COMMAND_TIMEOUT_MS = 500;
const SOCKET_TIMEOUT_MS = 1_000;
const HEARTBEAT_MS = 2_000;

export interface RedisConnections {
  client: Redis;
  subscriber: Redis;
  close(): Promise<void>;
}

export function openRedis(url: string, log: Logger): RedisConnections {
  const options = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
    commandTimeout: COMMAND_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  };
  const client = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
  let down = false;
  for (const connection of [client, subscriber]) {
    connection.on('error', (err) => {
      if (!down)
        log.warn(
          { err: { message: err.message } },
          'Redis unavailable; rate limits fall back to per process, realm changes to the 1 s version check',
        );
      down = true;
    });
    connection.on('ready', () => {
      if (down) log.info('Redis available again');
      down = false;
    });
  }
  // The reply (or its absence, through socketTimeout) is what counts, not the promise.
  const heartbeat = setInterval(() => {
    for (const connection of [client, subscriber])
      if (connection.status === 'ready') connection.ping().catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    client,
    subscriber,
    async close() {
      clearInterval(heartbeat);
      client.disconnect();
      subscriber.disconnect();
    },
  };
}

/** Milliseconds within which this process's own announcement is expected back from Redis. */
const ECHO_MS = 5_000;
/** `{publisher id}:{realm name}`, the message of one earlier version; its name is taken. */
const WITH_PUBLISHER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:/;

/**
 * "Realm changed" fan-out on REALM_CHANGED_CHANNEL: every change this process makes is published
 * as the realm's name, and every name received is dropped from `registry` (it reloads at its next
 * use). Plain names are what every version has published, so replicas of older and newer
 * versions understand each other during a rolling upgrade. This process's own announcement
 * coming back is ignored (it has dropped the realm already): one echo per publication, if it
 * arrives within 5 s. A name received from another process at the same moment is still dropped,
 * since only as many messages are ignored as were published.
 */
export function fanOutRealmChanges(
  redis: RedisConnections,
  registry: { drop(name: string): void; onChange: ((name: string) => void) | undefined },
): void {
  const echoes = new Map<string, number[]>();
  const pendingEchoes = (name: string) =>
    (echoes.get(name) ?? []).filter((expiry) => expiry > Date.now());
  const setEchoes = (name: string, expiries: number[]) =>
    expiries.length ? echoes.set(name, expiries) : echoes.delete(name);
  registry.onChange = (name) => {
    // Counted before publishing: the echo may arrive before PUBLISH's own reply.
    setEchoes(name, [...pendingEchoes(name), Date.now() + ECHO_MS]);
    redis.client
      .publish(REALM_CHANGED_CHANNEL, name)
      .catch(() => setEchoes(name, pendingEchoes(name).slice(1)));
  };
  redis.subscriber.subscribe(REALM_CHANGED_CHANNEL).catch(() => undefined);
  redis.subscriber.on('message', (channel: string, message: string) => {
    if (channel !== REALM_CHANGED_CHANNEL) return;
    const name = WITH_PUBLISHER_ID.test(message) ? message.slice(37) : message;
    const pending = pendingEchoes(name);
    setEchoes(name, pending.slice(1));
    if (!pending.length) registry.drop(name);
  });
}

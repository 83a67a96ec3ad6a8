/**
 * Keycloak's session limits on oidc-provider's sessions and refresh tokens, all in seconds
 * (epoch seconds for timestamps). The rules are Keycloak 26's SessionExpirationUtils and
 * RealmExpiration (server-spi-private, org.keycloak.models.utils):
 * - a user session ends `ssoSessionIdleTimeout` after its last use, and `ssoSessionMaxLifespan`
 *   after its login; with remember me, each limit is the larger of it and its `...RememberMe`
 *   setting (RealmExpiration.fromRealm takes the max, so remember me never shortens a session);
 * - an offline session ends `offlineSessionIdleTimeout` after its last refresh, and, when
 *   `offlineSessionMaxLifespanEnabled`, `offlineSessionMaxLifespan` after it began;
 * - a client session (here: one refresh token chain) has the same limits, overridden by the
 *   realm's `clientSessionIdleTimeout` / `clientSessionMaxLifespan` (offline:
 *   `clientOfflineSessionIdleTimeout` / `clientOfflineSessionMaxLifespan`) and the client
 *   attributes `client.session.idle.timeout` / `client.session.max.lifespan` (offline:
 *   `client.offline.session.idle.timeout` / `client.offline.session.max.lifespan`), and never
 *   outlives the user session's max lifespan;
 * - a refresh token expires at the earlier of its client session's idle and max timestamps
 *   (TokenManager: `refresh_expires_in` = that time minus now).
 * Unlike Keycloak, no 120 s grace window (SessionTimeoutHelper.IDLE_TIMEOUT_WINDOW_SECONDS, for
 * cluster nodes that see a refresh late) is added to the idle limit: every replica reads the
 * same store, so a session idle for `ssoSessionIdleTimeout` is over.
 */
import type { ClientRepresentation, RealmRepresentation } from '../model/representation.ts';

/** Keycloak Constants.DEFAULT_SESSION_IDLE_TIMEOUT / MAX_LIFESPAN and the offline ones (seconds). */
const DEFAULTS = { idle: 1800, max: 36000, offlineIdle: 2592000, offlineMax: 5184000 };

/** The realm settings read here (RealmRepresentation names, seconds). */
export type LifetimeSettings = Pick<
  RealmRepresentation,
  | 'ssoSessionIdleTimeout'
  | 'ssoSessionMaxLifespan'
  | 'offlineSessionIdleTimeout'
  | 'clientSessionIdleTimeout'
  | 'clientSessionMaxLifespan'
> & {
  ssoSessionIdleTimeoutRememberMe?: number;
  ssoSessionMaxLifespanRememberMe?: number;
  offlineSessionMaxLifespanEnabled?: boolean;
  offlineSessionMaxLifespan?: number;
  clientOfflineSessionIdleTimeout?: number;
  clientOfflineSessionMaxLifespan?: number;
};

/** What a session or token chain is: offline (offline_access) and remember me. */
export interface SessionKind {
  offline: boolean;
  rememberMe: boolean;
}

const positive = (value: number | undefined, fallback: number) =>
  value !== undefined && value > 0 ? value : fallback;

function clientAttribute(client: ClientRepresentation | undefined, name: string): number {
  const value = Number.parseInt(String(client?.attributes?.[name] ?? ''), 10);
  return Number.isFinite(value) ? value : -1;
}

/** RealmExpiration.fromRealm: the four limits of a user session (seconds; offline max -1: none). */
function realmExpiration(r: LifetimeSettings) {
  const idle = positive(r.ssoSessionIdleTimeout, DEFAULTS.idle);
  const max = positive(r.ssoSessionMaxLifespan, DEFAULTS.max);
  return {
    idle: (rememberMe: boolean) =>
      rememberMe ? Math.max(idle, r.ssoSessionIdleTimeoutRememberMe ?? 0) : idle,
    max: (rememberMe: boolean) =>
      rememberMe ? Math.max(max, r.ssoSessionMaxLifespanRememberMe ?? 0) : max,
    offlineIdle: positive(r.offlineSessionIdleTimeout, DEFAULTS.offlineIdle),
    offlineMax: r.offlineSessionMaxLifespanEnabled
      ? positive(r.offlineSessionMaxLifespan, DEFAULTS.offlineMax)
      : -1,
  };
}

/** SessionExpirationUtils.calculateUserSessionMaxLifespanTimestamp; -1: never. */
export function userSessionMaxTimestamp(
  r: LifetimeSettings,
  kind: SessionKind,
  created: number,
): number {
  const e = realmExpiration(r);
  if (kind.offline) return e.offlineMax === -1 ? -1 : created + e.offlineMax;
  return created + e.max(kind.rememberMe);
}

/** SessionExpirationUtils.calculateUserSessionIdleTimestamp. */
export function userSessionIdleTimestamp(
  r: LifetimeSettings,
  kind: SessionKind,
  lastRefresh: number,
): number {
  const e = realmExpiration(r);
  return lastRefresh + (kind.offline ? e.offlineIdle : e.idle(kind.rememberMe));
}

/** SessionExpirationUtils.calculateClientSessionMaxLifespanTimestamp; -1: never. */
export function clientSessionMaxTimestamp(
  r: LifetimeSettings,
  client: ClientRepresentation | undefined,
  kind: SessionKind,
  clientCreated: number,
  userCreated: number,
): number {
  const userExpires = userSessionMaxTimestamp(r, kind, userCreated);
  if (kind.offline) {
    const perClient = clientAttribute(client, 'client.offline.session.max.lifespan');
    if (!r.offlineSessionMaxLifespanEnabled && perClient <= 0) return -1;
    const lifespan =
      perClient > 0
        ? perClient
        : positive(
            r.clientOfflineSessionMaxLifespan,
            positive(r.offlineSessionMaxLifespan, DEFAULTS.offlineMax),
          );
    const own = clientCreated + lifespan;
    return userExpires > 0 ? Math.min(own, userExpires) : own;
  }
  let lifespan = realmExpiration(r).max(kind.rememberMe);
  const perClient = clientAttribute(client, 'client.session.max.lifespan');
  if (perClient > 0) lifespan = perClient;
  else if (r.clientSessionMaxLifespan > 0) lifespan = r.clientSessionMaxLifespan;
  return Math.min(clientCreated + lifespan, userExpires);
}

/** SessionExpirationUtils.calculateClientSessionIdleTimestamp. */
export function clientSessionIdleTimestamp(
  r: LifetimeSettings,
  client: ClientRepresentation | undefined,
  kind: SessionKind,
  lastRefresh: number,
): number {
  const e = realmExpiration(r);
  if (kind.offline) {
    const perClient = clientAttribute(client, 'client.offline.session.idle.timeout');
    const idle =
      perClient > 0 ? perClient : positive(r.clientOfflineSessionIdleTimeout, e.offlineIdle);
    return lastRefresh + idle;
  }
  const perClient = clientAttribute(client, 'client.session.idle.timeout');
  const idle =
    perClient > 0 ? perClient : positive(r.clientSessionIdleTimeout, e.idle(kind.rememberMe));
  return lastRefresh + idle;
}

/**
 * The lifetime (seconds from `now`, at least 1) of a refresh token issued `now` in a chain that
 * began at `chainStart` (the first refresh token's iat: Keycloak's client session start) for a
 * login at `loginTime` (the user session start): TokenManager's refresh token `exp`, the earlier
 * of the client session's idle and max timestamps.
 */
export function refreshTokenSeconds(
  r: LifetimeSettings,
  client: ClientRepresentation | undefined,
  kind: SessionKind,
  times: { now: number; chainStart: number; loginTime: number },
): number {
  const idle = clientSessionIdleTimestamp(r, client, kind, times.now);
  const max = clientSessionMaxTimestamp(r, client, kind, times.chainStart, times.loginTime);
  const exp = max > 0 ? Math.min(idle, max) : idle;
  return Math.max(1, exp - times.now);
}

/**
 * The lifetime (seconds from `now`, at least 1) of a browser or direct-grant user session used
 * `now` that began at `loginTime`: the earlier of its idle and max timestamps.
 */
export function userSessionSeconds(
  r: LifetimeSettings,
  rememberMe: boolean,
  times: { now: number; loginTime: number },
): number {
  const kind = { offline: false, rememberMe };
  const idle = userSessionIdleTimestamp(r, kind, times.now);
  const max = userSessionMaxTimestamp(r, kind, times.loginTime);
  return Math.max(1, Math.min(idle, max) - times.now);
}

/**
 * A user's sessions and grants as oidc-provider stores them in `oidc_payloads` (adapters/
 * postgres.ts): read-only queries for the account API (account/sessions.ts) and the admin
 * sessions API. A browser session is a `Session` row; Keycloak's user-session id is its `uid`
 * (never its row id, which is the session cookie's value). The index `oidc_payloads_by_account`
 * (store/migrations.ts: Session and RefreshToken rows by account) serves the lookups by user.
 */
import type { SqlClient } from './sql.ts';

/** One client's part of a browser session (oidc-provider Session#authorizations). */
export interface SessionAuthorization {
  grantId?: string;
  sid?: string;
  /** An offline grant: a logout leaves it. */
  persistsLogout?: boolean;
}

/** A live browser session of a user. Times in epoch seconds. */
export interface UserSession {
  /** The session's `uid`: Keycloak's user-session id in this server's APIs. */
  id: string;
  accountId: string;
  /** Login time (`loginTs`). */
  started: number;
  /** Last time the session was saved (oidc-provider re-saves it on each authorization). */
  lastAccess: number;
  /** When the row expires. */
  expires?: number;
  authorizations: Record<string, SessionAuthorization>;
}

type SessionPayload = {
  uid?: string;
  accountId?: string;
  loginTs?: number;
  iat?: number;
  /** Kept by sessions that record their last use (epoch seconds), else `iat`. */
  lastAccess?: number;
  exp?: number;
  authorizations?: Record<string, SessionAuthorization>;
};

const toSession = (p: SessionPayload): UserSession | undefined =>
  p.uid && p.accountId
    ? {
        id: p.uid,
        accountId: p.accountId,
        started: p.loginTs ?? p.iat ?? 0,
        lastAccess: p.lastAccess ?? p.iat ?? p.loginTs ?? 0,
        expires: p.exp,
        authorizations: p.authorizations ?? {},
      }
    : undefined;

/** The user's live browser sessions, oldest login first. @throws StoreUnavailableError */
export async function listUserSessions(
  db: SqlClient,
  realmId: string,
  userId: string,
): Promise<UserSession[]> {
  const rows = await db.query<{ payload: SessionPayload }>(
    `SELECT payload FROM oidc_payloads
     WHERE realm_id = $1 AND model = 'Session' AND payload->>'accountId' = $2
       AND (expires_at IS NULL OR expires_at > now())`,
    [realmId, userId],
  );
  return rows
    .map((r) => toSession(r.payload))
    .filter((s): s is UserSession => !!s)
    .sort((a, b) => a.started - b.started);
}

/** The live session with this uid, whoever's it is (callers check `accountId`). */
export async function findSession(
  db: SqlClient,
  realmId: string,
  uid: string,
): Promise<UserSession | undefined> {
  const [row] = await db.query<{ payload: SessionPayload }>(
    `SELECT payload FROM oidc_payloads
     WHERE realm_id = $1 AND model = 'Session' AND uid = $2
       AND (expires_at IS NULL OR expires_at > now())`,
    [realmId, uid],
  );
  return row ? toSession(row.payload) : undefined;
}

/**
 * A user's grant to a client that holds live refresh tokens (oidc-provider Grant; the tokens tell
 * its client, scopes and whether it is offline). Times in epoch seconds.
 */
export interface UserGrant {
  id: string;
  clientId: string;
  /** The scopes of its refresh tokens, space-separated. */
  scope: string;
  createdAt: number;
  /** Whether one of its live refresh tokens is offline (`offline_access` in its scope). */
  offline: boolean;
}

/** The user's grants with live, unused refresh tokens. @throws StoreUnavailableError */
export async function listUserGrants(
  db: SqlClient,
  realmId: string,
  userId: string,
): Promise<UserGrant[]> {
  const rows = await db.query<{
    grant_id: string;
    client_id: string;
    scope: string | null;
    created: string | number | null;
    offline: boolean;
  }>(
    `SELECT grant_id, min(payload->>'clientId') AS client_id, string_agg(DISTINCT payload->>'scope', ' ') AS scope,
       min(coalesce((payload->>'iiat')::bigint, (payload->>'iat')::bigint)) AS created,
       bool_or((' ' || coalesce(payload->>'scope', '') || ' ') LIKE '% offline\\_access %') AS offline
     FROM oidc_payloads
     WHERE realm_id = $1 AND model = 'RefreshToken' AND payload->>'accountId' = $2
       AND grant_id IS NOT NULL AND consumed_at IS NULL AND (expires_at IS NULL OR expires_at > now())
     GROUP BY grant_id`,
    [realmId, userId],
  );
  return rows
    .filter((r) => typeof r.client_id === 'string')
    .map((r) => ({
      id: r.grant_id,
      clientId: r.client_id,
      scope: r.scope ?? '',
      createdAt: Number(r.created ?? 0),
      offline: r.offline,
    }));
}

/** What a browser sent when it signed in to a session (Keycloak's DeviceActivityManager note). */
export interface SessionDevice {
  ipAddress?: string;
  /** The User-Agent header, when at most 512 characters (DeviceRepresentationProviderImpl). */
  userAgent?: string;
}

/**
 * Records the device of session `uid`: a `SessionDevice` row beside the session in
 * `oidc_payloads` (same realm, id = the session's uid), expiring after `ttlSeconds` like the
 * session, and swept with the other expired rows. @throws StoreUnavailableError
 */
export async function recordSessionDevice(
  db: SqlClient,
  realmId: string,
  uid: string,
  device: SessionDevice,
  ttlSeconds: number,
): Promise<void> {
  await db.query(
    `INSERT INTO oidc_payloads (realm_id, model, id, payload, expires_at)
     VALUES ($1, 'SessionDevice', $2, $3, now() + make_interval(secs => $4::integer))
     ON CONFLICT (realm_id, model, id) DO UPDATE SET payload = EXCLUDED.payload, expires_at = EXCLUDED.expires_at`,
    [realmId, uid, JSON.stringify(device), Math.max(1, Math.floor(ttlSeconds))],
  );
}

/** The recorded devices of these sessions, by session uid. */
export async function findSessionDevices(
  db: SqlClient,
  realmId: string,
  uids: string[],
): Promise<Map<string, SessionDevice>> {
  if (!uids.length) return new Map();
  const rows = await db.query<{ id: string; payload: SessionDevice }>(
    `SELECT id, payload FROM oidc_payloads
     WHERE realm_id = $1 AND model = 'SessionDevice' AND id = ANY($2)
       AND (expires_at IS NULL OR expires_at > now())`,
    [realmId, uids],
  );
  return new Map(rows.map((r) => [r.id, r.payload]));
}

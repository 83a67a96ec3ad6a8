/**
 * Reading a realm's user sessions and offline sessions from oidc-provider's stored artefacts
 * (`oidc_payloads`, adapters/postgres.ts) for the admin sessions API:
 * - a user session is a Session row with a logged-in account (browser sessions, and the
 *   cookie-less sessions of direct grants, oidc/sso-session.ts); its clients are the keys of its
 *   `authorizations`; the expression indexes of the `user_consents` migration serve the lookups
 *   by user and by client;
 * - an offline session is a grant with an unused, unexpired `offline_access` refresh token
 *   (Keycloak's offline user session of one client): its id is the grant id, its start the chain's
 *   first issue (`iiat`), its last access the newest token's issue.
 * Times in the payloads are epoch seconds.
 */
import type { SqlClient } from '../store/sql.ts';

export interface SessionPayload {
  uid: string;
  accountId: string;
  loginTs?: number;
  iat?: number;
  lastAccess?: number;
  transient?: boolean;
  ipAddress?: string;
  authorizations?: Record<string, { grantId?: string; sid?: string; persistsLogout?: boolean }>;
}

export interface OfflineSession {
  grantId: string;
  accountId: string;
  clientId: string;
  /** Epoch seconds. */
  start: number;
  /** Epoch seconds. */
  lastAccess: number;
}

export interface SessionFilter {
  userId?: string;
  clientId?: string;
}

const LIVE = '(expires_at IS NULL OR expires_at > now())';

/** The live user sessions matching `filter`, oldest login first. */
export async function userSessions(
  db: SqlClient,
  realmId: string,
  filter: SessionFilter,
): Promise<SessionPayload[]> {
  const params: unknown[] = [realmId];
  let where = `realm_id = $1 AND model = 'Session' AND ${LIVE} AND payload ? 'accountId'`;
  if (filter.userId !== undefined) {
    params.push(filter.userId);
    where += ` AND payload->>'accountId' = $${params.length}`;
  }
  if (filter.clientId !== undefined) {
    params.push(filter.clientId);
    where += ` AND payload->'authorizations' ? $${params.length}`;
  }
  const rows = await db.query<{ payload: SessionPayload }>(
    `SELECT payload FROM oidc_payloads WHERE ${where} ORDER BY (payload->>'loginTs')::bigint NULLS FIRST, id`,
    params,
  );
  return rows.map((r) => r.payload);
}

/** The live offline sessions matching `filter`, oldest first. */
export async function offlineSessions(
  db: SqlClient,
  realmId: string,
  filter: SessionFilter,
): Promise<OfflineSession[]> {
  const params: unknown[] = [realmId];
  let where = `realm_id = $1 AND model = 'RefreshToken' AND ${LIVE} AND consumed_at IS NULL AND grant_id IS NOT NULL
    AND (' ' || coalesce(payload->>'scope', '') || ' ') LIKE '% offline\\_access %'`;
  if (filter.userId !== undefined) {
    params.push(filter.userId);
    where += ` AND payload->>'accountId' = $${params.length}`;
  }
  if (filter.clientId !== undefined) {
    params.push(filter.clientId);
    where += ` AND payload->>'clientId' = $${params.length}`;
  }
  const rows = await db.query<{
    grant_id: string;
    account_id: string;
    client_id: string;
    start: string | number;
    last_access: string | number;
  }>(
    `SELECT grant_id, min(payload->>'accountId') AS account_id, min(payload->>'clientId') AS client_id,
       min(coalesce((payload->>'iiat')::bigint, (payload->>'iat')::bigint)) AS start,
       max((payload->>'iat')::bigint) AS last_access
     FROM oidc_payloads WHERE ${where} GROUP BY grant_id ORDER BY start, grant_id`,
    params,
  );
  return rows.map((r) => ({
    grantId: r.grant_id,
    accountId: r.account_id,
    clientId: r.client_id,
    start: Number(r.start),
    lastAccess: Number(r.last_access),
  }));
}

/**
 * Brute-force detection with Keycloak's realm settings ("Server Administration Guide", "Brute
 * force detection"): `bruteForceProtected`, `failureFactor` (failures before a lockout),
 * `waitIncrementSeconds` (lockout grows by this per `failureFactor` failures), `maxFailureWaitSeconds`
 * (cap), `maxDeltaTimeSeconds` (failures older than this start the count again),
 * `permanentLockout` (disable the user instead). Counters are rows in `login_failures`, shared by
 * every process through the store. A locked user gets the same generic answer as a wrong password.
 */
import type { SqlClient } from '../store/sql.ts';
import type { RealmDocument } from '../model/representation.ts';
import { findUserById, updateUser } from '../store/users.ts';
import type { Metrics } from '../metrics.ts';

interface Settings {
  enabled: boolean;
  failureFactor: number;
  waitIncrement: number;
  maxWait: number;
  maxDelta: number;
  permanent: boolean;
}

function settingsOf(doc: RealmDocument): Settings {
  const n = (key: string, fallback: number) =>
    typeof doc[key] === 'number' ? (doc[key] as number) : fallback;
  return {
    enabled: doc.bruteForceProtected === true,
    failureFactor: Math.max(1, n('failureFactor', 30)),
    waitIncrement: n('waitIncrementSeconds', 60),
    maxWait: n('maxFailureWaitSeconds', 900),
    maxDelta: n('maxDeltaTimeSeconds', 43200),
    permanent: doc.permanentLockout === true,
  };
}

export interface LoginFailures {
  numFailures: number;
  disabled: boolean;
  lastIPFailure: string;
  lastFailure: number;
}

type Row = {
  num_failures: number;
  last_failure: Date;
  last_ip: string | null;
  locked_until: Date | null;
};

/**
 * Records a login attempt of a known user and tells whether the user is locked out (a temporary
 * lockout not over), in one round trip on success. A locked user's attempt counts for nothing,
 * right password or not; a success clears the count (Keycloak's successfulLogin); a failure counts,
 * and locks the user out (or disables them) when `failureFactor` is reached.
 * @param metrics where a lockout started is counted (`qsign_lockouts_total`).
 * @returns true when the user is locked out (the attempt must get the wrong-password answer).
 * @throws StoreUnavailableError when the store is down.
 */
export async function recordLoginAttempt(
  db: SqlClient,
  doc: RealmDocument,
  realmId: string,
  userId: string,
  attempt: { valid: boolean; ip?: string },
  metrics?: Metrics,
): Promise<boolean> {
  const s = settingsOf(doc);
  if (!s.enabled) return false;
  if (attempt.valid) {
    const [row] = await db.query<{ locked: boolean }>(
      `WITH locked AS (SELECT 1 FROM login_failures WHERE realm_id = $1 AND user_id = $2 AND locked_until > $3),
       cleared AS (DELETE FROM login_failures WHERE realm_id = $1 AND user_id = $2 AND NOT EXISTS (SELECT 1 FROM locked))
       SELECT EXISTS (SELECT 1 FROM locked) AS locked`,
      [realmId, userId, new Date()],
    );
    return row?.locked === true;
  }
  const outcome = await db.transaction(async (tx): Promise<'locked' | 'counted' | 'lockout'> => {
    const [row] = await tx.query<Row>(
      'SELECT num_failures, last_failure, locked_until FROM login_failures WHERE realm_id = $1 AND user_id = $2 FOR UPDATE',
      [realmId, userId],
    );
    const now = Date.now();
    if (row?.locked_until && new Date(row.locked_until).getTime() > now) return 'locked';
    const fresh = !row || now - new Date(row.last_failure).getTime() > s.maxDelta * 1000;
    const failures = (fresh ? 0 : row.num_failures) + 1;
    const lockout = failures % s.failureFactor === 0;
    let lockedUntil: Date | null = null;
    if (lockout) {
      if (s.permanent) {
        const user = await findUserById(tx, realmId, userId);
        if (user) await updateUser(tx, realmId, { ...user, enabled: false });
      } else {
        const wait = Math.min(s.waitIncrement * (failures / s.failureFactor), s.maxWait);
        lockedUntil = new Date(now + wait * 1000);
      }
    }
    await tx.query(
      `INSERT INTO login_failures (realm_id, user_id, num_failures, last_failure, last_ip, locked_until) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (realm_id, user_id) DO UPDATE SET num_failures = $3, last_failure = $4, last_ip = $5, locked_until = coalesce($6, login_failures.locked_until)`,
      [realmId, userId, failures, new Date(now), attempt.ip ?? null, lockedUntil],
    );
    return lockout ? 'lockout' : 'counted';
  });
  // Counted once committed: a transaction rolled back started no lockout.
  if (outcome === 'lockout') metrics?.lockouts.inc({ realm: doc.realm });
  return outcome === 'locked';
}

/**
 * Whether the user is locked out now, without recording an attempt: for a right password that
 * still needs a second factor, which must neither clear the count (else each password login would
 * reset the OTP failures) nor count as a failure.
 * @throws StoreUnavailableError when the store is down.
 */
export async function isLockedOut(
  db: SqlClient,
  doc: RealmDocument,
  realmId: string,
  userId: string,
): Promise<boolean> {
  if (!settingsOf(doc).enabled) return false;
  const rows = await db.query(
    'SELECT 1 FROM login_failures WHERE realm_id = $1 AND user_id = $2 AND locked_until > $3',
    [realmId, userId, new Date()],
  );
  return rows.length > 0;
}

/** Keycloak's attack-detection view of a user: `{numFailures, disabled, lastIPFailure, lastFailure}` (ms). */
export async function loginFailures(
  db: SqlClient,
  realmId: string,
  userId: string,
): Promise<LoginFailures> {
  const [row] = await db.query<Row>(
    'SELECT num_failures, last_failure, last_ip, locked_until FROM login_failures WHERE realm_id = $1 AND user_id = $2',
    [realmId, userId],
  );
  if (!row) return { numFailures: 0, disabled: false, lastIPFailure: 'n/a', lastFailure: 0 };
  return {
    numFailures: row.num_failures,
    disabled: Boolean(row.locked_until && new Date(row.locked_until).getTime() > Date.now()),
    lastIPFailure: row.last_ip ?? 'n/a',
    lastFailure: new Date(row.last_failure).getTime(),
  };
}

export async function clearLoginFailures(
  db: SqlClient,
  realmId: string,
  userId?: string,
): Promise<void> {
  if (userId)
    await db.query('DELETE FROM login_failures WHERE realm_id = $1 AND user_id = $2', [
      realmId,
      userId,
    ]);
  else await db.query('DELETE FROM login_failures WHERE realm_id = $1', [realmId]);
}

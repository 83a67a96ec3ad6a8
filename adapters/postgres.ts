/**
 * oidc-provider storage adapter over the SqlClient (PostgreSQL or PGlite): sessions,
 * interactions, authorization codes, grants, refresh tokens and the stored part of access tokens,
 * one row per artefact in `oidc_payloads`, scoped by realm. Interface: oidc-provider's Adapter
 * (docs "adapter" / example/my_adapter.js); `expiresIn` is in seconds.
 *
 * Each write of an artefact is a single statement, so it is either written whole or not at all.
 * A refresh token rotated in a request is marked used by the statement that stores its successor
 * and the new access token, and that touches the token's session (see `upsert`); the password
 * grant's session, grant and tokens are stored together by one statement (`deferWrites`). A
 * reuse caught marks the artefact used, then revokes its grant in a second statement: if that
 * one fails (store down: 503), the artefact stays used and the grant stays.
 */
import Provider, { errors } from 'oidc-provider';
import type { SqlClient } from '../src/store/sql.ts';

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string };

/** In a request's `ctx.state`: the id of the refresh token its rotation consumes, not yet marked used. */
const ROTATED = Symbol('qsign.rotatedRefreshToken');
/** In a request's `ctx.state`: that rotation's successor (upsert parameters), stored with the access token. */
const SUCCESSOR = Symbol('qsign.successorRefreshToken');
/** In a request's `ctx.state`: the artefacts whose writes wait for `writeDeferred` (see `deferWrites`). */
const DEFERRED = Symbol('qsign.deferredWrites');
/** In a request's `ctx.state`: a session touch for the rotation's statement to carry (see `touchWithRotation`). */
const TOUCH = Symbol('qsign.sessionTouch');
type State = Record<PropertyKey, unknown>;
type Deferred = { db?: SqlClient; rows: Map<string, unknown[]> };
/** A session's sliding expiry: `fields` merged into its payload, `expiresIn` seconds from now. */
export interface SessionTouch {
  uid: string;
  id: string;
  fields: { exp: number; lastAccess: number };
  expiresIn: number;
  /** Set by the adapter once the rotation's statement has carried the touch. */
  written?: boolean;
}
const requestState = () => (Provider as unknown as { ctx?: { state?: State } }).ctx?.state;

const COLUMNS = 'realm_id, model, id, payload, grant_id, uid, user_code, expires_at';
/** `INSERT ... SELECT` of one artefact from the 8 parameters after `$offset` (realm, model, id, payload, grant, uid, user code, seconds). */
const insertSelect = (offset = 0) => {
  const p = (n: number) => `$${offset + n}`;
  return `INSERT INTO oidc_payloads (${COLUMNS})
  SELECT ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, CASE WHEN ${p(8)}::integer IS NULL THEN NULL ELSE now() + make_interval(secs => ${p(8)}::integer) END`;
};
const ON_CONFLICT = `ON CONFLICT (realm_id, model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
  uid = EXCLUDED.uid, user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at`;

/**
 * An UPDATE of session `id` (realm `$1`): `fields` (jsonb) merged into its payload, expiring
 * `seconds` from now. Only the fields a touch changes are written, and a session deleted
 * meanwhile (logout) stays deleted: a touch never re-creates a row nor overwrites what a
 * concurrent request added to the payload.
 */
const TOUCH_SESSION = (id: string, fields: string, seconds: string) =>
  `UPDATE oidc_payloads SET payload = payload || ${fields}::jsonb, expires_at = now() + make_interval(secs => ${seconds}::integer)
   WHERE realm_id = $1 AND model = 'Session' AND id = ${id}`;

/** Models that are looked up by grant and revoked together (oidc-provider revokeByGrantId). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/**
 * The grant sources `consume` keeps single-use, by the name oidc-provider's errors give them
 * (grant_source.js, refresh_token.js).
 */
const SINGLE_USE: Record<string, string> = {
  RefreshToken: 'refresh token',
  AuthorizationCode: 'authorization code',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
};

/** A second use of single-use artefact `id` of `model`: its grant and the grant's tokens revoked, and the request refused. */
async function refuseReuse(
  db: SqlClient,
  realmId: string,
  model: string,
  id: string,
): Promise<never> {
  const label = SINGLE_USE[model];
  const [source] = await db.query<{ found: boolean }>(
    `WITH source AS (SELECT grant_id FROM oidc_payloads WHERE realm_id = $1 AND model = $2 AND id = $3),
     revoked AS (
       DELETE FROM oidc_payloads p USING source
       WHERE p.realm_id = $1 AND ((p.grant_id = source.grant_id AND p.model = ANY($4)) OR (p.model = 'Grant' AND p.id = source.grant_id))
     )
     SELECT EXISTS (SELECT 1 FROM source) AS found`,
    [realmId, model, id, [...GRANTABLE]],
  );
  if (!source.found) throw new errors.InvalidGrant(`${label} not found`);
  throw new errors.InvalidGrant(
    model === 'RefreshToken' ? 'refresh token already used' : `${label} already consumed`,
  );
}

class PostgresAdapter {
  readonly model: string;
  readonly #db: SqlClient;
  readonly #realmId: string;

  constructor(db: SqlClient, realmId: string, model: string) {
    this.#db = db;
    this.#realmId = realmId;
    this.model = model;
  }

  /**
   * Stores an artefact. A refresh token rotation (oidc-provider's refresh_token grant: consume
   * the old token, save its successor, sign and save the access token, sign the id token) is
   * written at the access token's save, in one statement: the old token marked used, only if it
   * was still unused, with its successor and the access token. A request that fails before
   * (store down, the access token's signer down: 503) has written nothing, so the old token
   * stays usable for the client's retry; of two requests racing with one token, one stores.
   * @throws errors.InvalidGrant when the consumed refresh token was used meanwhile (see `consume`).
   */
  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    const params = [
      this.#realmId,
      this.model,
      id,
      JSON.stringify(payload),
      payload.grantId ?? null,
      payload.uid ?? null,
      payload.userCode ?? null,
      expiresIn ?? null,
    ];
    const deferred = requestState()?.[DEFERRED] as Deferred | undefined;
    if (deferred) {
      deferred.db = this.#db;
      deferred.rows.set(`${this.model} ${id}`, params);
      return;
    }
    const state =
      this.model === 'RefreshToken' || this.model === 'AccessToken' ? requestState() : undefined;
    const rotated = state?.[ROTATED] as string | undefined;
    if (this.model === 'RefreshToken' && rotated !== undefined) {
      delete state![ROTATED];
      state![SUCCESSOR] = { rotated, params };
      return;
    }
    const successor =
      this.model === 'AccessToken'
        ? (state?.[SUCCESSOR] as { rotated: string; params: unknown[] } | undefined)
        : undefined;
    if (!successor) {
      await this.#db.query(`${insertSelect()} ${ON_CONFLICT}`, params);
      return;
    }
    delete state![SUCCESSOR];
    await this.#rotate(state!, params, successor);
  }

  /**
   * The rotation's one statement: the old refresh token marked used (only if still unused), its
   * successor and the access token stored, and the token's session touched (its sliding expiry
   * moved on, when `touchWithRotation` noted one for the successor's session): all or nothing.
   */
  async #rotate(
    state: State,
    params: unknown[],
    successor: { rotated: string; params: unknown[] },
  ): Promise<void> {
    const sessionUid = (JSON.parse(successor.params[3] as string) as { sessionUid?: string })
      .sessionUid;
    const touch = state[TOUCH] as SessionTouch | undefined;
    const touched = touch && touch.uid === sessionUid ? touch : undefined;
    const stored = await this.#db.query(
      `WITH used AS (UPDATE oidc_payloads SET consumed_at = now() WHERE realm_id = $1 AND model = 'RefreshToken' AND id = $17 AND consumed_at IS NULL RETURNING 1),
       successor AS (${insertSelect(8)} WHERE EXISTS (SELECT 1 FROM used) ${ON_CONFLICT} RETURNING 1),
       touched AS (${TOUCH_SESSION('$18', '$19', '$20')} AND EXISTS (SELECT 1 FROM used))
       ${insertSelect()} WHERE EXISTS (SELECT 1 FROM used) ${ON_CONFLICT} RETURNING 1`,
      [
        ...params,
        ...successor.params,
        successor.rotated,
        touched?.id ?? null,
        JSON.stringify(touched?.fields ?? {}),
        touched?.expiresIn ?? 0,
      ],
    );
    if (!stored.length)
      await refuseReuse(this.#db, this.#realmId, 'RefreshToken', successor.rotated);
    if (touched) touched.written = true;
  }

  async #findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<Payload | undefined> {
    const [row] = await this.#db.query<{ payload: Payload; consumed_at: Date | null }>(
      `SELECT payload, consumed_at FROM oidc_payloads
       WHERE realm_id = $1 AND model = $2 AND ${column} = $3 AND (expires_at IS NULL OR expires_at > now())`,
      [this.#realmId, this.model, value],
    );
    if (!row) return undefined;
    return row.consumed_at
      ? { ...row.payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) }
      : row.payload;
  }

  find(id: string) {
    return this.#findBy('id', id);
  }

  findByUid(uid: string) {
    return this.#findBy('uid', uid);
  }

  findByUserCode(userCode: string) {
    return this.#findBy('user_code', userCode);
  }

  /**
   * Marks a code or refresh token used, once. oidc-provider checks `consumed` when it loads the
   * artefact and consumes it a few queries later, so two requests racing with the same code or
   * refresh token could both pass. Here only the first UPDATE matches; a second one means the
   * artefact was used twice, and it is answered as oidc-provider answers a sequential reuse
   * (RFC 6749 section 4.1.2, RFC 9700 section 4.14.2: the server cannot tell the legitimate
   * client from an attacker): every token of its grant, and the grant, revoked, and the request
   * refused. So of concurrent requests with one refresh token, one gets tokens, and those stop
   * working too once the reuse is seen. A refresh token rotated in a request is only noted here
   * and marked used with its successor and the access token, in one statement (`upsert`).
   * @throws errors.InvalidGrant "refresh token already used" / "authorization code already
   *   consumed" (and the like) on a second use; "... not found" when the artefact was deleted
   *   (revoked, logged out) since oidc-provider loaded it.
   */
  async consume(id: string): Promise<void> {
    // A refresh token rotated in a request: marked used with its successor's INSERT (upsert).
    const state = this.model === 'RefreshToken' ? requestState() : undefined;
    if (state) {
      state[ROTATED] = id;
      return;
    }
    const consumed = await this.#db.query(
      'UPDATE oidc_payloads SET consumed_at = now() WHERE realm_id = $1 AND model = $2 AND id = $3 AND consumed_at IS NULL RETURNING 1',
      [this.#realmId, this.model, id],
    );
    if (consumed.length || !SINGLE_USE[this.model]) return;
    await refuseReuse(this.#db, this.#realmId, this.model, id);
  }

  async destroy(id: string): Promise<void> {
    await this.#db.query(
      'DELETE FROM oidc_payloads WHERE realm_id = $1 AND model = $2 AND id = $3',
      [this.#realmId, this.model, id],
    );
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#db.query(
      'DELETE FROM oidc_payloads WHERE realm_id = $1 AND grant_id = $2 AND model = ANY($3)',
      [this.#realmId, grantId, [...GRANTABLE]],
    );
  }
}

/**
 * The adapter class for one realm's artefacts, as oidc-provider's `adapter` option takes it
 * (`new Adapter(model)` per model name).
 */
export function createPostgresAdapter(db: SqlClient, realmId: string) {
  return class RealmPostgresAdapter extends PostgresAdapter {
    constructor(model: string) {
      super(db, realmId, model);
    }
  };
}

/**
 * From now on in the request whose `ctx.state` is `state`, the adapter's writes (upserts) wait
 * in memory until `writeDeferred`, which stores them in one statement: all or none, one commit.
 * Reads meanwhile do not see them, so only for a handler that reads back nothing it saves (the
 * password grant). Nothing is sent to the client before `writeDeferred` returns, so a crash
 * loses no acknowledged write.
 */
export function deferWrites(state: State): void {
  state[DEFERRED] = { rows: new Map() } satisfies Deferred;
}

/**
 * Stores the writes `deferWrites` held back, as one multi-row `INSERT ... ON CONFLICT`
 * (autocommit: one commit), and stops deferring. A failure (store down: StoreUnavailableError,
 * the grant's 503) has written none of them.
 */
export async function writeDeferred(state: State): Promise<void> {
  const deferred = state[DEFERRED] as Deferred | undefined;
  delete state[DEFERRED];
  if (!deferred?.db || !deferred.rows.size) return;
  const rows = [...deferred.rows.values()];
  const values = rows.map((_, i) => {
    const p = (n: number) => `$${i * 8 + n}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}::jsonb, ${p(5)}, ${p(6)}, ${p(7)}, CASE WHEN ${p(8)}::integer IS NULL THEN NULL ELSE now() + make_interval(secs => ${p(8)}::integer) END)`;
  });
  await deferred.db.query(
    `INSERT INTO oidc_payloads (${COLUMNS}) VALUES ${values.join(', ')} ${ON_CONFLICT}`,
    rows.flat(),
  );
}

/**
 * Notes a touch of the session with `touch.uid` for this request's refresh token rotation, whose
 * statement then writes it (only if the rotation stores: `touch.written` is set then).
 */
export function touchWithRotation(state: State, touch: SessionTouch): void {
  state[TOUCH] = touch;
}

/** The session touch noted in this request (`touchWithRotation`), if any. */
export const notedTouch = (state: State) => state[TOUCH] as SessionTouch | undefined;

/** Writes a session touch on its own (one UPDATE; nothing if the session is gone). */
export async function touchSessionRow(
  db: SqlClient,
  realmId: string,
  touch: SessionTouch,
): Promise<void> {
  await db.query(TOUCH_SESSION('$2', '$3', '$4'), [
    realmId,
    touch.id,
    JSON.stringify(touch.fields),
    touch.expiresIn,
  ]);
}

/**
 * Deletes expired artefacts (all realms): revoked-token entries past their expiry, and
 * oidc_payloads rows expired more than 5 minutes ago. Returns the number of rows removed.
 *
 * In batches of `batch` rows, each its own short statement (autocommit, within the store's
 * statement bound), found through oidc_payloads_expires: a backlog of a million rows is a few
 * hundred small deletes, not one transaction that holds the row locks of every expired row
 * until it ends (a request deleting such a row, e.g. a logout, waited for all of it) and keeps
 * VACUUM from reclaiming anything meanwhile; nothing is returned row by row (issue 22: the whole
 * backlog came back to the process as `RETURNING 1` rows). Measured: bench/scale/grants.ts.
 */
export async function deleteExpiredPayloads(db: SqlClient, batch = 5_000): Promise<number> {
  const drain = async (sql: string) => {
    let total = 0;
    for (;;) {
      const [row] = await db.query<{ n: number | string }>(
        `WITH gone AS (${sql}) SELECT count(*) AS n FROM gone`,
        [batch],
      );
      const n = Number(row?.n ?? 0);
      total += n;
      if (n < batch) return total;
    }
  };
  await drain(
    'DELETE FROM revoked_tokens WHERE (realm_id, jti) IN (SELECT realm_id, jti FROM revoked_tokens WHERE expires_at < now() LIMIT $1) RETURNING 1',
  );
  return drain(
    "DELETE FROM oidc_payloads WHERE (realm_id, model, id) IN (SELECT realm_id, model, id FROM oidc_payloads WHERE expires_at < now() - interval '5 minutes' LIMIT $1) RETURNING 1",
  );
}

/**
 * oidc-provider storage adapter over the SqlClient (PostgreSQL or PGlite): sessions,
 * interactions, authorization codes, grants, refresh tokens and the stored part of access tokens,
 * one row per artefact in `oidc_payloads`, scoped by realm. Interface: oidc-provider's Adapter
 * (docs "adapter" / example/my_adapter.js); `expiresIn` is in seconds.
 *
 * Each write of an artefact is a single statement, so it is either written whole or not at all.
 * A refresh token rotated in a request is marked used by the statement that stores its successor
 * (see `consume`). A reuse caught marks the artefact used, then revokes its grant in a second
 * statement: if that one fails (store down: 503), the artefact stays used and the grant stays.
 */
import Provider, { errors } from 'oidc-provider';
import type { SqlClient } from '../src/store/sql.ts';

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string };

/** In a request's `ctx.state`: the id of the refresh token its rotation consumes, not yet marked used. */
const ROTATED = Symbol('qsign.rotatedRefreshToken');
const requestState = () => (Provider as unknown as { ctx?: { state?: Record<PropertyKey, unknown> } }).ctx?.state;

const UPSERT = `INSERT INTO oidc_payloads (realm_id, model, id, payload, grant_id, uid, user_code, expires_at)
  SELECT $1, $2, $3, $4, $5, $6, $7, CASE WHEN $8::integer IS NULL THEN NULL ELSE now() + make_interval(secs => $8::integer) END`;
const ON_CONFLICT = `ON CONFLICT (realm_id, model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
  uid = EXCLUDED.uid, user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at`;

/** Models that are looked up by grant and revoked together (oidc-provider revokeByGrantId). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'ClientCredentials', 'DeviceCode', 'BackchannelAuthenticationRequest']);

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

export function createPostgresAdapter(db: SqlClient, realmId: string) {
  return class PostgresAdapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    /**
     * Stores an artefact. The successor of a refresh token consumed in this request is stored by
     * the statement that marks the old one used, and only if the old one was still unused: a
     * request that fails before (store down, signer down: 503) leaves the old token usable for the
     * client's retry, and of two requests racing with one token only one stores a successor.
     * @throws errors.InvalidGrant when the consumed refresh token was used meanwhile (see `consume`).
     */
    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const params = [realmId, this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.uid ?? null, payload.userCode ?? null, expiresIn ?? null];
      const state = this.model === 'RefreshToken' ? requestState() : undefined;
      const rotated = state?.[ROTATED] as string | undefined;
      if (rotated === undefined) {
        await db.query(`${UPSERT} ${ON_CONFLICT}`, params);
        return;
      }
      delete state![ROTATED];
      const stored = await db.query(
        `WITH used AS (UPDATE oidc_payloads SET consumed_at = now() WHERE realm_id = $1 AND model = $2 AND id = $9 AND consumed_at IS NULL RETURNING 1)
         ${UPSERT} WHERE EXISTS (SELECT 1 FROM used) ${ON_CONFLICT} RETURNING 1`,
        [...params, rotated],
      );
      if (!stored.length) await this.#refuseReuse(rotated);
    }

    async #findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<Payload | undefined> {
      const [row] = await db.query<{ payload: Payload; consumed_at: Date | null }>(
        `SELECT payload, consumed_at FROM oidc_payloads
         WHERE realm_id = $1 AND model = $2 AND ${column} = $3 AND (expires_at IS NULL OR expires_at > now())`,
        [realmId, this.model, value],
      );
      if (!row) return undefined;
      return row.consumed_at ? { ...row.payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : row.payload;
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
     * working too once the reuse is seen. A refresh token rotated in a request (oidc-provider's
     * refresh_token grant consumes it, then stores its successor) is only noted here and marked
     * used by the successor's INSERT, in one statement (`upsert`).
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
      const consumed = await db.query('UPDATE oidc_payloads SET consumed_at = now() WHERE realm_id = $1 AND model = $2 AND id = $3 AND consumed_at IS NULL RETURNING 1', [realmId, this.model, id]);
      if (consumed.length || !SINGLE_USE[this.model]) return;
      await this.#refuseReuse(id);
    }

    /** A second use of a single-use artefact: its grant and the grant's tokens revoked, and the request refused. */
    async #refuseReuse(id: string): Promise<never> {
      const label = SINGLE_USE[this.model];
      const [source] = await db.query<{ found: boolean }>(
        `WITH source AS (SELECT grant_id FROM oidc_payloads WHERE realm_id = $1 AND model = $2 AND id = $3),
         revoked AS (
           DELETE FROM oidc_payloads p USING source
           WHERE p.realm_id = $1 AND ((p.grant_id = source.grant_id AND p.model = ANY($4)) OR (p.model = 'Grant' AND p.id = source.grant_id))
         )
         SELECT EXISTS (SELECT 1 FROM source) AS found`,
        [realmId, this.model, id, [...GRANTABLE]],
      );
      if (!source.found) throw new errors.InvalidGrant(`${label} not found`);
      throw new errors.InvalidGrant(this.model === 'RefreshToken' ? 'refresh token already used' : `${label} already consumed`);
    }

    async destroy(id: string): Promise<void> {
      await db.query('DELETE FROM oidc_payloads WHERE realm_id = $1 AND model = $2 AND id = $3', [realmId, this.model, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.query('DELETE FROM oidc_payloads WHERE realm_id = $1 AND grant_id = $2 AND model = ANY($3)', [realmId, grantId, [...GRANTABLE]]);
    }
  };
}

/**
 * Deletes expired artefacts (all realms). Returns the number of rows removed. Runs without the
 * store's statement time limit: a backlog that takes longer must shrink, not be cancelled every time.
 */
export async function deleteExpiredPayloads(db: SqlClient): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('DELETE FROM revoked_tokens WHERE expires_at < now()');
    return (await tx.query("DELETE FROM oidc_payloads WHERE expires_at < now() - interval '5 minutes' RETURNING 1")).length;
  }, { timeoutMs: 0 });
}

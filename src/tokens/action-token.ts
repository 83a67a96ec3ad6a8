/**
 * Action tokens, Keycloak's idea (org.keycloak.authentication.actiontoken: DefaultActionToken,
 * ActionTokenHandler): a signed JWT sent in an email link, served at
 * `/realms/{realm}/login-actions/action-token?key={token}`, that lets its holder do one thing to
 * one user: `reset-credentials` (ResetCredentialsActionToken), `verify-email`
 * (VerifyEmailActionToken, with the address it was sent to, `eml`), `execute-actions`
 * (ExecuteActionsActionToken, the actions in `rqac`, the redirect in `reduri`). Claims use
 * Keycloak's names: `typ`, `sub`, `azp` (client), `iat`, `exp`, `jti`, `iss`/`aud` (the realm).
 *
 * Signed and verified with jose (HS256, the realm's action-token key, RealmContext.actionTokenKey,
 * derived from the KEK: a token of one realm does not verify in another). Lifespan: the realm's
 * `actionTokenGeneratedByUserLifespan` (300 s) or, for tokens an administrator asks for,
 * `actionTokenGeneratedByAdminLifespan` (43200 s), a per-type override in the realm attribute
 * `actionTokenGeneratedByUserLifespan.{typ}` as in Keycloak's admin console. Single use: `consume`
 * records the token id in `used_action_tokens` in the transaction of the action itself.
 */
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { SqlClient } from '../store/sql.ts';
import type { RealmContext } from '../oidc/realm-context.ts';
import { LOGIN_ACTIONS } from '../routes.ts';

export type ActionTokenType = 'reset-credentials' | 'verify-email' | 'execute-actions';
const TYPES: readonly string[] = ['reset-credentials', 'verify-email', 'execute-actions'];

/** The verified claims of an action token. */
export interface ActionToken {
  typ: ActionTokenType;
  jti: string;
  /** User id. */
  sub: string;
  exp: number;
  /** The client it was issued for, if any. */
  azp?: string;
  /** verify-email: the address the link was sent to. */
  eml?: string;
  /** execute-actions: the required actions to perform. */
  rqac?: string[];
  /** execute-actions: where to send the user afterwards (checked against the client). */
  reduri?: string;
  /** The login interaction the user came from (reset from a login page), if any. */
  asid?: string;
}

/** Keycloak's defaults (RealmModel.getActionTokenGeneratedByUserLifespan / ByAdmin). */
const USER_LIFESPAN = 300;
const ADMIN_LIFESPAN = 43_200;

/**
 * The lifespan in seconds of a token of type `typ`, issued for a user's own request or by an
 * administrator (RealmModel.getActionTokenGeneratedByUserLifespan(typ)).
 */
export function actionTokenLifespan(realm: object, typ: ActionTokenType, byAdmin = false): number {
  const rep = realm as {
    actionTokenGeneratedByUserLifespan?: unknown;
    actionTokenGeneratedByAdminLifespan?: unknown;
    attributes?: unknown;
  };
  const positive = (v: unknown) => {
    const n = Number(v);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  };
  if (byAdmin) return positive(rep.actionTokenGeneratedByAdminLifespan) ?? ADMIN_LIFESPAN;
  const attributes = (rep.attributes ?? {}) as Record<string, unknown>;
  return (
    positive(attributes[`actionTokenGeneratedByUserLifespan.${typ}`]) ??
    positive(rep.actionTokenGeneratedByUserLifespan) ??
    USER_LIFESPAN
  );
}

/** Signs an action token for `lifespan` seconds from now. */
export async function createActionToken(
  rc: RealmContext,
  claims: Omit<ActionToken, 'jti' | 'exp'>,
  lifespan: number,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(rc.issuer)
    .setAudience(rc.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + lifespan)
    .setJti(randomUUID())
    .sign(rc.actionTokenKey);
}

/** The link an email carries. */
export const actionTokenUrl = (rc: RealmContext, token: string) =>
  `${rc.issuer}${LOGIN_ACTIONS}/action-token?key=${encodeURIComponent(token)}`;

export type VerifyResult =
  { ok: true; token: ActionToken } | { ok: false; reason: 'expired' | 'invalid' };

/** Verifies signature, issuer, audience, expiry and shape (no single-use check: `consume`). */
export async function verifyActionToken(rc: RealmContext, key: string): Promise<VerifyResult> {
  if (!key || key.length > 8192) return { ok: false, reason: 'invalid' };
  try {
    const { payload } = await jwtVerify(key, rc.actionTokenKey, {
      algorithms: ['HS256'],
      issuer: rc.issuer,
      audience: rc.issuer,
      requiredClaims: ['jti', 'sub', 'exp', 'typ'],
    });
    if (!TYPES.includes(payload.typ as string)) return { ok: false, reason: 'invalid' };
    return { ok: true, token: payload as unknown as ActionToken };
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
  }
}

/**
 * Records the token as used, inside the transaction that performs its action; false when it was
 * used before (the transaction should then do nothing). Expired records of the realm are purged.
 */
export async function consumeActionToken(
  tx: SqlClient,
  realmId: string,
  token: Pick<ActionToken, 'jti' | 'exp'>,
): Promise<boolean> {
  await tx.query('DELETE FROM used_action_tokens WHERE realm_id = $1 AND expires_at < now()', [
    realmId,
  ]);
  const rows = await tx.query(
    'INSERT INTO used_action_tokens (realm_id, jti, expires_at) VALUES ($1, $2, to_timestamp($3)) ON CONFLICT DO NOTHING RETURNING jti',
    [realmId, token.jti, token.exp],
  );
  return rows.length === 1;
}

/** Whether the token was used already (checked before showing a form). */
export async function actionTokenUsed(
  db: SqlClient,
  realmId: string,
  jti: string,
): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM used_action_tokens WHERE realm_id = $1 AND jti = $2', [
    realmId,
    jti,
  ]);
  return rows.length > 0;
}

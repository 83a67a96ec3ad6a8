/**
 * How long a token signed by a key of a realm can stay valid, from the realm's lifespans
 * (Keycloak RealmRepresentation fields, seconds; Keycloak's defaults where a stored document
 * lacks one). Used for a replaced key's default `retireAfter` (keys/rotation.ts) and for the
 * deletion guard (keys/removal-guard.ts, keys/signature-ledger.ts).
 */
import type { RealmDocument } from '../model/representation.ts';

/** The realm settings tokenLifetime reads (Keycloak's RealmRepresentation fields, seconds). */
export type TokenLifespans = Partial<
  Pick<
    RealmDocument,
    | 'accessTokenLifespan'
    | 'ssoSessionIdleTimeout'
    | 'ssoSessionMaxLifespan'
    | 'offlineSessionIdleTimeout'
  >
> & {
  offlineSessionMaxLifespanEnabled?: unknown;
  offlineSessionMaxLifespan?: unknown;
};

/** Keycloak's defaults (seconds), for a stored realm document that lacks a field. */
const LIFESPAN_DEFAULTS = {
  accessTokenLifespan: 300,
  ssoSessionIdleTimeout: 1_800,
  ssoSessionMaxLifespan: 36_000,
  offlineSessionIdleTimeout: 2_592_000,
  offlineSessionMaxLifespan: 5_184_000,
};
const lifespan = (doc: TokenLifespans, key: keyof typeof LIFESPAN_DEFAULTS): number => {
  const value = (doc as Record<string, unknown>)[key];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? value
    : LIFESPAN_DEFAULTS[key];
};

/**
 * The lifetime (seconds) of the longest-lived token a key of `alg` can sign in a realm with these lifespans:
 * - HS* keys sign refresh tokens (typ Refresh, lifetime ssoSessionIdleTimeout) and offline tokens
 *   (typ Offline, lifetime offlineSessionIdleTimeout, 30 days by default; when
 *   offlineSessionMaxLifespanEnabled, an offline session may last offlineSessionMaxLifespan, 60 days
 *   by default, which is then counted too as an upper bound):
 *   max(accessTokenLifespan, ssoSessionIdleTimeout, ssoSessionMaxLifespan, offlineSessionIdleTimeout
 *       [, offlineSessionMaxLifespan when offlineSessionMaxLifespanEnabled])
 * - every other alg signs access and id tokens (accessTokenLifespan), and an id token must verify as
 *   `id_token_hint` for as long as its SSO session lives:
 *   max(accessTokenLifespan, ssoSessionMaxLifespan)
 */
export function tokenLifetime(doc: TokenLifespans, alg: string): number {
  const base = Math.max(
    lifespan(doc, 'accessTokenLifespan'),
    lifespan(doc, 'ssoSessionMaxLifespan'),
  );
  if (!alg.startsWith('HS')) return base;
  const offlineMax =
    doc.offlineSessionMaxLifespanEnabled === true || doc.offlineSessionMaxLifespanEnabled === 'true'
      ? lifespan(doc, 'offlineSessionMaxLifespan')
      : 0;
  return Math.max(
    base,
    lifespan(doc, 'ssoSessionIdleTimeout'),
    lifespan(doc, 'offlineSessionIdleTimeout'),
    offlineMax,
  );
}

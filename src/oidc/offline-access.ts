/**
 * Offline tokens (`offline_access` scope) only for users who hold the realm role
 * `offline_access`, as Keycloak: TokenManager.AccessTokenResponseBuilder.generateRefreshToken
 * asks UserSessionManager.isOfflineTokenAllowed and otherwise answers 400
 * `{"error":"not_allowed","error_description":"Offline tokens not allowed for the user or client"}`.
 * Every user holds the role through `default-roles-{realm}` unless the realm removed it there.
 */
import { errors } from 'oidc-provider';
import type { StoredUser } from '../store/users.ts';
import type { RealmContext } from './realm-context.ts';

/** Keycloak's refusal of an offline token (HTTP 400). */
export class OfflineTokenNotAllowed extends errors.CustomOIDCProviderError {
  constructor() {
    super('not_allowed', 'Offline tokens not allowed for the user or client');
    this.status = 400;
    this.statusCode = 400;
  }
}

/**
 * Throws OfflineTokenNotAllowed when `scope` (space-separated) asks for `offline_access` and
 * `user` (undefined: unknown) does not hold the realm role `offline_access`, directly, through a
 * group or a composite. Returns normally otherwise.
 */
export function assertOfflineAllowed(
  rc: RealmContext,
  user: StoredUser | undefined,
  scope: string | undefined,
): void {
  if (!scope?.split(' ').includes('offline_access')) return;
  if (!user || !rc.realm.effectiveRoles(user).realm.includes('offline_access'))
    throw new OfflineTokenNotAllowed();
}

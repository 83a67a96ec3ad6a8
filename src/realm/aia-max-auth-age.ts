/**
 * How old a login may be for an application-initiated action (`kc_action`) to run without a new
 * login: Keycloak's RequiredActionProvider.getMaxAuthAge(KeycloakSession), read by
 * OIDCLoginProtocol.isReAuthRequiredForKcAction (`authTime + maxAge < now` → re-authenticate).
 * The required action's config `max_auth_age` (Constants.MAX_AUTH_AGE_KEY, seconds, a whole number
 * ≥ 0; RequiredActionFactory.parseMaxAuthAge), else Constants.KC_ACTION_MAX_AGE (300 s).
 * UPDATE_PASSWORD first takes the realm's password policy `maxAuthAge(n)` when it has one
 * (UpdatePassword.getMaxAuthAge, PasswordPolicy.getMaxAuthAge). A value that is not a whole
 * number ≥ 0 is ignored (Keycloak's validateConfig refuses it; a realm file may still hold one).
 * Pure: no I/O.
 */
import { parsePasswordPolicy } from './password-policy.ts';
import { realmRequiredActions } from './required-actions.ts';
import type { RealmDocument } from './representation.ts';

/** Constants.KC_ACTION_MAX_AGE, seconds. */
export const KC_ACTION_MAX_AGE = 300;
/** Constants.MAX_AUTH_AGE_KEY. */
export const MAX_AUTH_AGE_KEY = 'max_auth_age';

function configured(doc: RealmDocument, alias: string): number | undefined {
  const action = realmRequiredActions(doc).find((a) => a.providerId === alias);
  const value = action?.config?.[MAX_AUTH_AGE_KEY];
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,9}$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

/** The action's maximum authentication age in seconds (0: always re-authenticate). */
export function aiaMaxAuthAge(doc: RealmDocument, alias: string): number {
  if (alias === 'UPDATE_PASSWORD') {
    const policy = parsePasswordPolicy(
      (doc as { passwordPolicy?: unknown }).passwordPolicy as string | undefined,
    );
    if (policy.maxAuthAge !== undefined && policy.maxAuthAge >= 0) return policy.maxAuthAge;
  }
  return configured(doc, alias) ?? KC_ACTION_MAX_AGE;
}

/**
 * Whether a login at `authTime` (epoch seconds) is too old at `now` for the action
 * (OIDCLoginProtocol.isReAuthRequiredForKcAction: `authTime + maxAge < now`).
 */
export function aiaNeedsReauthentication(
  doc: RealmDocument,
  alias: string,
  authTime: number,
  now = Math.floor(Date.now() / 1000),
): boolean {
  return authTime + aiaMaxAuthAge(doc, alias) < now;
}

/**
 * The realm's required actions (RealmRepresentation.requiredActions, Keycloak's
 * RequiredActionProviderRepresentation: alias, name, providerId, enabled, defaultAction, priority,
 * config) and which of a user's `requiredActions` are pending. A realm document without the list
 * has Keycloak 26's defaults (DefaultRequiredActions.addActions, features off by default left out).
 *
 * Keycloak runs a user's required actions after authentication, lowest priority first, skipping
 * those whose provider is disabled in the realm (AuthenticationManager.actionRequired /
 * sortRequiredActionsByPriority); an enabled `defaultAction` is given to users created through the
 * admin API or registration (JpaUserProvider.addUser with addDefaultRequiredActions), not to
 * imported users. Pure: no I/O.
 */
import type { RealmDocument } from '../model/representation.ts';

export interface RequiredActionProvider {
  alias: string;
  name: string;
  providerId: string;
  enabled: boolean;
  defaultAction: boolean;
  priority: number;
  config: Record<string, string>;
}

/** Keycloak's required-action aliases that this server performs in the browser login. */
export const PERFORMABLE_ACTIONS = [
  'CONFIGURE_TOTP',
  'TERMS_AND_CONDITIONS',
  'UPDATE_PASSWORD',
  'UPDATE_PROFILE',
  'VERIFY_EMAIL',
  'VERIFY_PROFILE',
] as const;
export type PerformableAction = (typeof PERFORMABLE_ACTIONS)[number];

const provider = (
  alias: string,
  name: string,
  priority: number,
  enabled = true,
): RequiredActionProvider => ({
  alias,
  name,
  providerId: alias,
  enabled,
  defaultAction: false,
  priority,
  config: {},
});

/** Keycloak 26's DefaultRequiredActions (UPDATE_EMAIL, recovery codes and WebAuthn are behind features, off by default). */
export const KEYCLOAK_DEFAULT_ACTIONS: readonly RequiredActionProvider[] = [
  provider('CONFIGURE_TOTP', 'Configure OTP', 10),
  provider('TERMS_AND_CONDITIONS', 'Terms and Conditions', 20, false),
  provider('UPDATE_PASSWORD', 'Update Password', 30),
  provider('UPDATE_PROFILE', 'Update Profile', 40),
  provider('VERIFY_EMAIL', 'Verify Email', 50),
  provider('delete_account', 'Delete Account', 60, false),
  provider('VERIFY_PROFILE', 'Verify Profile', 90),
  provider('update_user_locale', 'Update User Locale', 1000),
];

/**
 * The realm's required-action providers, in Keycloak's shape, ordered by priority then alias
 * (RequiredActionProviderModel.RequiredActionComparator). Entries missing fields get Keycloak's
 * defaults (enabled false, defaultAction false, priority 0, providerId = alias).
 */
export function realmRequiredActions(doc: RealmDocument): RequiredActionProvider[] {
  const list = (doc as Record<string, unknown>).requiredActions;
  if (!Array.isArray(list)) return KEYCLOAK_DEFAULT_ACTIONS.map((a) => ({ ...a, config: {} }));
  return list
    .filter((a): a is Record<string, unknown> => !!a && typeof a === 'object')
    .filter((a) => typeof a.alias === 'string' && a.alias !== '')
    .map((a) => ({
      alias: a.alias as string,
      name: typeof a.name === 'string' ? a.name : (a.alias as string),
      providerId: typeof a.providerId === 'string' ? a.providerId : (a.alias as string),
      enabled: a.enabled === true,
      defaultAction: a.defaultAction === true,
      priority: typeof a.priority === 'number' ? a.priority : 0,
      config: a.config && typeof a.config === 'object' ? (a.config as Record<string, string>) : {},
    }))
    .sort((x, y) => x.priority - y.priority || x.alias.localeCompare(y.alias));
}

/**
 * The user's required actions that are pending: those whose provider is enabled in the realm,
 * in priority order (an alias the realm does not list is not run, as in Keycloak).
 */
export function pendingActions(doc: RealmDocument, userActions: readonly string[]): string[] {
  const wanted = new Set(userActions);
  return realmRequiredActions(doc)
    .filter((a) => a.enabled && wanted.has(a.alias))
    .map((a) => a.alias);
}

/** The actions a new user gets (enabled and `defaultAction`), merged into `given`. */
export function withDefaultActions(doc: RealmDocument, given: readonly string[]): string[] {
  const out = new Set(given);
  for (const a of realmRequiredActions(doc)) if (a.enabled && a.defaultAction) out.add(a.alias);
  return [...out];
}

export const isPerformable = (alias: string): alias is PerformableAction =>
  (PERFORMABLE_ACTIONS as readonly string[]).includes(alias);

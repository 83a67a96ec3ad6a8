/**
 * Which events a realm saves, as Keycloak decides it (RealmEventsConfigRepresentation, Keycloak
 * Server Administration Guide, "Configuring auditing to track events"): nothing unless the realm
 * enables it; login events only when `eventsEnabled`, of the types in `enabledEventTypes`, or,
 * when that list is empty, of the types Keycloak's EventType marks "save by default"; admin events
 * only when `adminEventsEnabled`, with the changed representation only when
 * `adminEventsDetailsEnabled`.
 */
import type { RealmRepresentation } from '../model/representation.ts';

/**
 * Keycloak's EventType values with saveByDefault = false (org.keycloak.events.EventType): every
 * other type, LOGIN, LOGIN_ERROR, LOGOUT, CODE_TO_TOKEN and CLIENT_LOGIN among them, is saved when
 * `enabledEventTypes` is empty.
 */
export const NOT_SAVED_BY_DEFAULT: readonly string[] = [
  'REFRESH_TOKEN',
  'REFRESH_TOKEN_ERROR',
  'VALIDATE_ACCESS_TOKEN',
  'VALIDATE_ACCESS_TOKEN_ERROR',
  'INTROSPECT_TOKEN',
  'INTROSPECT_TOKEN_ERROR',
  'INVALID_SIGNATURE',
  'INVALID_SIGNATURE_ERROR',
  'REGISTER_NODE',
  'REGISTER_NODE_ERROR',
  'UNREGISTER_NODE',
  'UNREGISTER_NODE_ERROR',
  'USER_INFO_REQUEST',
  'USER_INFO_REQUEST_ERROR',
  'IDENTITY_PROVIDER_LOGIN',
  'IDENTITY_PROVIDER_LOGIN_ERROR',
  'IDENTITY_PROVIDER_RESPONSE',
  'IDENTITY_PROVIDER_RESPONSE_ERROR',
  'IDENTITY_PROVIDER_RETRIEVE_TOKEN',
  'IDENTITY_PROVIDER_RETRIEVE_TOKEN_ERROR',
  'CLIENT_INFO',
  'CLIENT_INFO_ERROR',
  'PERMISSION_TOKEN_ERROR',
];
const notSavedByDefault = new Set(NOT_SAVED_BY_DEFAULT);

type EventSettings = Pick<
  RealmRepresentation,
  'eventsEnabled' | 'enabledEventTypes' | 'adminEventsEnabled'
>;

/** True when the realm saves login events of `type` (e.g. "CLIENT_LOGIN"). */
export function savesLoginEvent(realm: EventSettings, type: string): boolean {
  if (!realm.eventsEnabled) return false;
  return realm.enabledEventTypes?.length
    ? realm.enabledEventTypes.includes(type)
    : !notSavedByDefault.has(type);
}

/** True when the realm saves admin events. */
export function savesAdminEvents(realm: EventSettings): boolean {
  return realm.adminEventsEnabled === true;
}

/**
 * User values the mappers read, as Keycloak's UserModel gives them:
 * - userAttribute: KeycloakModelUtils.resolveAttribute(user, name, aggregateAttrs): the user's
 *   own values; when it has none (or with aggregation) the values of the user's groups, each
 *   group falling back to (or, aggregating, adding) its parent groups' values. `username`,
 *   `email`, `firstName`, `lastName` are the user's root attributes (UserModel.getAttributeStream).
 * - userProperty: ProtocolMapperUtils.getUserModelValue: the UserModel getter named by the
 *   property (first letter in either case), as text.
 */
import { findGroup, type IndexedGroup, type RealmIndex } from './realm-index.ts';
import { getOwn } from './own.ts';
import type { MapperUser } from './types.ts';

const ROOT_ATTRIBUTES = ['username', 'email', 'firstName', 'lastName'] as const;

function ownValues(user: MapperUser, name: string): string[] {
  if ((ROOT_ATTRIBUTES as readonly string[]).includes(name)) {
    const value = user[name as (typeof ROOT_ATTRIBUTES)[number]];
    return value === undefined || value === null ? [] : [value];
  }
  return [...(getOwn(user.attributes, name) ?? [])];
}

function groupValues(
  index: RealmIndex,
  group: IndexedGroup,
  name: string,
  aggregate: boolean,
): string[] {
  const values = new Set(getOwn(group.attributes, name) ?? []);
  const parent = group.parentPath ? index.groups.get(group.parentPath) : undefined;
  if ((values.size === 0 || aggregate) && parent)
    for (const v of groupValues(index, parent, name, aggregate)) values.add(v);
  return [...values];
}

/** The values of attribute `name` for `user` (possibly empty). */
export function userAttribute(
  index: RealmIndex,
  user: MapperUser,
  name: string,
  aggregate: boolean,
): string[] {
  const own = ownValues(user, name);
  if (own.length && !aggregate) return own;
  const values = new Set(own);
  for (const path of user.groups ?? []) {
    const group = findGroup(index, path);
    const found = group ? groupValues(index, group, name, aggregate) : [];
    if (!found.length) continue;
    if (!aggregate) return found;
    for (const v of found) values.add(v);
  }
  return [...values];
}

const PROPERTIES: Record<string, (user: MapperUser) => unknown> = {
  id: (u) => u.id,
  username: (u) => u.username,
  email: (u) => u.email,
  firstName: (u) => u.firstName,
  lastName: (u) => u.lastName,
  emailVerified: (u) => u.emailVerified ?? false,
  enabled: (u) => u.enabled ?? true,
  createdTimestamp: (u) => u.createdTimestamp,
  federationLink: (u) => u.federationLink,
};

/** The user property `property` as text, or undefined. */
export function userProperty(user: MapperUser, property: string): string | undefined {
  if (!property) return undefined;
  const getter = getOwn(PROPERTIES, property.charAt(0).toLowerCase() + property.slice(1));
  const value = getter?.(user);
  return value === undefined || value === null ? undefined : String(value);
}

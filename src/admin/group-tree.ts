/**
 * The realm's group tree as Keycloak exports it (RealmRepresentation.groups, each group with its
 * `subGroups`), read and changed by id for the admin API. Paths are Keycloak's
 * (KeycloakModelUtils.buildGroupPath): `/parent/child`, always computed from the tree, never
 * taken from a stored `path`. Users hold memberships as such paths (UserRepresentation.groups;
 * realm exports also name a top-level group by its bare name, which normalPath turns into a path).
 * The functions that change the tree change the array they are given: call them on the document
 * updateRealmDoc hands out (a fresh copy of the stored row).
 */
import type { GroupRepresentation } from '../model/representation.ts';

export interface PlacedGroup {
  group: GroupRepresentation;
  path: string;
  parent?: GroupRepresentation;
  /** The list that holds the group (the realm's top level, or its parent's subGroups). */
  siblings: GroupRepresentation[];
}

/** A membership as a user stores it, as a path: `admins` -> `/admins`. */
export const normalPath = (membership: string) =>
  membership.startsWith('/') ? membership : `/${membership}`;

/** Every group of the tree, parents before their children, in document order. */
export function allGroups(groups: GroupRepresentation[]): PlacedGroup[] {
  const out: PlacedGroup[] = [];
  const walk = (list: GroupRepresentation[], parentPath: string, parent?: GroupRepresentation) => {
    for (const group of list) {
      group.subGroups ??= [];
      const path = `${parentPath}/${group.name}`;
      out.push({ group, path, parent, siblings: list });
      walk(group.subGroups, path, group);
    }
  };
  walk(groups, '');
  return out;
}

/** Sets every group's `path` to the one its place in the tree gives (Keycloak exports carry it). */
export function syncPaths(groups: GroupRepresentation[]): GroupRepresentation[] {
  for (const placed of allGroups(groups)) placed.group.path = placed.path;
  return groups;
}

/** The group with `id`, or undefined. */
export const findGroupById = (groups: GroupRepresentation[], id: string) =>
  allGroups(groups).find((g) => g.group.id === id);

/** The group at Keycloak path `path` (`/a/b`), or undefined. */
export const findGroupByPath = (groups: GroupRepresentation[], path: string) =>
  allGroups(groups).find((g) => g.path === normalPath(path));

/** True when `id` is `ancestor` itself or lies below it. */
export function isWithin(ancestor: GroupRepresentation, id: string): boolean {
  return ancestor.id === id || (ancestor.subGroups ?? []).some((g) => isWithin(g, id));
}

/** Takes the group out of its list (with its subgroups). */
export function detach(placed: PlacedGroup): void {
  placed.siblings.splice(placed.siblings.indexOf(placed.group), 1);
}

/** Keycloak's subGroupCount: the number of direct children. */
export const subGroupCount = (group: GroupRepresentation) => (group.subGroups ?? []).length;

/** The membership is the group at `path` or one below it. */
export const inTree = (membership: string, path: string) =>
  normalPath(membership) === path || normalPath(membership).startsWith(`${path}/`);

/**
 * A membership path rewritten after the group at `from` moved or was renamed to `to`:
 * `from` itself and every path below it; other paths unchanged.
 */
export function movedPath(membership: string, from: string, to: string): string {
  return inTree(membership, from)
    ? `${to}${normalPath(membership).slice(from.length)}`
    : membership;
}

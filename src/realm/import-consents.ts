/**
 * A user's `clientConsents` in a realm file (Keycloak's UserConsentRepresentation: `clientId`,
 * `grantedClientScopes` by name, `createdDate` and `lastUpdatedDate` in epoch ms), as Keycloak's
 * import reads them (RepresentationToModel.createClientConsent / toModel(UserConsentRepresentation)):
 * a consent names a client of the realm, else the import fails ("Unable to find client specified
 * for consent mappings"). They are stored in `user_consents` (store/consents.ts), not in the
 * user's document, and exported back by realm/export.ts (ExportUtils.exportUser). Pure.
 */
import type { StoredConsent } from '../store/consents.ts';
import type { RealmRepresentation } from '../model/representation.ts';

const list = (user: object): unknown[] => {
  const value = (user as { clientConsents?: unknown }).clientConsents;
  return Array.isArray(value) ? value : [];
};
const epochMs = (v: unknown, fallback: number) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;

/** The user's consents (entries without a string clientId are dropped), dates now when absent. */
export function userConsents(user: object, now = Date.now()): StoredConsent[] {
  return list(user)
    .filter(
      (c): c is Record<string, unknown> =>
        !!c && typeof c === 'object' && typeof (c as { clientId?: unknown }).clientId === 'string',
    )
    .map((c) => {
      const created = epochMs(c.createdDate, now);
      const scopes = Array.isArray(c.grantedClientScopes) ? c.grantedClientScopes : [];
      return {
        clientId: c.clientId as string,
        grantedScopes: [
          ...new Set(scopes.filter((s): s is string => typeof s === 'string')),
        ].sort(),
        createdDate: created,
        lastUpdatedDate: epochMs(c.lastUpdatedDate, created),
      };
    });
}

/** The user without `clientConsents` (kept in user_consents instead of the user's document). */
export function withoutConsents<T extends object>(user: T): T {
  const { clientConsents: _consents, ...rest } = user as T & { clientConsents?: unknown };
  return rest as T;
}

/** Consents naming a client the realm does not have (Keycloak refuses the import). */
export function consentProblems(rep: RealmRepresentation): { path: string; reason: string }[] {
  const clients = new Set(rep.clients.map((c) => c.clientId));
  const problems: { path: string; reason: string }[] = [];
  rep.users.forEach((user, u) =>
    userConsents(user).forEach((c, i) => {
      if (!clients.has(c.clientId))
        problems.push({
          path: `users[${u}].clientConsents[${i}].clientId`,
          reason: `Unable to find client specified for consent mappings: ${c.clientId}`,
        });
    }),
  );
  return problems;
}

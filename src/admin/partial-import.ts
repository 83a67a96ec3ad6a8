/**
 * `POST /admin/realms/{realm}/partialImport` (Keycloak RealmAdminResource.partialImport,
 * PartialImportManager): a PartialImportRepresentation (`ifResourceExists` FAIL | SKIP |
 * OVERWRITE, `users`, `clients`, `groups`, `roles.realm`, `roles.client`, `identityProviders`)
 * merged into the realm (realm/partial-import.ts) and validated as a realm import is
 * (realm/import.ts parseRealm: the same shapes, references and defaults, a masked client secret
 * replaced by a new one), all in one transaction. Answers PartialImportResults:
 * `{"overwritten", "added", "skipped", "results": [{"action", "resourceType", "resourceName", "id"}]}`.
 * Errors: 409 `{"errorMessage"}` for an existing resource under FAIL (ErrorResponse.exists), 400
 * for a bad body or reference; nothing is written then.
 */
import type Router from '@koa/router';
import type { SqlClient } from '../store/sql.ts';
import { updateRealmDoc, type StoredRealm } from '../store/realms.ts';
import { deleteUser, findUserByUsername, insertUser } from '../store/users.ts';
import { insertConsent } from '../store/consents.ts';
import { serviceAccountUser } from '../realm/defaults.ts';
import { parseRealm, RealmImportError, storedUsers } from '../realm/import.ts';
import { realmRepresentation } from '../realm/export.ts';
import { KEY_PROVIDER_TYPE } from '../keys/component-model.ts';
import type { RealmDocument, RealmRepresentation } from '../model/representation.ts';
import {
  mergePartialImport,
  PartialImportExistsError,
  type PartialImportRepresentation,
  type PartialImportResult,
  type Policy,
} from '../realm/partial-import.ts';
import { badRequest, conflict } from './errors.ts';
import { commit, jsonBody, realmScope, type AdminDeps } from './context.ts';

const POLICIES = new Set<Policy>(['FAIL', 'SKIP', 'OVERWRITE']);

/** The id each result names, from the realm as written. */
function withIds(
  results: PartialImportResult[],
  rep: RealmRepresentation,
  userIds: Map<string, string>,
): PartialImportResult[] {
  const byName = (items: { id?: string; name?: string }[] | undefined, name: string) =>
    items?.find((i) => i.name === name)?.id;
  return results.map((r) => {
    if (r.id) return r;
    const id =
      r.resourceType === 'CLIENT'
        ? rep.clients.find((c) => c.clientId === r.resourceName)?.id
        : r.resourceType === 'REALM_ROLE'
          ? byName(rep.roles.realm, r.resourceName)
          : r.resourceType === 'CLIENT_ROLE'
            ? Object.values(rep.roles.client)
                .map((roles) => byName(roles, r.resourceName))
                .find(Boolean)
            : r.resourceType === 'GROUP'
              ? byName(rep.groups, r.resourceName)
              : r.resourceType === 'USER'
                ? userIds.get(r.resourceName)
                : undefined;
    return id ? { ...r, id } : r;
  });
}

/** The realm and users after the merge (written to the realm document, not yet to users). */
interface Planned {
  rep: RealmRepresentation;
  results: PartialImportResult[];
  overwrite: Set<string>;
}

/** Merges the body into the realm document (validated as at import) and writes it. @throws RealmImportError */
async function planImport(
  tx: SqlClient,
  realm: StoredRealm,
  body: PartialImportRepresentation,
  policy: Policy,
): Promise<Planned> {
  const usernames = new Set(
    (
      await tx.query<{ username: string }>('SELECT username FROM users WHERE realm_id = $1', [
        realm.id,
      ])
    ).map((r) => r.username),
  );
  // The key providers take part in the checks (a client naming an alg needs a key for it), as at import.
  const keyProviders = (await realmRepresentation(tx, realm)).components?.[KEY_PROVIDER_TYPE] ?? [];
  let planned: Planned | undefined;
  await updateRealmDoc(tx, realm.name, (doc) => {
    const merged = mergePartialImport(doc, body, policy, usernames);
    const rep = parseRealm(
      {
        ...merged.doc,
        components: { ...doc.components, [KEY_PROVIDER_TYPE]: keyProviders },
        users: merged.users.map((u) => u.rep),
      },
      'partialImport',
      {},
      false,
    );
    planned = {
      rep,
      results: merged.results,
      overwrite: new Set(
        merged.users.filter((u) => u.overwrite).map((u) => u.rep.username.toLowerCase()),
      ),
    };
    return { ...rep, components: doc.components, users: [], id: doc.id } as RealmDocument;
  });
  return planned!;
}

/** The users to store: the body's, and the service-account user of each client added with one. */
async function usersToStore(tx: SqlClient, realm: StoredRealm, planned: Planned) {
  const users = await storedUsers(planned.rep.users);
  // A client with a service account gets its service-account user, as Keycloak's createClient does (import.ts importRealm likewise).
  const accounts = new Set(
    (
      await tx.query<{ c: string }>(
        'SELECT service_account_client_id AS c FROM users WHERE realm_id = $1 AND service_account_client_id IS NOT NULL',
        [realm.id],
      )
    ).map((r) => r.c),
  );
  for (const u of users)
    if (u.user.serviceAccountClientId) accounts.add(u.user.serviceAccountClientId);
  const added = new Set(
    planned.results
      .filter((r) => r.resourceType === 'CLIENT' && r.action !== 'SKIPPED')
      .map((r) => r.resourceName),
  );
  for (const client of planned.rep.clients) {
    if (
      !added.has(client.clientId) ||
      !client.serviceAccountsEnabled ||
      accounts.has(client.clientId)
    )
      continue;
    // Without the default role, unlike admin/clients.ts and import (not yet checked against Keycloak's ClientsPartialImport).
    users.push({ user: serviceAccountUser(client.clientId, []), passwords: [], otps: [] });
  }
  return users;
}

/** Merges, validates and writes; returns the results. @throws PartialImportExistsError, RealmImportError */
async function applyPartialImport(
  tx: SqlClient,
  realm: StoredRealm,
  body: PartialImportRepresentation,
  policy: Policy,
): Promise<PartialImportResult[]> {
  const planned = await planImport(tx, realm, body, policy);
  const userIds = new Map<string, string>();
  const users = await usersToStore(tx, realm, planned);
  for (const { user, passwords, otps, consents } of users) {
    if (planned.overwrite.has(user.username)) {
      const old = await findUserByUsername(tx, realm.id, user.username);
      if (old) await deleteUser(tx, realm.id, old.id);
    }
    await insertUser(tx, realm.id, user, passwords, otps);
    // UsersPartialImport.create → RepresentationToModel.createUser adds the user's clientConsents.
    for (const consent of consents ?? []) await insertConsent(tx, realm.id, user.id, consent);
    userIds.set(user.username, user.id);
  }
  return withIds(planned.results, planned.rep, userIds);
}

export function partialImportRoutes(router: Router, deps: AdminDeps): void {
  router.post('/:realm/partialImport', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody<PartialImportRepresentation>(ctx);
    const policy = (body.ifResourceExists ?? 'FAIL') as Policy;
    if (!POLICIES.has(policy))
      throw badRequest('ifResourceExists must be FAIL, SKIP or OVERWRITE', 'ifResourceExists');
    let results: PartialImportResult[];
    try {
      results = await commit(deps, realm.name, (tx) => applyPartialImport(tx, realm, body, policy));
    } catch (err) {
      if (err instanceof PartialImportExistsError) throw conflict(err.message);
      if (err instanceof RealmImportError)
        throw badRequest(
          err.problems.map((p) => `${p.path}: ${p.reason}`).join('; '),
          err.problems[0]?.path,
        );
      throw err;
    }
    const count = (action: string) => results.filter((r) => r.action === action).length;
    ctx.body = {
      overwritten: count('OVERWRITTEN'),
      added: count('ADDED'),
      skipped: count('SKIPPED'),
      results,
    };
  });
}

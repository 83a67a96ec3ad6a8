/**
 * Clients of a realm (`/admin/realms/{realm}/clients`), Keycloak's ClientResource subset used by
 * @keycloak/keycloak-admin-client: find (by clientId), create, get, update, delete, and the
 * client secret. Clients live in the realm document; every change bumps the realm version.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import {
  clientSchema,
  type ClientRepresentation,
  type RealmDocument,
} from '../model/representation.ts';
import { updateRealmDoc } from '../store/realms.ts';
import { insertUser, findServiceAccount } from '../store/users.ts';
import { listKeys } from '../keys/repository.ts';
import { CLIENT_ALG_ATTRIBUTES } from '../keys/required.ts';
import { formatPath } from '../realm/import.ts';
import { serviceAccountUser, withDefaultRole } from '../realm/defaults.ts';
import { userRep } from './users.ts';
import { withoutClientRoles } from './roles.ts';
import { dropClientMappings } from '../store/role-mappings.ts';
import { AdminError, badRequest, conflict, notFound } from './errors.ts';
import { clientUriProblems } from '../realm/client-uris.ts';
import { commit, created, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';
import type { SqlClient } from '../store/sql.ts';
import type { Context, Middleware } from 'koa';
import { hasPermission } from './auth.ts';
import { SECRET_MASK } from './realms.ts';

const newSecret = () => randomBytes(24).toString('base64url');

export function parseClient(body: unknown): ClientRepresentation {
  const parsed = clientSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(
      `${formatPath(issue.path) || 'client'}: ${issue.message}`,
      formatPath(issue.path),
    );
  }
  // Keycloak's defaults for what the body leaves out (JpaClientProvider.addClient: enabled,
  // standardFlowEnabled; RepresentationToModel.createClient: protocol openid-connect,
  // clientAuthenticatorType KeycloakModelUtils.getDefaultClientAuthenticatorType() = client-secret,
  // nodeReRegistrationTimeout -1, a generated secret); the rest is clientSchema's (all flows but
  // the standard one off, publicClient false, fullScopeAllowed true).
  const client: ClientRepresentation = {
    clientAuthenticatorType: 'client-secret',
    nodeReRegistrationTimeout: -1,
    ...parsed.data,
  };
  if (client.authorizationServicesEnabled)
    Object.assign(client, { serviceAccountsEnabled: true, publicClient: false });
  if (!client.publicClient && !client.bearerOnly && !client.secret) client.secret = newSecret();
  return client;
}

/**
 * Refuses redirect URIs that can never match, as Keycloak's ClientsResource.createClient /
 * ClientResource.update do (ValidationUtil.validateClient → DefaultClientValidationProvider,
 * failing with ErrorResponseException(Errors.INVALID_INPUT, message, 400)): 400
 * `{"error":"invalid_input","error_description":"A redirect URI is not a valid URI: \"…\""}`.
 * The checks are those of import (realm/client-uris.ts).
 * @throws AdminError 400
 */
function checkClientUris(client: ClientRepresentation): void {
  const problems = clientUriProblems(client, 0);
  if (problems.length)
    throw new AdminError(400, {
      error: 'invalid_input',
      error_description: problems.map((p) => p.reason).join('\n'),
    });
}

/** A client may only ask for algs the realm has an ACTIVE key for (checked at create and update). */
async function checkClientAlgs(
  db: SqlClient,
  realmId: string,
  client: ClientRepresentation,
): Promise<void> {
  const active = new Set(
    (await listKeys(db, realmId)).filter((k) => k.status === 'ACTIVE').map((k) => k.alg),
  );
  for (const attr of CLIENT_ALG_ATTRIBUTES) {
    const alg = client.attributes[attr];
    if (alg && !active.has(alg))
      throw badRequest(
        `attributes["${attr}"]: the realm has no active key for alg "${alg}" (active: ${[...active].filter((a) => !a.startsWith('HS')).join(', ')})`,
        `attributes.${attr}`,
      );
  }
}

/**
 * ClientManager.enableServiceAccount: the client's `service-account-{clientId}` user, made with
 * UserProvider.addUser(realm, username), i.e. holding the realm's default role.
 */
async function ensureServiceAccount(
  db: SqlClient,
  realm: { id: string; doc: RealmDocument },
  client: ClientRepresentation,
): Promise<void> {
  if (!client.serviceAccountsEnabled || (await findServiceAccount(db, realm.id, client.clientId)))
    return;
  await insertUser(
    db,
    realm.id,
    serviceAccountUser(client.clientId, withDefaultRole(realm.doc, [])),
    [],
  );
}

const byId = (doc: RealmDocument, id: string) => doc.clients.find((c) => c.id === id);

/**
 * The client as the caller may see it: ClientResource.getClient strips its secrets
 * (StripSecretsUtils.stripClient: `secret` shown as `**********`) unless the caller may manage
 * clients (a view-clients admin reads the secret nowhere but the installation file, as in Keycloak).
 */
const visibleClient = (ctx: Context, realm: string, client: ClientRepresentation) =>
  client.secret !== undefined && !hasPermission(ctx, realm, 'clients.manage')
    ? { ...client, secret: SECRET_MASK }
    : client;

/** GET /:realm/clients */
const listClients =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const clientId = ctx.query.clientId as string | undefined;
    const search = ctx.query.search === 'true';
    ctx.body = realm.doc.clients
      .filter(
        (c) => !clientId || (search ? c.clientId.includes(clientId) : c.clientId === clientId),
      )
      .map((c) => visibleClient(ctx, realm.name, c));
  };

/** POST /:realm/clients */
const createClient =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const client = { ...parseClient(jsonBody(ctx)), id: randomUUID() };
    checkClientUris(client);
    await commit(deps, realm.name, async (tx) => {
      await checkClientAlgs(tx, realm.id, client);
      await updateRealmDoc(tx, realm.name, (doc) => {
        if (doc.clients.some((c) => c.clientId === client.clientId))
          throw conflict(`Client ${client.clientId} already exists`);
        return { ...doc, clients: [...doc.clients, client] };
      });
      await ensureServiceAccount(tx, realm, client);
    });
    created(ctx, deps, `/${realm.name}/clients/${client.id}`);
  };

/** GET /:realm/clients/:id */
const getClient =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const client = byId(realm.doc, ctx.params.id);
    if (!client) throw notFound('Could not find client');
    ctx.body = visibleClient(ctx, realm.name, client);
  };

/** PUT /:realm/clients/:id */
const updateClient =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody(ctx);
    await commit(deps, realm.name, async (tx) => {
      let updated: ClientRepresentation | undefined;
      await updateRealmDoc(tx, realm.name, (doc) => {
        const current = byId(doc, ctx.params.id);
        if (!current) throw notFound('Could not find client');
        updated = {
          ...parseClient({
            ...current,
            ...body,
            attributes: { ...current.attributes, ...(body.attributes as object | undefined) },
          }),
          id: current.id,
        };
        checkClientUris(updated);
        if (
          updated.clientId !== current.clientId &&
          doc.clients.some((c) => c.clientId === updated!.clientId)
        )
          throw conflict(`Client ${updated.clientId} already exists`);
        return { ...doc, clients: doc.clients.map((c) => (c.id === current.id ? updated! : c)) };
      });
      await checkClientAlgs(tx, realm.id, updated!);
      await ensureServiceAccount(tx, realm, updated!);
    });
    noContent(ctx);
  };

/** DELETE /:realm/clients/:id */
const deleteClient =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await commit(deps, realm.name, async (tx) => {
      let removed: ClientRepresentation | undefined;
      await updateRealmDoc(tx, realm.name, (doc) => {
        removed = byId(doc, ctx.params.id);
        if (!removed) throw notFound('Could not find client');
        const { [removed.clientId]: _roles, ...clientRoles } = doc.roles.client;
        // Its roles go, and with them every composite and group mapping of them (as Keycloak removes them).
        return withoutClientRoles(
          {
            ...doc,
            clients: doc.clients.filter((c) => c.id !== removed!.id),
            roles: { ...doc.roles, client: clientRoles },
          },
          removed.clientId,
        );
      });
      await tx.query('DELETE FROM users WHERE realm_id = $1 AND service_account_client_id = $2', [
        realm.id,
        removed!.clientId,
      ]);
      await dropClientMappings(tx, realm.id, removed!.clientId);
    });
    noContent(ctx);
  };

/** GET /:realm/clients/:id/service-account-user: ClientResource.getServiceAccountUser: the client's service-account user (created when the
client has service accounts but no user yet), 400 when service accounts are off. */
const getServiceAccountUser =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const client = byId(realm.doc, ctx.params.id);
    if (!client) throw notFound('Could not find client');
    if (!client.serviceAccountsEnabled)
      throw badRequest(`Service account not enabled for the client '${client.clientId}'`);
    const user = await commit(deps, realm.name, async (tx) => {
      await ensureServiceAccount(tx, realm, client);
      return findServiceAccount(tx, realm.id, client.clientId);
    });
    ctx.body = userRep(user!);
  };

async function secretOf(deps: AdminDeps, realmName: string, id: string, regenerate: boolean) {
  let secret: string | undefined;
  await commit(deps, realmName, (tx) =>
    updateRealmDoc(tx, realmName, (doc) => {
      const client = byId(doc, id);
      if (!client) throw notFound('Could not find client');
      if (client.publicClient || (client.bearerOnly && !client.secret))
        throw badRequest('The client does not use a client secret', 'secret');
      secret = regenerate || !client.secret ? newSecret() : client.secret;
      return regenerate || !client.secret
        ? { ...doc, clients: doc.clients.map((c) => (c.id === id ? { ...c, secret } : c)) }
        : doc;
    }),
  );
  return { type: 'secret', value: secret };
}

/** GET/POST /clients/{id}/client-secret: ClientResource.getClientSecret / regenerateSecret. */
const clientSecret =
  (deps: AdminDeps, regenerate: boolean): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = await secretOf(deps, realm.name, ctx.params.id, regenerate);
  };

export function clientRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/clients', listClients(deps));
  router.post('/:realm/clients', createClient(deps));
  router.get('/:realm/clients/:id', getClient(deps));
  router.put('/:realm/clients/:id', updateClient(deps));
  router.delete('/:realm/clients/:id', deleteClient(deps));
  router.get('/:realm/clients/:id/service-account-user', getServiceAccountUser(deps));
  router.get('/:realm/clients/:id/client-secret', clientSecret(deps, false));
  router.post('/:realm/clients/:id/client-secret', clientSecret(deps, true));
}

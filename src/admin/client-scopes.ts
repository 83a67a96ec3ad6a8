/**
 * Client scopes of a realm (`/admin/realms/{realm}/client-scopes`), Keycloak's ClientScopesResource
 * and ClientScopeResource: list, create (name unique, Keycloak's name pattern, a known protocol),
 * get, update (a rename follows into every default/optional list), delete (and out of every list;
 * the last scope of a realm cannot be deleted, as in Keycloak). And the realm's default lists,
 * RealmAdminResource `default-default-client-scopes` / `default-optional-client-scopes` (GET the
 * scopes as {id, name}; PUT / DELETE `{clientScopeId}`). Protocol mappers: protocol-mappers.ts.
 * A client's lists: client-scope-links.ts.
 */
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { RealmDocument } from '../model/representation.ts';
import { updateRealmDoc } from '../store/realms.ts';
import { formatPath } from '../realm/import.ts';
import { AdminError, badRequest, conflict, notFound } from './errors.ts';
import { commit, created, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';
import {
  realmScopes,
  scopeRep,
  withScopes,
  type ClientScope,
  type RealmScopes,
} from './realm-client-scopes.ts';
import { parseMapper } from './mapper-body.ts';
import { renamedScopeHolder } from './scope-mapping-doc.ts';

export const SCOPE_NOT_FOUND = 'Could not find client scope';
/** ClientScopeResource.scopeNamePattern: printable ASCII without space, `"` and `\`. */
const SCOPE_NAME = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** LoginProtocol factories of Keycloak (ClientScopeResource.validateClientScopeProtocol). */
const PROTOCOLS = new Set(['openid-connect', 'saml']);

const attributeValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const scopeBody = z.looseObject({
  id: z.string().nullable().optional(),
  name: z.string(),
  description: z.string().nullable().optional(),
  protocol: z.string().nullable().optional(),
  attributes: z.record(z.string(), attributeValue).nullable().optional(),
  protocolMappers: z.array(z.unknown()).nullable().optional(),
});

/** A ClientScopeRepresentation body, checked as Keycloak checks it. @throws AdminError 400 */
function parseScope(body: unknown): z.infer<typeof scopeBody> {
  const parsed = scopeBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(
      `${formatPath(issue.path) || 'clientScope'}: ${issue.message}`,
      formatPath(issue.path),
    );
  }
  if (!SCOPE_NAME.test(parsed.data.name))
    throw badRequest(`Unexpected name "${parsed.data.name}" for ClientScope`);
  if (!parsed.data.protocol || !PROTOCOLS.has(parsed.data.protocol))
    throw badRequest('Unexpected protocol');
  return parsed.data;
}

/** The scope with `id`. @throws AdminError 404 */
export function scopeById(scopes: RealmScopes, id: string, message = SCOPE_NOT_FOUND): ClientScope {
  const scope = scopes.clientScopes.find((s) => s.id === id);
  if (!scope) throw notFound(message);
  return scope;
}

/** `doc` with the scope `from` renamed to `to` (undefined: removed) in the realm's and every client's lists and in the scope mappings. */
function relinked(
  doc: RealmDocument,
  scopes: RealmScopes,
  from: string,
  to?: string,
): RealmDocument {
  const swap = (list?: string[]) =>
    list && list.flatMap((n) => (n === from ? (to === undefined ? [] : [to]) : [n]));
  const next = {
    ...scopes,
    defaultDefault: swap(scopes.defaultDefault)!,
    defaultOptional: swap(scopes.defaultOptional)!,
  };
  const clients = doc.clients.map((c) => ({
    ...c,
    defaultClientScopes: swap(c.defaultClientScopes),
    optionalClientScopes: swap(c.optionalClientScopes),
  }));
  return withScopes(
    renamedScopeHolder({ ...doc, clients }, { key: 'clientScope', name: from }, to),
    next,
  );
}

/** Runs `change` on the realm's scopes under the realm lock and stores the result. */
export async function changeScopes(
  deps: AdminDeps,
  realmName: string,
  change: (scopes: RealmScopes, doc: RealmDocument) => RealmDocument,
): Promise<void> {
  await commit(deps, realmName, (tx) =>
    updateRealmDoc(tx, realmName, (doc) => change(realmScopes(doc), doc)),
  );
}

function defaultListRoutes(router: Router, deps: AdminDeps): void {
  for (const [segment, key, other] of [
    ['default-default-client-scopes', 'defaultDefault', 'defaultOptional'],
    ['default-optional-client-scopes', 'defaultOptional', 'defaultDefault'],
  ] as const) {
    router.get(`/:realm/${segment}`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const scopes = realmScopes(realm.doc);
      ctx.body = scopes[key]
        .map((n) => scopes.clientScopes.find((s) => s.name === n))
        .filter((s) => s)
        .map((s) => ({ id: s!.id, name: s!.name }));
    });
    const change = (add: boolean) => async (ctx: Parameters<Parameters<Router['put']>[1]>[0]) => {
      const { realm } = await realmScope(deps, ctx);
      await changeScopes(deps, realm.name, (scopes, doc) => {
        // RealmAdminResource: 404 "Client scope not found".
        const { name } = scopeById(scopes, ctx.params.clientScopeId, 'Client scope not found');
        const without = (list: string[]) => list.filter((n) => n !== name);
        // A scope is a realm default or a realm optional scope, not both.
        return withScopes(
          doc,
          add
            ? { ...scopes, [key]: [...without(scopes[key]), name], [other]: without(scopes[other]) }
            : { ...scopes, [key]: without(scopes[key]) },
        );
      });
      noContent(ctx);
    };
    router.put(`/:realm/${segment}/:clientScopeId`, change(true));
    router.delete(`/:realm/${segment}/:clientScopeId`, change(false));
  }
}

/** GET /:realm/client-scopes */
const listScopes =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = realmScopes(realm.doc).clientScopes.map(scopeRep);
  };

/** POST /:realm/client-scopes */
const createScope =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = parseScope(jsonBody(ctx));
    const id = randomUUID();
    const scope: ClientScope = {
      id,
      name: body.name,
      protocol: body.protocol!,
      attributes: body.attributes ?? {},
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      protocolMappers: (body.protocolMappers ?? []).map((m) => ({
        ...parseMapper(m, body.protocol!),
        id: randomUUID(),
      })),
    };
    await changeScopes(deps, realm.name, (scopes, doc) => {
      if (scopes.clientScopes.some((s) => s.name === scope.name))
        throw conflict(`Client Scope ${scope.name} already exists`);
      return withScopes(doc, { ...scopes, clientScopes: [...scopes.clientScopes, scope] });
    });
    created(ctx, deps, `/${realm.name}/client-scopes/${id}`);
  };

/** GET /:realm/client-scopes/:id */
const getScope =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = scopeRep(scopeById(realmScopes(realm.doc), ctx.params.id));
  };

/** PUT /:realm/client-scopes/:id */
const updateScope =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = parseScope(jsonBody(ctx));
    await changeScopes(deps, realm.name, (scopes, doc) => {
      const current = scopeById(scopes, ctx.params.id);
      if (body.name !== current.name && scopes.clientScopes.some((s) => s.name === body.name))
        throw conflict(`Client Scope ${body.name} already exists`);
      // RepresentationToModel.updateClientScope: name, description, protocol, attributes; mappers stay.
      const updated: ClientScope = {
        ...current,
        name: body.name,
        protocol: body.protocol!,
        attributes: body.attributes ?? current.attributes,
      };
      if (typeof body.description === 'string') updated.description = body.description;
      const next = {
        ...scopes,
        clientScopes: scopes.clientScopes.map((s) => (s.id === current.id ? updated : s)),
      };
      return body.name === current.name
        ? withScopes(doc, next)
        : relinked(doc, next, current.name, body.name);
    });
    noContent(ctx);
  };

/** DELETE /:realm/client-scopes/:id */
const deleteScope =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await changeScopes(deps, realm.name, (scopes, doc) => {
      const current = scopeById(scopes, ctx.params.id);
      if (scopes.clientScopes.length <= 1)
        throw new AdminError(403, {
          errorMessage: 'You are not allowed to delete all the client scopes.',
        });
      return relinked(
        doc,
        { ...scopes, clientScopes: scopes.clientScopes.filter((s) => s.id !== current.id) },
        current.name,
      );
    });
    noContent(ctx);
  };

export function clientScopeRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/client-scopes', listScopes(deps));
  router.post('/:realm/client-scopes', createScope(deps));
  router.get('/:realm/client-scopes/:id', getScope(deps));
  router.put('/:realm/client-scopes/:id', updateScope(deps));
  router.delete('/:realm/client-scopes/:id', deleteScope(deps));
  defaultListRoutes(router, deps);
}

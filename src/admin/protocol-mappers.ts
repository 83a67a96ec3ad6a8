/**
 * Protocol mappers of a client (`/clients/{id}/protocol-mappers`) and of a client scope
 * (`/client-scopes/{id}/protocol-mappers`), Keycloak's ProtocolMappersResource: `models` (GET,
 * POST one: 201 with Location), `add-models` (POST several: 204), `models/{id}` (GET, PUT,
 * DELETE: 404 "Model not found"), `protocol/{protocol}` (GET). A mapper's name is unique per
 * protocol within its client or scope (ClientAdapter.addProtocolMapper: 409). Mappers are stored
 * where Keycloak exports them (ClientRepresentation.protocolMappers,
 * ClientScopeRepresentation.protocolMappers); this module only stores and serves them, the
 * mapper pipeline (src/mappers/) turns them into claims.
 */
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { RealmDocument } from '../model/representation.ts';
import { updateRealmDoc } from '../store/realms.ts';
import { badRequest, conflict, notFound } from './errors.ts';
import { commit, created, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';
import {
  readMappers,
  realmScopes,
  withScopes,
  type ProtocolMapper,
  type ProtocolMapperFields,
} from './realm-client-scopes.ts';
import { scopeById } from './client-scopes.ts';
import { parseMapper } from './mapper-body.ts';

/** Where a mapper list lives: a client or a client scope of the realm document. */
interface Container {
  /** The mappers and protocol of the container `id`. @throws AdminError 404 */
  read(doc: RealmDocument, id: string): { mappers: ProtocolMapper[]; protocol: string };
  /** `doc` with the container's mappers replaced. */
  write(doc: RealmDocument, id: string, mappers: ProtocolMapper[]): RealmDocument;
}

const CLIENT: Container = {
  read(doc, id) {
    const client = doc.clients.find((c) => c.id === id);
    if (!client) throw notFound('Could not find client');
    return {
      mappers: readMappers((client as Record<string, unknown>).protocolMappers, id),
      protocol: client.protocol ?? 'openid-connect',
    };
  },
  write: (doc, id, mappers) => ({
    ...doc,
    clients: doc.clients.map((c) => (c.id === id ? { ...c, protocolMappers: mappers } : c)),
  }),
};

const SCOPE: Container = {
  read(doc, id) {
    const scope = scopeById(realmScopes(doc), id);
    return { mappers: scope.protocolMappers, protocol: scope.protocol };
  },
  write(doc, id, mappers) {
    const scopes = realmScopes(doc);
    return withScopes(doc, {
      ...scopes,
      clientScopes: scopes.clientScopes.map((s) =>
        s.id === id ? { ...s, protocolMappers: mappers } : s,
      ),
    });
  },
};

const duplicate = (mappers: ProtocolMapper[], m: ProtocolMapperFields, exceptId?: string) =>
  mappers.some((x) => x.id !== exceptId && x.name === m.name && x.protocol === m.protocol);

/** What the handlers of one container's mappers (a client's or a client scope's) share. */
interface MapperScope {
  deps: AdminDeps;
  /** The container's route, `/:realm/clients/:id` or `/:realm/client-scopes/:id`. */
  base: string;
  container: Container;
  /** Replaces the container's mappers in one commit (404 when the container is unknown). */
  change: (
    ctx: Context,
    realmName: string,
    fn: (mappers: ProtocolMapper[], protocol: string) => ProtocolMapper[],
  ) => Promise<unknown>;
}

function find(mappers: ProtocolMapper[], id: string): ProtocolMapper {
  const mapper = mappers.find((m) => m.id === id);
  if (!mapper) throw notFound('Model not found');
  return mapper;
}

/** GET {container}/protocol-mappers/models */
const listMappers =
  ({ deps, container }: MapperScope): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = container.read(realm.doc, ctx.params.id).mappers;
  };

/** GET {container}/protocol-mappers/protocol/:protocol */
const listByProtocol =
  ({ deps, container }: MapperScope): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = container
      .read(realm.doc, ctx.params.id)
      .mappers.filter((m) => m.protocol === ctx.params.protocol);
  };

/** POST {container}/protocol-mappers/models */
const createMapper =
  ({ deps, base, change }: MapperScope): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const id = randomUUID();
    await change(ctx, realm.name, (mappers, protocol) => {
      const mapper = { ...parseMapper(jsonBody(ctx), protocol), id };
      if (duplicate(mappers, mapper)) throw conflict('Protocol mapper exists with same name');
      return [...mappers, mapper];
    });
    created(
      ctx,
      deps,
      `/${realm.name}${base.replace('/:realm', '').replace(':id', ctx.params.id)}/protocol-mappers/models/${id}`,
    );
  };

/** POST {container}/protocol-mappers/add-models */
const addMappers =
  ({ deps, change }: MapperScope): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = (ctx.request as unknown as { body?: unknown }).body;
    if (!Array.isArray(body))
      throw badRequest('request body must be a JSON array of protocol mappers');
    await change(ctx, realm.name, (mappers, protocol) =>
      body.reduce<ProtocolMapper[]>((list, item) => {
        const mapper = { ...parseMapper(item, protocol), id: randomUUID() };
        if (duplicate(list, mapper))
          throw conflict('Protocol mapper name must be unique per protocol');
        return [...list, mapper];
      }, mappers),
    );
    noContent(ctx);
  };

/** GET {container}/protocol-mappers/models/:mapperId */
const getMapper =
  ({ deps, container }: MapperScope): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = find(container.read(realm.doc, ctx.params.id).mappers, ctx.params.mapperId);
  };

/** PUT {container}/protocol-mappers/models/:mapperId */
const updateMapper =
  ({ deps, change }: MapperScope): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await change(ctx, realm.name, (mappers, protocol) => {
      const current = find(mappers, ctx.params.mapperId);
      const mapper = { ...parseMapper(jsonBody(ctx), protocol), id: current.id };
      if (duplicate(mappers, mapper, current.id))
        throw conflict('Protocol mapper exists with same name');
      return mappers.map((m) => (m.id === current.id ? mapper : m));
    });
    noContent(ctx);
  };

/** DELETE {container}/protocol-mappers/models/:mapperId */
const deleteMapper =
  ({ deps, change }: MapperScope): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await change(ctx, realm.name, (mappers) =>
      mappers.filter((m) => m.id !== find(mappers, ctx.params.mapperId).id),
    );
    noContent(ctx);
  };

function mapperRoutes(router: Router, deps: AdminDeps, base: string, container: Container): void {
  const change: MapperScope['change'] = (
    ctx: Context,
    realmName: string,
    fn: (mappers: ProtocolMapper[], protocol: string) => ProtocolMapper[],
  ) =>
    commit(deps, realmName, (tx) =>
      updateRealmDoc(tx, realmName, (doc) => {
        const { mappers, protocol } = container.read(doc, ctx.params.id);
        return container.write(doc, ctx.params.id, fn(mappers, protocol));
      }),
    );
  const scope: MapperScope = { deps, base, container, change };
  router.get(`${base}/protocol-mappers/models`, listMappers(scope));
  router.get(`${base}/protocol-mappers/protocol/:protocol`, listByProtocol(scope));
  router.post(`${base}/protocol-mappers/models`, createMapper(scope));
  router.post(`${base}/protocol-mappers/add-models`, addMappers(scope));
  router.get(`${base}/protocol-mappers/models/:mapperId`, getMapper(scope));
  router.put(`${base}/protocol-mappers/models/:mapperId`, updateMapper(scope));
  router.delete(`${base}/protocol-mappers/models/:mapperId`, deleteMapper(scope));
}

export function protocolMapperRoutes(router: Router, deps: AdminDeps): void {
  mapperRoutes(router, deps, '/:realm/clients/:id', CLIENT);
  mapperRoutes(router, deps, '/:realm/client-scopes/:id', SCOPE);
}

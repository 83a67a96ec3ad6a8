/**
 * Events in the admin API (Keycloak RealmAdminResource): `GET /admin/realms/{realm}/events`
 * (EventRepresentation; filters type, client, user, ipAddress) and `GET .../admin-events`
 * (AdminEventRepresentation; filters operationTypes, authRealm, authClient, authUser,
 * authIpAddress, resourcePath with `*`, resourceTypes), both with dateFrom, dateTo, direction,
 * first, max, newest first; `GET`/`PUT .../events/config` (RealmEventsConfigRepresentation, a PUT
 * changes only the fields it carries); and the recording of admin events when the realm has
 * `adminEventsEnabled`: every successful create, update or delete under `/admin/realms/{realm}/...`
 * (operationType, resourcePath, who).
 */
import type Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { z } from 'zod';
import { eventKey, listEvents } from '../events/store.ts';
import { findRealm, updateRealmDoc } from '../store/realms.ts';
import { savesAdminEvents } from '../events/config.ts';
import { validRealmSettings } from './realms.ts';
import { many, one, paging, TEXT, type Query } from './query-params.ts';
import type { AdminIdentity } from './auth.ts';
import { commit, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';

const OPERATIONS: Record<string, string> = { POST: 'CREATE', PUT: 'UPDATE', DELETE: 'DELETE' };

/**
 * Router middleware: after a successful change, append an admin event to the realm's chain. The
 * append runs after the response; EventWriter#flush (shutdown) waits for it, and a failure is logged as
 * `event not recorded` with the realm, operation and error message, like a login event's.
 */
export function recordAdminEvents(deps: AdminDeps) {
  const key = eventKey(deps.kek);
  return async (ctx: Context, next: Next) => {
    const operationType = OPERATIONS[ctx.method];
    const admin = ctx.state.admin as AdminIdentity | undefined;
    await next();
    if (!operationType || ctx.status >= 300) return;
    const match = /^\/admin\/realms\/([^/]+)(?:\/(.*))?$/.exec(ctx.path);
    const realmName =
      match?.[1] ??
      String((ctx.request as unknown as { body?: { realm?: string } }).body?.realm ?? '');
    const resourcePath = match?.[2] ?? (match ? '' : realmName);
    const record = async () => {
      const realm = await findRealm(deps.db, realmName);
      if (!realm || !savesAdminEvents(realm.doc)) return;
      const realmId = realm.id;
      const representation = {
        time: Date.now(),
        realmId,
        operationType,
        resourceType: (resourcePath.split('/')[0] || 'REALM')
          .toUpperCase()
          .replace(/S$/, '')
          .replace(/-/g, '_'),
        resourcePath,
        authDetails: { ...admin?.authDetails, ipAddress: ctx.ip },
        // Set by a handler with more to say (keys.ts: a removal forced past the deletion guard).
        ...(ctx.state.adminEventDetails
          ? { details: ctx.state.adminEventDetails as Record<string, string> }
          : {}),
      };
      await deps.events.append(key, {
        realmId,
        kind: 'admin',
        time: representation.time,
        type: operationType,
        representation,
      });
    };
    deps.events.track(
      record().catch((err: Error) => {
        deps.log.error(
          { realm: realmName, type: operationType, err: { message: err.message } },
          'event not recorded',
        );
      }),
    );
  };
}

const EVENTS_CONFIG = [
  'eventsEnabled',
  'eventsExpiration',
  'eventsListeners',
  'enabledEventTypes',
  'adminEventsEnabled',
  'adminEventsDetailsEnabled',
] as const;

/** GET /:realm/events/config */
const getEventsConfig =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const {
      realm: { doc },
    } = await realmScope(deps, ctx);
    // An empty enabledEventTypes means Keycloak's saved-by-default types (events/config.ts).
    ctx.body = {
      eventsEnabled: doc.eventsEnabled ?? false,
      eventsExpiration: doc.eventsExpiration,
      eventsListeners: doc.eventsListeners ?? ['jboss-logging'],
      enabledEventTypes: doc.enabledEventTypes ?? [],
      adminEventsEnabled: doc.adminEventsEnabled ?? false,
      adminEventsDetailsEnabled: doc.adminEventsDetailsEnabled ?? false,
    };
  };

/** PUT /:realm/events/config */
const updateEventsConfig =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody(ctx);
    const change = Object.fromEntries(
      EVENTS_CONFIG.filter((k) => body[k] !== undefined && body[k] !== null).map((k) => [
        k,
        body[k],
      ]),
    );
    await commit(deps, realm.name, (tx) =>
      updateRealmDoc(tx, realm.name, async (doc) => {
        const parsed = validRealmSettings({ ...doc, ...change });
        return { ...doc, ...Object.fromEntries(EVENTS_CONFIG.map((k) => [k, parsed[k]])) };
      }),
    );
    noContent(ctx);
  };

/** GET /:realm/events */
const listEventsAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const q = ctx.query;
    const equals = {
      clientId: one(q, 'client', TEXT),
      userId: one(q, 'user', TEXT),
      ipAddress: one(q, 'ipAddress', TEXT),
    };
    const filter = {
      ...common(q),
      types: many(
        q,
        'type',
        TYPE_NAME,
        "Invalid value for 'type', expected event type names such as LOGIN",
      ),
      equals: defined(equals),
    };
    ctx.body = (await listEvents(deps.db, realm.id, 'login', filter)).map((e) => e.representation);
  };

/** GET /:realm/admin-events */
const listAdminEvents =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const q = ctx.query;
    const equals = {
      'authDetails.realmId': one(q, 'authRealm', TEXT),
      'authDetails.clientId': one(q, 'authClient', TEXT),
      'authDetails.userId': one(q, 'authUser', TEXT),
      'authDetails.ipAddress': one(q, 'authIpAddress', TEXT),
    };
    const filter = {
      ...common(q),
      equals: defined(equals),
      resourcePath: one(q, 'resourcePath', TEXT),
      types: many(
        q,
        'operationTypes',
        z.enum(['CREATE', 'UPDATE', 'DELETE', 'ACTION']),
        "Invalid value for 'operationTypes', expected CREATE, UPDATE, DELETE or ACTION",
      ),
      resourceTypes: many(
        q,
        'resourceTypes',
        TYPE_NAME,
        "Invalid value for 'resourceTypes', expected resource type names such as USER",
      ),
    };
    ctx.body = (await listEvents(deps.db, realm.id, 'admin', filter)).map((e) => e.representation);
  };

export function eventRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/events/config', getEventsConfig(deps));
  router.put('/:realm/events/config', updateEventsConfig(deps));
  router.get('/:realm/events', listEventsAction(deps));
  router.get('/:realm/admin-events', listAdminEvents(deps));
}

// Query parameters of the two listings (Keycloak 26 RealmAdminResource getEvents / getAdminEvents;
// Keycloak answers a non-integer first/max with a 404 and an unknown type with a 500, here a 400).
/** Keycloak's enum constant shape (EventType, ResourceType); an unknown name matches no event. */
const TYPE_NAME = z.string().regex(/^[A-Z][A-Z0-9_]*$/);
/** Keycloak's DateUtil: a yyyy-MM-dd day in UTC (its first or last millisecond), else epoch milliseconds. */
const DAY = z.iso.date().transform((day) => Date.parse(`${day}T00:00:00Z`));
const MILLIS = z
  .string()
  .regex(/^\+?\d{1,15}$/)
  .transform(Number);
const DATE_FROM = z.union([DAY, MILLIS]);
const DATE_TO = z.union([DAY.transform((start) => start + 86_400_000 - 1), MILLIS]);

const defined = (values: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;

/** dateFrom, dateTo, direction, first, max: the parameters both listings take. */
function common(q: Query) {
  return {
    fromTime: one(
      q,
      'dateFrom',
      DATE_FROM,
      "Invalid value for 'dateFrom', expected format is yyyy-MM-dd or an Epoch timestamp",
    ),
    toTime: one(
      q,
      'dateTo',
      DATE_TO,
      "Invalid value for 'dateTo', expected format is yyyy-MM-dd or an Epoch timestamp",
    ),
    direction: one(
      q,
      'direction',
      z.enum(['asc', 'desc']),
      'Invalid value for sortDirection, expected value is asc or desc',
    ),
    ...paging(q),
  };
}

/**
 * Events in the admin API (Keycloak RealmAdminResource): `GET /admin/realms/{realm}/events`
 * (EventRepresentation) and `GET .../admin-events` (AdminEventRepresentation), newest first,
 * `type`, `first`, `max` query parameters; `GET`/`PUT .../events/config`
 * (RealmEventsConfigRepresentation, a PUT changes only the fields it carries); and the recording
 * of admin events when the realm has `adminEventsEnabled`: every successful create, update or
 * delete under `/admin/realms/{realm}/...` (operationType, resourcePath, who).
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { appendEvent, eventKey, listEvents } from '../events/store.ts';
import { findRealm, updateRealmDoc } from '../store/realms.ts';
import { savesAdminEvents } from '../events/config.ts';
import { validRealmSettings } from './realms.ts';
import type { AdminIdentity } from './auth.ts';
import { commit, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';

const OPERATIONS: Record<string, string> = { POST: 'CREATE', PUT: 'UPDATE', DELETE: 'DELETE' };

/** Router middleware: after a successful change, append an admin event to the realm's chain. */
export function recordAdminEvents(deps: AdminDeps) {
  const key = eventKey(deps.kek);
  return async (ctx: Context, next: Next) => {
    await next();
    const operationType = OPERATIONS[ctx.method];
    if (!operationType || ctx.status >= 300) return;
    const match = /^\/admin\/realms\/([^/]+)(?:\/(.*))?$/.exec(ctx.path);
    const realmName = match?.[1] ?? String((ctx.request as unknown as { body?: { realm?: string } }).body?.realm ?? '');
    const resourcePath = match?.[2] ?? (match ? '' : realmName);
    const admin = ctx.state.admin as AdminIdentity | undefined;
    void (async () => {
      const realm = await findRealm(deps.db, realmName);
      if (!realm || !savesAdminEvents(realm.doc)) return;
      const realmId = realm.id;
      const representation = {
        time: Date.now(), realmId, operationType, resourceType: (resourcePath.split('/')[0] || 'REALM').toUpperCase().replace(/S$/, '').replace(/-/g, '_'), resourcePath,
        authDetails: { realmId: admin?.realm, userId: admin?.username, ipAddress: ctx.ip },
      };
      await appendEvent(deps.db, key, { realmId, kind: 'admin', time: representation.time, type: operationType, representation });
    })().catch(() => undefined);
  };
}

const EVENTS_CONFIG = ['eventsEnabled', 'eventsExpiration', 'eventsListeners', 'enabledEventTypes', 'adminEventsEnabled', 'adminEventsDetailsEnabled'] as const;

export function eventRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/events/config', async (ctx) => {
    const { realm: { doc } } = await realmScope(deps, ctx);
    // An empty enabledEventTypes means Keycloak's saved-by-default types (events/config.ts).
    ctx.body = {
      eventsEnabled: doc.eventsEnabled ?? false, eventsExpiration: doc.eventsExpiration, eventsListeners: doc.eventsListeners ?? ['jboss-logging'],
      enabledEventTypes: doc.enabledEventTypes ?? [], adminEventsEnabled: doc.adminEventsEnabled ?? false, adminEventsDetailsEnabled: doc.adminEventsDetailsEnabled ?? false,
    };
  });
  router.put('/:realm/events/config', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody(ctx);
    const change = Object.fromEntries(EVENTS_CONFIG.filter((k) => body[k] !== undefined && body[k] !== null).map((k) => [k, body[k]]));
    await commit(deps, realm.name, (tx) => updateRealmDoc(tx, realm.name, async (doc) => {
      const parsed = validRealmSettings({ ...doc, ...change });
      return { ...doc, ...Object.fromEntries(EVENTS_CONFIG.map((k) => [k, parsed[k]])) };
    }));
    noContent(ctx);
  });
  const query = (q: Record<string, unknown>) => ({
    type: q.type === undefined ? undefined : ([] as string[]).concat(q.type as string),
    first: q.first ? Number(q.first) : undefined, max: q.max ? Number(q.max) : undefined,
  });
  router.get('/:realm/events', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = (await listEvents(deps.db, realm.id, 'login', query(ctx.query))).map((e) => e.representation);
  });
  router.get('/:realm/admin-events', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = (await listEvents(deps.db, realm.id, 'admin', { first: query(ctx.query).first, max: query(ctx.query).max })).map((e) => e.representation);
  });
}

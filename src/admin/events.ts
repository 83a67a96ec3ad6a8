/**
 * Events in the admin API (Keycloak RealmAdminResource): `GET /admin/realms/{realm}/events`
 * (EventRepresentation) and `GET .../admin-events` (AdminEventRepresentation), newest first,
 * `type`, `first`, `max` query parameters; and the recording of admin events: every successful
 * create, update or delete under `/admin/realms/{realm}/...` (operationType, resourcePath, who).
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { appendEvent, eventKey, listEvents } from '../events/store.ts';
import { findRealm } from '../store/realms.ts';
import type { AdminIdentity } from './auth.ts';
import { realmScope, type AdminDeps } from './context.ts';

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
      const realmId = realm?.id ?? realmName;
      const representation = {
        time: Date.now(), realmId, operationType, resourceType: (resourcePath.split('/')[0] || 'REALM').toUpperCase().replace(/S$/, '').replace(/-/g, '_'), resourcePath,
        authDetails: { realmId: admin?.realm, userId: admin?.username, ipAddress: ctx.ip },
      };
      await appendEvent(deps.db, key, { realmId, kind: 'admin', time: representation.time, type: operationType, representation });
    })().catch(() => undefined);
  };
}

export function eventRoutes(router: Router, deps: AdminDeps): void {
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

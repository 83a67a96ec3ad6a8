/**
 * User sessions and consents in the admin API, in Keycloak's shapes (UserResource,
 * ClientResource, RealmAdminResource; UserSessionRepresentation with times in milliseconds):
 * - `GET /{realm}/users/{id}/sessions`, `GET /{realm}/users/{id}/offline-sessions/{clientUuid}`,
 *   `POST /{realm}/users/{id}/logout` (every session of the user ends and every refresh token of
 *   the user is revoked, offline ones too: Keycloak also sets the user's not-before then);
 * - `DELETE /{realm}/sessions/{session}` (`?isOffline=true`: an offline session), 404
 *   `{"error":"Sesssion not found"}` (Keycloak's text); `POST /{realm}/logout-all` (every online
 *   session of the realm ends; answers Keycloak's empty GlobalRequestResult `{}`);
 *   `GET /{realm}/client-session-stats` (`[{id, clientId, active, offline}]`, counts as strings);
 * - `GET /{realm}/clients/{id}/user-sessions`, `/offline-sessions` (`first`, `max`),
 *   `/session-count`, `/offline-session-count` (`{"count": n}`);
 * - `GET /{realm}/users/{id}/consents` (`[{clientId, grantedClientScopes, createdDate,
 *   lastUpdatedDate, additionalGrants}]`, clients with an offline token too, as Keycloak's
 *   "Offline Token" grant), `DELETE /{realm}/users/{id}/consents/{clientId}` (the consent and
 *   the user's offline tokens of the client; 404 `{"error":"Consent nor offline token not
 *   found"}` when neither exists).
 * Ending a session revokes its refresh tokens and tells back-channel clients (oidc/end-session.ts).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import { findUserById } from '../store/users.ts';
import { listConsents, revokeConsent } from '../store/consents.ts';
import { endUserSession, revokeGrant, type EndableSession } from '../oidc/end-session.ts';
import { noContent, realmScope, type AdminDeps } from './context.ts';
import { notFound } from './errors.ts';
import { paging } from './query-params.ts';
import {
  offlineSessions,
  userSessions,
  type OfflineSession,
  type SessionFilter,
  type SessionPayload,
} from './sessions-query.ts';
import type { StoredRealm } from '../store/realms.ts';

type Scope = { realm: StoredRealm; provider: Provider; deps: AdminDeps };

async function scope(deps: AdminDeps, ctx: Context): Promise<Scope> {
  const { realm } = await realmScope(deps, ctx);
  const runtime = await deps.registry.get(realm.name);
  if (!runtime) throw notFound('Realm not found.');
  return { realm, provider: runtime.provider, deps };
}

const clientByUuid = (realm: StoredRealm, id: string) => {
  const client = realm.doc.clients.find((c) => c.id === id);
  if (!client) throw notFound('Could not find client');
  return client;
};
const clientUuid = (realm: StoredRealm, clientId: string) =>
  realm.doc.clients.find((c) => c.clientId === clientId)?.id ?? clientId;

async function requireUser(s: Scope, id: string) {
  const user = await findUserById(s.deps.db, s.realm.id, id);
  if (!user) throw notFound('User not found');
  return user;
}

/** Usernames by user id, read once per request. */
function usernames(s: Scope) {
  const cache = new Map<string, Promise<string | undefined>>();
  return (id: string) => {
    if (!cache.has(id))
      cache.set(
        id,
        findUserById(s.deps.db, s.realm.id, id).then((u) => u?.username),
      );
    return cache.get(id)!;
  };
}

/** UserSessionRepresentation of a user session. */
async function sessionRep(s: Scope, p: SessionPayload, username: (id: string) => Promise<unknown>) {
  const clients: Record<string, string> = {};
  for (const clientId of Object.keys(p.authorizations ?? {}))
    clients[clientUuid(s.realm, clientId)] = clientId;
  return {
    id: p.uid,
    username: await username(p.accountId),
    userId: p.accountId,
    ipAddress: p.ipAddress,
    start: (p.loginTs ?? p.iat ?? 0) * 1000,
    lastAccess: (p.lastAccess ?? p.iat ?? 0) * 1000,
    rememberMe: p.transient !== true,
    clients,
    transientUser: false,
  };
}

/** UserSessionRepresentation of an offline session. */
async function offlineRep(s: Scope, o: OfflineSession, username: (id: string) => Promise<unknown>) {
  return {
    id: o.grantId,
    username: await username(o.accountId),
    userId: o.accountId,
    start: o.start * 1000,
    lastAccess: o.lastAccess * 1000,
    rememberMe: false,
    clients: { [clientUuid(s.realm, o.clientId)]: o.clientId },
    transientUser: false,
  };
}

function page<T>(ctx: Context, list: T[]): T[] {
  const { first = 0, max } = paging(ctx.query);
  return list.slice(first, max === undefined ? undefined : first + max);
}

async function endSessions(s: Scope, filter: SessionFilter): Promise<void> {
  const Session = s.provider.Session as unknown as {
    findByUid(uid: string): Promise<EndableSession | undefined>;
  };
  for (const p of await userSessions(s.deps.db, s.realm.id, filter)) {
    const session = await Session.findByUid(p.uid);
    if (session) await endUserSession(s.provider, s.deps.log, s.realm.name, session);
  }
}

async function revokeOffline(s: Scope, filter: SessionFilter): Promise<number> {
  const found = await offlineSessions(s.deps.db, s.realm.id, filter);
  for (const o of found) await revokeGrant(s.provider, o.grantId);
  return found.length;
}

function userSessionRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/users/:id/sessions', async (ctx) => {
    const s = await scope(deps, ctx);
    await requireUser(s, ctx.params.id);
    const name = usernames(s);
    const list = await userSessions(deps.db, s.realm.id, { userId: ctx.params.id });
    ctx.body = await Promise.all(list.map((p) => sessionRep(s, p, name)));
  });
  router.get('/:realm/users/:id/offline-sessions/:clientUuid', async (ctx) => {
    const s = await scope(deps, ctx);
    await requireUser(s, ctx.params.id);
    const client = clientByUuid(s.realm, ctx.params.clientUuid);
    const name = usernames(s);
    const list = await offlineSessions(deps.db, s.realm.id, {
      userId: ctx.params.id,
      clientId: client.clientId,
    });
    ctx.body = await Promise.all(list.map((o) => offlineRep(s, o, name)));
  });
  router.post('/:realm/users/:id/logout', async (ctx) => {
    const s = await scope(deps, ctx);
    await requireUser(s, ctx.params.id);
    await endSessions(s, { userId: ctx.params.id });
    await revokeOffline(s, { userId: ctx.params.id });
    noContent(ctx);
  });
}

function consentRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/users/:id/consents', async (ctx) => {
    const s = await scope(deps, ctx);
    await requireUser(s, ctx.params.id);
    const consents = await listConsents(deps.db, s.realm.id, ctx.params.id);
    const offline = await offlineSessions(deps.db, s.realm.id, { userId: ctx.params.id });
    const withOffline = new Set(offline.map((o) => o.clientId));
    const clientIds = [...new Set([...consents.map((c) => c.clientId), ...withOffline])];
    ctx.body = clientIds.map((clientId) => {
      const consent = consents.find((c) => c.clientId === clientId);
      return {
        clientId,
        grantedClientScopes: consent?.grantedScopes ?? [],
        createdDate: consent?.createdDate,
        lastUpdatedDate: consent?.lastUpdatedDate,
        additionalGrants: withOffline.has(clientId)
          ? [{ client: clientUuid(s.realm, clientId), key: 'Offline Token' }]
          : [],
      };
    });
  });
  router.delete('/:realm/users/:id/consents/:client', async (ctx) => {
    const s = await scope(deps, ctx);
    await requireUser(s, ctx.params.id);
    const clientId = ctx.params.client;
    const revoked = await revokeConsent(deps.db, s.realm.id, ctx.params.id, clientId);
    const offline = await revokeOffline(s, { userId: ctx.params.id, clientId });
    if (!revoked && !offline) throw notFound('Consent nor offline token not found');
    noContent(ctx);
  });
}

function realmRoutes(router: Router, deps: AdminDeps): void {
  router.delete('/:realm/sessions/:session', async (ctx) => {
    const s = await scope(deps, ctx);
    const id = ctx.params.session;
    if (String(ctx.query.isOffline).toLowerCase() === 'true') {
      const grant = (await offlineSessions(deps.db, s.realm.id, {})).find((o) => o.grantId === id);
      if (!grant) throw notFound('Sesssion not found');
      await revokeGrant(s.provider, grant.grantId);
    } else {
      const Session = s.provider.Session as unknown as {
        findByUid(uid: string): Promise<(EndableSession & { accountId?: string }) | undefined>;
      };
      const session = await Session.findByUid(id);
      if (!session?.accountId) throw notFound('Sesssion not found');
      await endUserSession(s.provider, deps.log, s.realm.name, session);
    }
    noContent(ctx);
  });
  router.post('/:realm/logout-all', async (ctx) => {
    const s = await scope(deps, ctx);
    await endSessions(s, {});
    ctx.body = {};
  });
  router.get('/:realm/client-session-stats', async (ctx) => {
    const s = await scope(deps, ctx);
    const active = new Map<string, number>();
    for (const p of await userSessions(deps.db, s.realm.id, {}))
      for (const clientId of Object.keys(p.authorizations ?? {}))
        active.set(clientId, (active.get(clientId) ?? 0) + 1);
    const offline = new Map<string, number>();
    for (const o of await offlineSessions(deps.db, s.realm.id, {}))
      offline.set(o.clientId, (offline.get(o.clientId) ?? 0) + 1);
    ctx.body = [...new Set([...active.keys(), ...offline.keys()])].map((clientId) => ({
      id: clientUuid(s.realm, clientId),
      clientId,
      active: String(active.get(clientId) ?? 0),
      offline: String(offline.get(clientId) ?? 0),
    }));
  });
}

function clientRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/clients/:id/user-sessions', async (ctx) => {
    const s = await scope(deps, ctx);
    const client = clientByUuid(s.realm, ctx.params.id);
    const name = usernames(s);
    const list = await userSessions(deps.db, s.realm.id, { clientId: client.clientId });
    ctx.body = await Promise.all(page(ctx, list).map((p) => sessionRep(s, p, name)));
  });
  router.get('/:realm/clients/:id/offline-sessions', async (ctx) => {
    const s = await scope(deps, ctx);
    const client = clientByUuid(s.realm, ctx.params.id);
    const name = usernames(s);
    const list = await offlineSessions(deps.db, s.realm.id, { clientId: client.clientId });
    ctx.body = await Promise.all(page(ctx, list).map((o) => offlineRep(s, o, name)));
  });
  router.get('/:realm/clients/:id/session-count', async (ctx) => {
    const s = await scope(deps, ctx);
    const client = clientByUuid(s.realm, ctx.params.id);
    ctx.body = {
      count: (await userSessions(deps.db, s.realm.id, { clientId: client.clientId })).length,
    };
  });
  router.get('/:realm/clients/:id/offline-session-count', async (ctx) => {
    const s = await scope(deps, ctx);
    const client = clientByUuid(s.realm, ctx.params.id);
    ctx.body = {
      count: (await offlineSessions(deps.db, s.realm.id, { clientId: client.clientId })).length,
    };
  });
}

/** Registers the session and consent routes (see the module comment). */
export function sessionRoutes(router: Router, deps: AdminDeps): void {
  userSessionRoutes(router, deps);
  consentRoutes(router, deps);
  realmRoutes(router, deps);
  clientRoutes(router, deps);
}

/**
 * admin-ui-ext SessionsResource, as the console's Sessions pages call it:
 * `GET /admin/realms/{realm}/ui-ext/sessions` (every session of the realm) and
 * `.../ui-ext/sessions/client?clientId={uuid}` (one client's). Query: `type` ALL (default),
 * REGULAR or OFFLINE; `search`, kept when it is part of the username, the IP address or a client
 * id (case-sensitive, Keycloak's String.contains); `first` (default 0) and `max` (default 10).
 * Answers SessionRepresentation: UserSessionRepresentation with `type` REGULAR or OFFLINE.
 * @throws AdminError 404 for an unknown realm or client
 */
export async function uiExtSessions(deps: AdminDeps, ctx: Context): Promise<unknown[]> {
  const s = await scope(deps, ctx);
  const q = ctx.query;
  const type = String(q.type ?? 'ALL').toUpperCase();
  const filter: SessionFilter =
    typeof q.clientId === 'string' ? { clientId: clientByUuid(s.realm, q.clientId).clientId } : {};
  const name = usernames(s);
  const out: {
    username?: unknown;
    ipAddress?: string;
    clients: Record<string, string>;
    type: string;
  }[] = [];
  if (type === 'ALL' || type === 'REGULAR')
    for (const p of await userSessions(deps.db, s.realm.id, filter))
      out.push({ ...(await sessionRep(s, p, name)), type: 'REGULAR' });
  if (type === 'ALL' || type === 'OFFLINE')
    for (const o of await offlineSessions(deps.db, s.realm.id, filter))
      out.push({ ...(await offlineRep(s, o, name)), type: 'OFFLINE' });
  const search = typeof q.search === 'string' ? q.search : '';
  const found = search
    ? out.filter(
        (r) =>
          String(r.username ?? '').includes(search) ||
          (r.ipAddress ?? '').includes(search) ||
          Object.values(r.clients).some((c) => c.includes(search)),
      )
    : out;
  const first = Math.max(0, Number(q.first ?? 0) || 0);
  const max = Math.max(0, Number(q.max ?? 10) || 0);
  return found.slice(first, first + max);
}

/**
 * Device activity (SessionResource, Keycloak 26), all under manage-account or view-profile:
 * - `GET .../account/sessions`: the user's browser sessions as SessionRepresentation `{id,
 *   ipAddress, started, lastAccess, expires, clients: [{clientId, clientName}], browser,
 *   current}` (times in epoch seconds; `expires` = start + ssoSessionMaxLifespan);
 * - `GET .../account/sessions/devices`: the same sessions grouped by operating system and its
 *   version, DeviceRepresentation `{os, osVersion, device, lastAccess, current, mobile,
 *   sessions}`;
 * - `DELETE .../account/sessions` (manage-account): signs out every session but the caller's, or
 *   all with `?current=true`; `DELETE .../account/sessions/{id}`: one session, if it is the
 *   caller's (another user's id or an unknown one changes nothing; 204 either way, as Keycloak).
 *   Each sign-out revokes the session's tokens (account/sign-out.ts) and records LOGOUT.
 * A session's device (browser, OS, IP address) is what the browser sent when it signed in
 * (oidc/session-devices.ts); unknown: Keycloak's DeviceRepresentation.unknown().
 */
import type { Context } from 'koa';
import { findSessionDevices, listUserSessions, type UserSession } from '../store/sessions.ts';
import { describeDevice, type DeviceInfo } from './devices.ts';
import { requireOneOf, type AccountCaller } from './auth.ts';
import { endBrowserSession } from './sign-out.ts';

/** SessionRepresentation of one session. */
function sessionRep(caller: AccountCaller, s: UserSession, device: DeviceInfo) {
  const { realm } = caller.runtime.rc;
  const rep = realm.rep as { ssoSessionMaxLifespan?: number };
  return {
    id: s.id,
    ipAddress: device.ipAddress,
    started: s.started,
    lastAccess: s.lastAccess,
    expires: s.started + (rep.ssoSessionMaxLifespan ?? 36000),
    clients: Object.keys(s.authorizations)
      .map((clientId) => realm.client(clientId))
      .filter((c) => !!c)
      .map((c) => ({ clientId: c.clientId, clientName: c.name })),
    browser: device.browser,
    current: s.id === caller.sessionUid,
  };
}

async function sessionsWithDevices(caller: AccountCaller) {
  const { db, realmId } = caller.runtime.rc;
  const sessions = await listUserSessions(db, realmId, caller.user.id);
  const devices = await findSessionDevices(
    db,
    realmId,
    sessions.map((s) => s.id),
  );
  return sessions.map((s) => ({ session: s, device: describeDevice(devices.get(s.id)) }));
}

export async function getSessions(ctx: Context, caller: AccountCaller): Promise<void> {
  requireOneOf(caller, 'manage-account', 'view-profile');
  ctx.body = (await sessionsWithDevices(caller)).map(({ session, device }) =>
    sessionRep(caller, session, device),
  );
}

export async function getDevices(ctx: Context, caller: AccountCaller): Promise<void> {
  requireOneOf(caller, 'manage-account', 'view-profile');
  const byDevice = new Map<string, Record<string, unknown> & { sessions: unknown[] }>();
  for (const { session, device } of await sessionsWithDevices(caller)) {
    const key = `${device.os}${device.osVersion}`;
    let rep = byDevice.get(key);
    if (!rep) {
      rep = {
        os: device.os,
        osVersion: device.osVersion,
        device: device.device,
        lastAccess: session.lastAccess,
        current: false,
        mobile: device.mobile,
        sessions: [],
      };
      byDevice.set(key, rep);
    }
    const one = sessionRep(caller, session, device);
    if (one.current) rep.current = true;
    if ((rep.lastAccess as number) < session.lastAccess) rep.lastAccess = session.lastAccess;
    rep.sessions.push(one);
  }
  ctx.body = [...byDevice.values()];
}

async function signOut(ctx: Context, caller: AccountCaller, uid: string): Promise<void> {
  const { runtime, user } = caller;
  if (await endBrowserSession(runtime.provider, runtime.rc, uid, user.id))
    runtime.rc.loginEvent('LOGOUT', {
      clientId: caller.clientId,
      userId: user.id,
      ipAddress: ctx.ip,
      details: { session: uid },
    });
}

export async function deleteSessions(ctx: Context, caller: AccountCaller): Promise<void> {
  requireOneOf(caller, 'manage-account');
  const all = ctx.query.current === 'true';
  const { db, realmId } = caller.runtime.rc;
  for (const s of await listUserSessions(db, realmId, caller.user.id))
    if (all || s.id !== caller.sessionUid) await signOut(ctx, caller, s.id);
  ctx.status = 204;
  ctx.body = null;
}

export async function deleteSession(ctx: Context, caller: AccountCaller): Promise<void> {
  requireOneOf(caller, 'manage-account');
  await signOut(ctx, caller, String(ctx.params.id));
  ctx.status = 204;
  ctx.body = null;
}

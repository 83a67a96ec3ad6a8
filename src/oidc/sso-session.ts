/**
 * Keycloak's user sessions on oidc-provider's Session and Grant models:
 * - a session remembers the login's IP address (`ipAddress`) and its last use (`lastAccess`,
 *   epoch seconds), as Keycloak's UserSessionModel; a grant remembers whether its login chose
 *   remember me (`rememberMe`), which its refresh tokens' lifetime needs. oidc-provider stores
 *   only the fields its models list (`IN_PAYLOAD`), so these are added to those lists;
 * - `ttl.Session` and `ttl.RefreshToken` follow Keycloak's limits (session-lifetimes.ts). A session
 *   is saved at every request that uses it, and then its idle time starts again (Keycloak's
 *   `lastSessionRefresh`); a refresh of a token also refreshes its session;
 * - `acr` is "0" when an authorization is answered from the SSO cookie with no new login
 *   (Keycloak AuthenticationManager / AcrStore: the level of a re-used session is 0), "1" after a
 *   login.
 */
import OidcProvider, { type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import { notedTouch, touchSessionRow, touchWithRotation } from '../../adapters/postgres.ts';
import type { RealmContext } from './realm-context.ts';
import { refreshTokenSeconds, userSessionSeconds } from './session-lifetimes.ts';
import { KEYCLOAK_ROUTES } from './routes.ts';

/** The Session fields this module reads or sets. */
export interface SessionFields {
  jti?: string;
  uid?: string;
  accountId?: string;
  loginTs?: number;
  transient?: boolean;
  acr?: string;
  ipAddress?: string;
  lastAccess?: number;
  authorizations?: Record<string, { grantId?: string; sid?: string; persistsLogout?: boolean }>;
  save(ttl: number): Promise<unknown>;
}

type Model = { IN_PAYLOAD: string[] };
const now = () => Math.floor(Date.now() / 1000);

function addPayloadFields(model: unknown, fields: string[]): void {
  const base = (model as Model).IN_PAYLOAD;
  Object.defineProperty(model, 'IN_PAYLOAD', {
    configurable: true,
    get: () => [...base, ...fields],
  });
}

/** Whether a session counts as remember me: the realm allows it and the login ticked it. */
const rememberMeOf = (rc: RealmContext, session: { transient?: boolean }) =>
  rc.realm.rep.rememberMe === true && session.transient !== true;

/**
 * The seconds a session is kept from now (oidc-provider `ttl.Session`); stamps `lastAccess`,
 * since oidc-provider saves the session right after asking.
 */
export function sessionTtl(rc: RealmContext, session: SessionFields): number {
  const at = now();
  session.lastAccess = at;
  return userSessionSeconds(rc.realm.rep, rememberMeOf(rc, session), {
    now: at,
    loginTime: session.loginTs ?? at,
  });
}

/** oidc-provider `ttl.RefreshToken`: Keycloak's refresh token expiry for the token's chain. */
export function refreshTokenTtl(
  rc: RealmContext,
  ctx: KoaContextWithOIDC | undefined,
  token: { scope?: string; iiat?: number; authTime?: number; clientId?: string },
): number {
  const at = now();
  const grant = (ctx?.oidc?.entities as { Grant?: { rememberMe?: boolean } } | undefined)?.Grant;
  return refreshTokenSeconds(
    rc.realm.rep,
    rc.realm.client(token.clientId ?? ''),
    {
      offline: token.scope?.split(' ').includes('offline_access') === true,
      rememberMe: rc.realm.rep.rememberMe === true && grant?.rememberMe === true,
    },
    { now: at, chainStart: token.iiat ?? at, loginTime: token.authTime ?? at },
  );
}

/** The current request (oidc-provider's `Provider.ctx`, an AsyncLocalStorage), if any. */
const currentRequest = () =>
  (OidcProvider as unknown as { ctx?: KoaContextWithOIDC }).ctx as KoaContextWithOIDC | undefined;

const isRefreshGrant = (ctx: KoaContextWithOIDC | undefined) =>
  ctx?.path === KEYCLOAK_ROUTES.token &&
  (ctx.oidc?.params as { grant_type?: unknown } | undefined)?.grant_type === 'refresh_token';

type SessionModel = { findByUid(uid: string): Promise<SessionFields | undefined> };

/**
 * Records the sliding-expiry touch of the session oidc-provider's refresh grant reads
 * (`checkSessionBinding`: `Session.findByUid`), so that the refresh does not read it again: the
 * rotation's statement writes it (`touchWithRotation`, adapters/postgres.ts). Other requests'
 * lookups are unchanged.
 */
function noteRefreshedSessions(provider: Provider, rc: RealmContext): void {
  const Session = provider.Session as unknown as SessionModel;
  const findByUid = Session.findByUid.bind(Session);
  Session.findByUid = async (uid: string) => {
    const session = await findByUid(uid);
    const ctx = currentRequest();
    if (session?.jti && ctx && isRefreshGrant(ctx)) {
      const expiresIn = sessionTtl(rc, session);
      const lastAccess = session.lastAccess!;
      const fields = { exp: lastAccess + expiresIn, lastAccess };
      touchWithRotation(ctx.state, { uid, id: session.jti, fields, expiresIn });
    }
    return session;
  };
}

/**
 * After a refresh: the token's session is used, so its idle time starts again (written with the
 * rotation, else here: only its `exp`/`lastAccess` and expiry, never re-creating a session ended
 * meanwhile). An offline grant is saved again with its full lifetime (`ttl.Grant`, at least
 * `offlineSessionIdleTimeout`): an offline session lives as long as it is refreshed within its
 * idle time (Keycloak), up to its max lifespan when one is enabled (the refresh token's own
 * expiry, session-lifetimes.ts).
 */
async function touchSession(ctx: KoaContextWithOIDC, rc: RealmContext): Promise<void> {
  const { RefreshToken: token, Grant: grant } = ctx.oidc.entities as {
    RefreshToken?: { sessionUid?: string; scope?: string };
    Grant?: { exp?: number; save(): Promise<unknown> };
  };
  if (grant && token?.scope?.split(' ').includes('offline_access')) {
    grant.exp = undefined; // (oidc-provider saves a token with its remaining time otherwise)
    await grant.save();
  }
  if (!token?.sessionUid) return;
  let touch = notedTouch(ctx.state);
  if (touch?.uid !== token.sessionUid) {
    // A token not bound to its session (oidc-provider did not read it): read it once here.
    await (ctx.oidc.provider.Session as unknown as SessionModel).findByUid(token.sessionUid);
    touch = notedTouch(ctx.state);
  }
  if (touch?.uid === token.sessionUid && !touch.written)
    await touchSessionRow(rc.db, rc.realmId, touch);
}

/** Adds the fields, the acr rule and the refresh of sessions to `provider`. */
export function installSsoSessions(provider: Provider, rc: RealmContext): void {
  addPayloadFields(provider.Session, ['ipAddress', 'lastAccess']);
  addPayloadFields(provider.Grant, ['rememberMe']);
  noteRefreshedSessions(provider, rc);
  provider.on('authorization.accepted', (ctx: KoaContextWithOIDC) => {
    const session = ctx.oidc.session as unknown as SessionFields | undefined;
    if (!session) return;
    if (ctx.oidc.result?.login) session.ipAddress = ctx.ip;
    else session.acr = '0';
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 200 && isRefreshGrant(ctx as KoaContextWithOIDC))
      await touchSession(ctx as KoaContextWithOIDC, rc);
  });
}

/**
 * Stores the user session of a direct grant (Keycloak creates one for the password grant): an
 * oidc-provider Session without a cookie, with the grant as its client's authorization (kept on
 * logout when `offline`, as oidc-provider's `persistsLogout`). Returns its uid.
 */
export async function saveDirectGrantSession(
  rc: RealmContext,
  provider: Provider,
  ctx: KoaContextWithOIDC,
  login: {
    accountId: string;
    clientId: string;
    grantId: string;
    sid: string;
    loginTs: number;
    offline: boolean;
  },
): Promise<string> {
  const SessionModel = provider.Session as unknown as new () => SessionFields & {
    loginAccount(details: Record<string, unknown>): void;
  };
  const session = new SessionModel();
  session.loginAccount({
    accountId: login.accountId,
    loginTs: login.loginTs,
    acr: '1',
    amr: ['pwd'],
    transient: true,
  });
  session.authorizations = {
    [login.clientId]: {
      sid: login.sid,
      grantId: login.grantId,
      ...(login.offline ? { persistsLogout: true } : {}),
    },
  };
  session.ipAddress = ctx.ip;
  await session.save(sessionTtl(rc, session));
  return session.uid!;
}

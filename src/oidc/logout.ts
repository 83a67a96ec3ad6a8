/**
 * `POST /realms/{realm}/protocol/openid-connect/logout`, as Keycloak's LogoutEndpoint#logout()
 * (POST) answers it (Keycloak 26):
 * - a form with `refresh_token`: Keycloak's non-browser logout (LogoutEndpoint#logoutToken). The
 *   client authenticates as at the token endpoint (any of its methods; a public client sends its
 *   `client_id`), the refresh token must be one of this client's, and the session it belongs to
 *   ends: every token of every client in that session is revoked (offline grants stay, as on a
 *   browser logout), clients with a back-channel logout URL are told, and the browser session is
 *   gone. An offline refresh token ends only its own offline grant. Answers: 204 (no body) on
 *   success; 400 `{"error":"invalid_request","error_description":"No refresh token"}` for an
 *   empty one; 400 `invalid_grant` "Invalid refresh token" for one that is not valid, or
 *   "Invalid refresh token. Token client and authorized client don't match" for another client's
 *   (TokenManager.verifyRefreshToken); 401 `invalid_client` when client authentication fails.
 *   oidc-provider's revocation endpoint does the client authentication and the revocation of the
 *   token's grant; this module adds the session end.
 * - any other form: RP-Initiated Logout 1.0 §2 with its form fields (`id_token_hint`,
 *   `client_id`, `post_logout_redirect_uri`, `state`, `ui_locales`, `logout_hint`). The browser
 *   is sent (303) to the same request as a GET: the session cookie is SameSite=Lax, so a browser
 *   sends it on a top-level GET from another site but not on a POST from one. The GET then
 *   behaves exactly as a GET logout (confirmation rules in docs/protocol-security.md).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { KEYCLOAK_ROUTES } from '../routes.ts';
import { unwrapForTokenEndpoint } from './keycloak-tokens.ts';
import type { RealmContext } from './realm-context.ts';
import { endUserSession, type EndableSession } from './end-session.ts';

const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '64kb' });
const RP_LOGOUT_PARAMS = [
  'id_token_hint',
  'client_id',
  'post_logout_redirect_uri',
  'state',
  'ui_locales',
  'logout_hint',
];

type Body = Record<string, unknown>;
type RefreshTokenEntity = {
  clientId?: string;
  accountId?: string;
  sessionUid?: string;
  grantId?: string;
  scope?: string;
};

function answer(ctx: Context, status: number, error?: string, description?: string): void {
  ctx.status = status;
  ctx.body = error ? { error, error_description: description } : null;
}

/** Ends the browser session the refresh token belongs to (end-session.ts). */
async function endSession(
  ctx: KoaContextWithOIDC,
  rc: RealmContext,
  token: RefreshTokenEntity,
): Promise<void> {
  const { provider } = ctx.oidc;
  const Session = provider.Session as unknown as {
    findByUid(uid: string): Promise<EndableSession | undefined>;
  };
  const session = token.sessionUid ? await Session.findByUid(token.sessionUid) : undefined;
  if (session) await endUserSession(provider, rc.log, rc.realm.name, session);
}

/** After oidc-provider's revocation action: Keycloak's answers, and the session end. */
async function finishRefreshTokenLogout(ctx: KoaContextWithOIDC, rc: RealmContext): Promise<void> {
  if (ctx.status === 401 || (ctx.body as Body | undefined)?.error === 'invalid_client') {
    answer(ctx, 401, 'invalid_client', 'Invalid client or Invalid client credentials');
    return;
  }
  if (ctx.status !== 200) return;
  const token = (ctx.oidc.entities as { RefreshToken?: RefreshTokenEntity }).RefreshToken;
  if (!token) {
    answer(ctx, 400, 'invalid_grant', 'Invalid refresh token');
    return;
  }
  if (token.clientId !== ctx.oidc.client?.clientId) {
    answer(
      ctx,
      400,
      'invalid_grant',
      "Invalid refresh token. Token client and authorized client don't match",
    );
    return;
  }
  if (!token.scope?.split(' ').includes('offline_access')) await endSession(ctx, rc, token);
  rc.loginEvent('LOGOUT', { clientId: token.clientId, userId: token.accountId, ipAddress: ctx.ip });
  answer(ctx, 204);
}

/**
 * Hands the refresh-token logout to oidc-provider's revocation route (client authentication,
 * revocation of the token's grant), then finishes it.
 */
async function refreshTokenLogout(
  ctx: Context,
  rc: RealmContext,
  body: Body,
  next: () => Promise<void>,
): Promise<void> {
  const refreshToken = body.refresh_token;
  if (typeof refreshToken !== 'string' || !refreshToken) {
    answer(ctx, 400, 'invalid_request', 'No refresh token');
    return;
  }
  // keycloak-connect sends its credentials twice (Basic and form); Keycloak takes the header.
  if (typeof body.client_secret === 'string' && /^Basic /i.test(ctx.get('authorization'))) {
    delete body.client_secret;
    delete body.client_id;
  }
  delete body.refresh_token;
  body.token =
    (await unwrapForTokenEndpoint(rc, refreshToken, ctx.state as Record<PropertyKey, unknown>)) ??
    `invalid-${randomUUID()}`;
  body.token_type_hint = 'refresh_token';
  ctx.path = KEYCLOAK_ROUTES.revocation;
  await next();
  await finishRefreshTokenLogout(ctx as unknown as KoaContextWithOIDC, rc);
}

/** RP-initiated logout by POST: the same request as a GET (see the module comment). */
function redirectToGet(ctx: Context, rc: RealmContext, body: Body): void {
  const query = new URLSearchParams();
  for (const name of RP_LOGOUT_PARAMS)
    if (typeof body[name] === 'string') query.set(name, body[name]);
  ctx.status = 303;
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(`${rc.issuer}${KEYCLOAK_ROUTES.end_session}${query.size ? `?${query}` : ''}`);
}

export function installKeycloakLogout(provider: Provider, rc: RealmContext): void {
  provider.use(async (ctx, next) => {
    if (
      ctx.method !== 'POST' ||
      ctx.path !== KEYCLOAK_ROUTES.end_session ||
      !ctx.is('application/x-www-form-urlencoded')
    ) {
      await next();
      return;
    }
    await parseForm(ctx, async () => undefined);
    const body = ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;
    if ('refresh_token' in body) await refreshTokenLogout(ctx, rc, body, next);
    else redirectToGet(ctx, rc, body);
  });
}

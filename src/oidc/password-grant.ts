/**
 * The OAuth 2.0 Resource Owner Password Credentials grant (RFC 6749 §4.3), which Keycloak offers
 * to clients with `directAccessGrantsEnabled`. oidc-provider does not ship it; it is registered
 * through the public `registerGrantType` API. Errors are Keycloak's (its direct grant flow:
 * ValidateUsername, ValidatePassword, ValidateOTP, ResourceOwnerPasswordCredentialsGrantType): a
 * wrong password 401 invalid_grant "Invalid user credentials"; 400 "Account disabled", 400
 * "Account is not fully set up" (a pending required action enabled in the realm; both only after
 * the right password); no username 401 invalid_request "Missing parameter: username"; an offline
 * token for a user without the `offline_access` role 400 not_allowed (offline-access.ts).
 * A user with an OTP credential must send the code as the `totp` parameter (Keycloak's
 * "Direct Grant - Conditional OTP", ValidateOTP): missing, wrong or replayed 401 invalid_grant
 * "Invalid user credentials", counted by brute-force detection. Stricter than Keycloak, so that
 * the answer never tells whether an account exists: an unknown user, a service account's user
 * and a user locked out by brute-force detection get the wrong password's 401 (Keycloak's
 * ValidateUsername answers them 400 with the same body). A user disabled by permanent lockout,
 * with the right password, gets 400 "Account disabled".
 */
import { randomBytes } from 'node:crypto';
import { errors, type Provider, type KoaContextWithOIDC } from 'oidc-provider';
import {
  checkOtpCode,
  checkPassword,
  countLoginFailure,
  LOGIN_ERROR_EVENT,
  pendingRequiredActions,
  toAccount,
  type LoginFailure,
  type LoginResult,
} from './account.ts';
import { assertOfflineAllowed } from './offline-access.ts';
import { evaluateRequiredActionTriggers } from './required-action-triggers.ts';
import type { RealmContext } from './realm-context.ts';
import { invalidScope, sentScope, type RealmClaims } from './claims.ts';
import { bindToDpop, dpopProof } from './dpop.ts';
import { saveDirectGrantSession } from './sso-session.ts';
import { deferWrites, writeDeferred } from '../../adapters/postgres.ts';

export const PASSWORD_GRANT = 'password';

/** HTTP status and error_description of each failure. */
const FAILURES: Record<LoginFailure, { status: number; description: string }> = {
  invalid_credentials: { status: 401, description: 'Invalid user credentials' },
  user_not_found: { status: 401, description: 'Invalid user credentials' },
  service_account: { status: 401, description: 'Invalid user credentials' },
  locked: { status: 401, description: 'Invalid user credentials' },
  disabled: { status: 400, description: 'Account disabled' },
  not_set_up: { status: 400, description: 'Account is not fully set up' },
};

/** invalid_grant with Keycloak's HTTP status, which is not always oidc-provider's 400. */
class KeycloakGrantError extends errors.CustomOIDCProviderError {
  constructor(description: string, status: number) {
    super('invalid_grant', description);
    this.status = status;
    this.statusCode = status;
  }
}

type Client = NonNullable<KoaContextWithOIDC['oidc']['client']>;
type Params = Record<string, string | undefined>;

/** Keycloak's direct grant flow with its LOGIN / LOGIN_ERROR events; throws Keycloak's error. */
async function loggedInUser(
  rc: RealmContext,
  ctx: KoaContextWithOIDC,
  client: Client,
  params: Params & { username: string },
) {
  const result = await authenticate(rc, params, ctx.ip);
  if (!result.ok) {
    rc.loginEvent('LOGIN_ERROR', {
      clientId: client.clientId,
      ipAddress: ctx.ip,
      error: LOGIN_ERROR_EVENT[result.reason],
      details: { grant_type: 'password', username: params.username },
    });
    const { status, description } = FAILURES[result.reason];
    throw new KeycloakGrantError(description, status);
  }
  rc.loginEvent('LOGIN', {
    clientId: client.clientId,
    userId: result.user.id,
    ipAddress: ctx.ip,
    details: { grant_type: 'password', username: result.user.username },
  });
  return result.user;
}

async function saveGrant(
  provider: Provider,
  ctx: KoaContextWithOIDC,
  clientId: string,
  accountId: string,
  scope: string | undefined,
): Promise<string> {
  const grant = new provider.Grant({ clientId, accountId });
  if (scope) grant.addOIDCScope(scope);
  const grantId = await grant.save();
  ctx.oidc.entity('Grant', grant);
  return grantId;
}

/** What the grant's tokens are issued for. */
interface Issue {
  client: Client;
  accountId: string;
  grantId: string;
  scope: string | undefined;
  sid: string;
  authTime: number;
  sessionUid: string | undefined;
}

/** The access token and, when the client may refresh, the refresh token, saved (DPoP-bound). */
async function saveTokens(
  provider: Provider,
  ctx: KoaContextWithOIDC,
  proof: Awaited<ReturnType<typeof dpopProof>>,
  { client, accountId, grantId, scope, sid, authTime, sessionUid }: Issue,
) {
  const at = new provider.AccessToken({
    accountId,
    client,
    grantId,
    gty: PASSWORD_GRANT,
    scope,
    sid,
    ...(sessionUid ? { sessionUid, expiresWithSession: true } : {}),
  });
  const rt = client.grantTypeAllowed('refresh_token')
    ? new provider.RefreshToken({
        accountId,
        client,
        grantId,
        gty: PASSWORD_GRANT,
        scope,
        sid,
        authTime,
        acr: '1',
        rotations: 0,
        ...(sessionUid ? { sessionUid, expiresWithSession: true } : {}),
      } as ConstructorParameters<Provider['RefreshToken']>[0])
    : undefined;
  await bindToDpop(ctx, proof, at, rt);
  ctx.oidc.entity('AccessToken', at);
  const accessToken = await at.save();

  let refreshToken: string | undefined;
  if (rt) {
    ctx.oidc.entity('RefreshToken', rt);
    refreshToken = await rt.save();
  }
  return { at, accessToken, refreshToken };
}

async function issueIdToken(
  provider: Provider,
  ctx: KoaContextWithOIDC,
  { accountId, authTime, scope, sid }: Issue,
): Promise<string> {
  const IdToken = provider.IdToken as unknown as new (
    claims: Record<string, unknown>,
    options: { ctx: KoaContextWithOIDC },
  ) => {
    scope: string;
    set(k: string, v: unknown): void;
    issue(o: { use: string }): Promise<string>;
  };
  // The claims are the mappers' (oidc/mapped-claims.ts, when the token is issued).
  const token = new IdToken({ sub: accountId, acr: '1', auth_time: authTime }, { ctx });
  token.scope = scope ?? 'openid';
  token.set('sid', sid);
  return (await token.issue({ use: 'idtoken' })) as string;
}

/**
 * Registers the grant. The `scope` parameter is checked as Keycloak 26's
 * ResourceOwnerPasswordCredentialsGrantType does (TokenManager.isValidScope): a scope the client
 * has neither as default nor as optional scope answers 400 invalid_scope "Invalid scopes: ...",
 * before the user's credentials are checked.
 */
export function registerPasswordGrant(
  provider: Provider,
  rc: RealmContext,
  rcClaims: RealmClaims,
): void {
  provider.registerGrantType(
    PASSWORD_GRANT,
    async (ctx: KoaContextWithOIDC) => {
      const { client, params } = ctx.oidc as unknown as { client: Client; params: Params };
      // Keycloak's ValidateUsername answers a missing username with 401 invalid_request.
      if (!params.username) throw new errors.InvalidRequest('Missing parameter: username', 401);
      const kc = rc.realm.client(client.clientId);
      const sent = sentScope(ctx as never, params.scope);
      if (!kc || !rcClaims.validScope(kc, sent)) throw invalidScope(sent);
      // RFC 9449: a DPoP proof binds the tokens, as at oidc-provider's own grants (dpop.ts).
      const proof = await dpopProof(ctx);
      const user = await loggedInUser(rc, ctx, client, { ...params, username: params.username });

      const account = toAccount(user);
      ctx.oidc.entity('Account', account);
      const requested = new Set((sent ?? '').split(' ').filter(Boolean));
      // The scope parameter as Keycloak keeps it in the client session; the pipeline derives the
      // token's `scope` (applied scopes) from it (oidc/token-claims.ts).
      const scope = [...requested].join(' ') || undefined;
      assertOfflineAllowed(rc, user, scope);
      // Keycloak creates a user session for direct grants; its id is the token's `sid`.
      const sid = randomBytes(18).toString('base64url');
      const authTime = Math.floor(Date.now() / 1000);
      // The AUTH_TIME session note of all this grant's tokens (oidc/provider/extra-token-claims.ts).
      account.authTime = authTime;

      // The session, grant and tokens are stored by one statement before the answer (one commit:
      // all or none, and nothing answered that a crash can lose).
      deferWrites(ctx.state);
      const grantId = await saveGrant(provider, ctx, client.clientId, account.accountId, scope);
      const offline = requested.has('offline_access');
      // Keycloak's user session of a direct grant, without a cookie (sso-session.ts): the admin API
      // lists and ends it, and its refresh tokens end with it.
      const session = await saveDirectGrantSession(rc, provider, ctx, {
        accountId: account.accountId,
        clientId: client.clientId,
        grantId,
        sid,
        loginTs: authTime,
        offline,
      });
      // Offline tokens outlive the session (Keycloak's offline session); the others end with it.
      const issue: Issue = {
        client,
        accountId: account.accountId,
        grantId,
        scope,
        sid,
        authTime,
        sessionUid: offline ? undefined : session,
      };
      const { at, accessToken, refreshToken } = await saveTokens(provider, ctx, proof, issue);
      const idToken = requested.has('openid')
        ? await issueIdToken(provider, ctx, issue)
        : undefined;
      await writeDeferred(ctx.state);

      ctx.body = {
        access_token: accessToken,
        expires_in: at.expiration,
        refresh_token: refreshToken,
        token_type: at.tokenType,
        id_token: idToken,
        scope,
      };
    },
    ['username', 'password', 'scope', 'totp'],
  );
}

/**
 * Keycloak's direct grant flow for one request: password, then the `totp` code when the user has
 * an OTP credential, then the pending required actions.
 */
async function authenticate(
  rc: RealmContext,
  params: Record<string, string | undefined>,
  ip: string,
): Promise<LoginResult> {
  const result = await checkPassword(rc, params.username ?? '', params.password ?? '', ip);
  if (!result.ok) return result;
  if (result.otp.length) {
    // A missing code is a failed attempt too (Keycloak's ValidateOTP fails with INVALID_USER).
    const code = (params.totp ?? '').slice(0, 16);
    const outcome = await checkOtpCode(rc, result.user, result.otp, code, ip);
    if (outcome !== 'ok')
      return { ok: false, reason: outcome === 'locked' ? 'locked' : 'invalid_credentials' };
  }
  // AuthenticationManager.nextRequiredAction evaluates the triggers for the direct grant too.
  const user = await evaluateRequiredActionTriggers(rc, result.user);
  if (pendingRequiredActions(rc, user).length) {
    countLoginFailure(rc, LOGIN_ERROR_EVENT.not_set_up);
    return { ok: false, reason: 'not_set_up' };
  }
  return result;
}

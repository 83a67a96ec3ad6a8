/**
 * Token endpoint responses in Keycloak's shape, as an oidc-provider post-middleware
 * (`provider.use`, the documented extension point):
 * - success: Keycloak's AccessTokenResponse fields and order (`refresh_expires_in`,
 *   `not-before-policy`, `session_state`, `scope` = the access token's `scope` claim);
 * - errors: Keycloak's error codes and texts (TokenEndpoint, the grant type classes and
 *   ClientIdAndSecretAuthenticator of Keycloak 26), so clients and scripts that match on them work.
 */
import { decodeJwt } from 'jose';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { DEVICE_CODE_GRANT, deviceGrantSeconds } from './clients.ts';
import { StoreUnavailableError } from '../store/sql.ts';
import { SignerUnavailableError } from '../signer/signer.ts';
import type { RealmContext } from './realm-context.ts';
import {
  UPSTREAM_DETAIL_PREFIX,
  UPSTREAM_ERROR_TEXT,
  UPSTREAM_PKCE_TEXT,
} from './upstream/error-details.ts';

type Body = Record<string, unknown>;
type OidcError = { error_detail?: string; cause?: Error; message?: string };
const ERROR = Symbol('qsign.oidcError');
const SERVER_ERROR = Symbol('qsign.serverError');

function isBackendDown(err: unknown): boolean {
  return err instanceof StoreUnavailableError || err instanceof SignerUnavailableError;
}

const GRANT_NOT_ALLOWED = UPSTREAM_ERROR_TEXT.grantTypeNotAllowed;

function jwtExp(token: unknown): number | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    return decodeJwt(token).exp;
  } catch {
    return undefined;
  }
}

/** The `scope` claim of an access token JWT (Keycloak's AccessTokenResponse.scope is the token's). */
function jwtScope(token: unknown): string | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const { scope } = decodeJwt(token);
    return typeof scope === 'string' ? scope : undefined;
  } catch {
    return undefined;
  }
}

function successBody(rc: RealmContext, ctx: KoaContextWithOIDC, body: Body): Body {
  const entities = ctx.oidc.entities as {
    AccessToken?: { sid?: string };
    ClientCredentials?: unknown;
  };
  const sid = entities.AccessToken?.sid;
  const rtExp = jwtExp(body.refresh_token);
  const out: Body = {
    access_token: body.access_token,
    expires_in: body.expires_in,
    refresh_expires_in: rtExp ? Math.max(0, rtExp - Math.floor(Date.now() / 1000)) : 0,
  };
  if (body.refresh_token) out.refresh_token = body.refresh_token;
  // `DPoP` for a token bound to a DPoP proof (RFC 9449 §5), as Keycloak answers it.
  out.token_type = body.token_type === 'DPoP' ? 'DPoP' : 'Bearer';
  if (body.id_token) out.id_token = body.id_token;
  out['not-before-policy'] = rc.realm.rep.notBefore;
  if (sid) out.session_state = sid;
  out.scope = jwtScope(body.access_token) ?? '';
  return out;
}

/** Keycloak's [status, error, description] for an oidc-provider token endpoint error. */
function keycloakError(
  rc: RealmContext,
  ctx: KoaContextWithOIDC,
  body: Body,
): [number, string, string] | undefined {
  const err = (ctx.state as Record<PropertyKey, unknown>)[ERROR] as OidcError | undefined;
  const detail = err?.error_detail ?? err?.cause?.message ?? '';
  const grantType = String((ctx.oidc.params as Body | undefined)?.grant_type ?? '');
  const kc = ctx.oidc.client ? rc.realm.client(ctx.oidc.client.clientId) : undefined;
  switch (body.error) {
    case 'invalid_client':
      return [401, 'invalid_client', 'Invalid client or Invalid client credentials'];
    case 'unsupported_grant_type':
      return [400, 'unsupported_grant_type', 'Unsupported grant_type'];
    case 'invalid_request':
      if (body.error_description === GRANT_NOT_ALLOWED) {
        if (kc?.bearerOnly) return [400, 'invalid_client', 'Bearer-only not allowed'];
        if (grantType === 'password')
          return [400, 'unauthorized_client', 'Client not allowed for direct access grants'];
        if (grantType === 'client_credentials') {
          return [
            401,
            'unauthorized_client',
            kc?.publicClient
              ? 'Public client not allowed to retrieve service account'
              : 'Client not enabled to retrieve service account',
          ];
        }
        if (grantType === 'authorization_code')
          return [400, 'invalid_grant', 'Client not allowed to exchange code'];
        return [400, 'unauthorized_client', `Client not allowed to use grant type ${grantType}`];
      }
      if (String(body.error_description).includes(UPSTREAM_ERROR_TEXT.missingGrantType))
        return [400, 'invalid_request', 'Missing form parameter: grant_type'];
      if (UPSTREAM_PKCE_TEXT.test(String(body.error_description)))
        return [400, 'invalid_grant', 'PKCE invalid code verifier'];
      return undefined;
    case 'invalid_grant':
      if (detail === UPSTREAM_ERROR_TEXT.codeVerifierMissing)
        return [400, 'invalid_grant', 'PKCE code verifier not specified'];
      if (detail === UPSTREAM_ERROR_TEXT.codeVerifierMismatch)
        return [400, 'invalid_grant', 'PKCE verification failed: Code mismatch'];
      if (detail === UPSTREAM_ERROR_TEXT.codeExpired)
        return [400, 'invalid_grant', 'Code is expired'];
      if (detail === UPSTREAM_ERROR_TEXT.codeRedirectUriMismatch)
        return [400, 'invalid_grant', 'Incorrect redirect_uri'];
      if (detail.startsWith(UPSTREAM_DETAIL_PREFIX.authorizationCode))
        return [400, 'invalid_grant', 'Code not valid'];
      if (detail === UPSTREAM_ERROR_TEXT.refreshTokenUsed)
        return [400, 'invalid_grant', 'Stale token'];
      if (detail.startsWith(UPSTREAM_DETAIL_PREFIX.grant))
        return [400, 'invalid_grant', 'Session not active'];
      if (grantType === 'refresh_token') return [400, 'invalid_grant', 'Invalid refresh token'];
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Keycloak adds `session_state` (the session id the client's tokens carry as `sid`) to the
 * authorization response; keycloak-js reads it. Appended to the redirect in the response mode's
 * own place (query or fragment); form_post responses are left as they are.
 */
function addSessionState(ctx: KoaContextWithOIDC): void {
  const location = ctx.response.get('location');
  const sid =
    ctx.oidc.client && ctx.oidc.session
      ? ctx.oidc.session.sidFor(ctx.oidc.client.clientId)
      : undefined;
  if (!location || !sid || !/[?#&](code|id_token|access_token)=/.test(location)) return;
  const url = new URL(location);
  if (/^#(.*&)?(code|id_token|access_token)=/.test(url.hash)) {
    const fragment = new URLSearchParams(url.hash.slice(1));
    fragment.set('session_state', sid);
    url.hash = fragment.toString();
  } else {
    url.searchParams.set('session_state', sid);
  }
  ctx.response.set('location', url.toString());
}

/**
 * A fragment the requested redirect URI had (a hash-routed application's route, allowed for
 * response_mode=fragment by redirect-uri.ts) is kept, and the response parameters follow it after
 * `&`, as Keycloak's OIDCRedirectUriBuilder (FragmentRedirectUriBuilder) writes them:
 * `https://app/#/orders&state=...&code=...`. oidc-provider replaces the fragment instead.
 */
function keepRedirectFragment(ctx: KoaContextWithOIDC): void {
  const location = ctx.response.get('location');
  const requested = (ctx.oidc.params as Body | undefined)?.redirect_uri;
  if (!location || typeof requested !== 'string' || !requested.includes('#')) return;
  const hash = location.indexOf('#');
  const base = requested.slice(0, requested.indexOf('#'));
  if (hash === -1 || new URL(location.slice(0, hash)).href !== new URL(base).href) return;
  const own = requested.slice(requested.indexOf('#') + 1);
  ctx.response.set(
    'location',
    `${location.slice(0, hash)}#${own ? `${own}&` : ''}${location.slice(hash + 1)}`,
  );
}

/**
 * The `error` of the Keycloak _ERROR event for a grant oidc-provider refused (Keycloak's
 * org.keycloak.events.Errors constants), or undefined for a refusal that is the protocol working
 * (a device code the user has not confirmed yet: `authorization_pending`, polled every few seconds).
 * @param err oidc-provider's error (`error`, `error_detail`); @param clientKnown whether the client exists.
 */
export function keycloakGrantErrorEvent(
  grantType: string,
  err: { error?: string; error_detail?: string },
  clientKnown: boolean,
): string | undefined {
  const detail = err.error_detail ?? '';
  switch (err.error) {
    case 'authorization_pending':
      return undefined;
    case 'invalid_client':
      return clientKnown ? 'invalid_client_credentials' : 'client_not_found';
    case 'expired_token':
      return 'expired_oauth2_device_code';
    case 'invalid_grant':
      if (grantType === 'refresh_token') return 'invalid_token';
      if (grantType === DEVICE_CODE_GRANT) return 'invalid_oauth2_device_code';
      if (UPSTREAM_PKCE_TEXT.test(detail)) return 'pkce_verification_failed';
      return detail === UPSTREAM_ERROR_TEXT.codeExpired ? 'expired_code' : 'invalid_code';
    default:
      return err.error ?? 'invalid_request';
  }
}

export function installKeycloakResponses(provider: Provider, rc: RealmContext): void {
  const events = provider as unknown as {
    on(event: string, listener: (ctx: KoaContextWithOIDC, err: unknown) => void): void;
  };
  events.on('grant.error', (ctx, err) => {
    (ctx.state as Record<PropertyKey, unknown>)[ERROR] = err;
  });
  events.on('server_error', (ctx, err) => {
    (ctx.state as Record<PropertyKey, unknown>)[SERVER_ERROR] = err;
  });
  provider.use(async (ctx, next) => {
    await next();
    // keycloak-js sends its token and userinfo requests with credentials: "include"; Keycloak
    // answers allowed origins with Access-Control-Allow-Credentials (never for "*").
    const allowOrigin = ctx.response.get('access-control-allow-origin');
    if (allowOrigin && allowOrigin !== '*') ctx.set('Access-Control-Allow-Credentials', 'true');
    const oidcCtx = ctx as KoaContextWithOIDC;
    const serverError = (ctx.state as Record<PropertyKey, unknown>)[SERVER_ERROR];
    if (serverError && isBackendDown(serverError)) {
      // A key store or signing back end that is down: fail closed, tell the client to retry.
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      ctx.body = {
        error: 'temporarily_unavailable',
        error_description: 'The service is temporarily unavailable; retry later.',
      };
      return;
    }
    if (oidcCtx.oidc?.route === 'authorization' || oidcCtx.oidc?.route === 'resume') {
      addSessionState(oidcCtx);
      keepRedirectFragment(oidcCtx);
      return;
    }
    if (
      oidcCtx.oidc?.route === 'device_authorization' &&
      ctx.status === 200 &&
      ctx.body &&
      typeof ctx.body === 'object'
    ) {
      // Keycloak states the polling interval (RFC 8628 §3.2).
      const client = ctx.oidc.client ? rc.realm.client(ctx.oidc.client.clientId) : undefined;
      (ctx.body as Body).interval = deviceGrantSeconds(
        client,
        'oauth2.device.polling.interval',
        rc.realm.rep.oauth2DevicePollingInterval,
      );
      return;
    }
    if (oidcCtx.oidc?.route !== 'token' || !ctx.body || typeof ctx.body !== 'object') return;
    const body = ctx.body as Body;
    if (ctx.status === 200 && body.access_token) {
      ctx.body = successBody(rc, oidcCtx, body);
      return;
    }
    const mapped = body.error ? keycloakError(rc, oidcCtx, body) : undefined;
    if (mapped) {
      ctx.status = mapped[0];
      ctx.body = { error: mapped[1], error_description: mapped[2] };
    }
  });
}

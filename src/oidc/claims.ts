/**
 * The claims of this server's tokens: the protocol mapper pipeline (src/mappers/) over the
 * realm's client scopes and protocol mappers, as Keycloak 26's TokenManager builds them, one
 * `RealmClaims` per realm version (built with the realm's oidc-provider instance). A realm file
 * without client scopes gets Keycloak 26's built-in scopes (mappers/builtin-client-scopes.ts),
 * whose claims are Keycloak's defaults. Also the CORS origins of a client (`web-origins`).
 */
import { errors } from 'oidc-provider';
import type { Logger } from 'pino';
import type { ClientRepresentation } from '../model/representation.ts';
import type { RealmModel } from '../model/model.ts';
import type { StoredUser } from '../store/users.ts';
import { indexRealm, type RealmIndex } from '../mappers/realm-index.ts';
import { createClaimsCache } from '../mappers/claims-cache.ts';
import { InvalidScopeError, type TokenClaims } from '../mappers/pipeline.ts';
import { isValidScope, requestedClientScopes, tokenScope } from '../mappers/client-scopes.ts';
import type { MapperSession, TokenTarget } from '../mappers/types.ts';
import { resolveRedirects } from '../mappers/redirects.ts';

/**
 * Keycloak `web-origins` scope: `allowed-origins` from the client's webOrigins, where "+" means
 * the origins of the redirect URIs and "*" allows all. Undefined when the client has none.
 * Relative redirect URIs (`/admin/master/console/*`) count with the client's rootUrl, or with
 * `serverOrigin` when it has none (Keycloak WebOriginsUtils.resolveValidWebOrigins over
 * RedirectUtils.resolveValidRedirects).
 */
export function allowedOrigins(
  client: ClientRepresentation,
  serverOrigin?: string,
): string[] | undefined {
  const origins = new Set<string>();
  for (const origin of client.webOrigins) {
    if (origin === '+') {
      const rootUrl = client.rootUrl?.replace(
        /^\$\{(authBaseUrl|authAdminUrl)\}/,
        serverOrigin ?? '',
      );
      for (const uri of resolveRedirects(rootUrl || undefined, client.redirectUris, serverOrigin)) {
        try {
          const url = new URL(uri.replace(/\*$/, ''));
          if (url.origin !== 'null') origins.add(url.origin);
        } catch {
          /* custom-scheme redirect URI: no origin */
        }
      }
    } else if (origin) {
      origins.add(origin);
    }
  }
  return origins.size ? [...origins] : undefined;
}

/** Whether `origin` may call on behalf of `client` (CORS): one of its web origins, or `*`. */
export function originAllowed(
  client: ClientRepresentation | undefined,
  origin: string,
  serverOrigin?: string,
): boolean {
  const origins = client ? (allowedOrigins(client, serverOrigin) ?? []) : [];
  return origins.includes('*') || origins.includes(origin);
}

/**
 * originAllowed, and also this server's own origin (`baseUrl`'s): a page the server itself serves
 * (the Account Console, whose `account-console` client lists no web origins, as Keycloak's) is no
 * cross-origin caller. Keycloak's LoginStatusIframeEndpoint.preCheck adds the request's own
 * origin to the valid ones likewise. Used for the token endpoint's CORS and the login-status iframe.
 */
export function originAllowedOrOwn(
  client: ClientRepresentation | undefined,
  origin: string,
  baseUrl: string,
): boolean {
  return origin === new URL(baseUrl).origin || originAllowed(client, origin, baseUrl);
}

/** One token to build: whose, for which client, from which login, with which `scope` parameter. */
export interface ClaimsRequest {
  client: ClientRepresentation;
  user: StoredUser;
  session: MapperSession;
  /** The `scope` parameter of the request (or the scope the grant recorded); undefined: none. */
  scopeParam: string | undefined;
  target: TokenTarget;
}

/** The claim machinery of one realm version. */
export interface RealmClaims {
  readonly index: RealmIndex;
  /**
   * The token's claims (read-only; copy before changing) and `scope`. Mappers the pipeline
   * skipped are logged once per realm version. Throws InvalidScopeError (OAuth `invalid_scope`).
   */
  claims(req: ClaimsRequest): TokenClaims;
  /** TokenManager.isValidScope for the client. */
  validScope(client: ClientRepresentation, scopeParam: string | undefined): boolean;
  /**
   * The `scope` of a token whose user is not at hand (refresh tokens): applied scopes before the
   * per-user role check, include.in.token.scope only (DefaultClientSessionContext.getScopeString).
   */
  scopeOf(client: ClientRepresentation, scopeParam: string | undefined): string;
  /** The names of the realm's client scopes, with `openid` (oidc-provider's `scopes`). */
  readonly scopeNames: string[];
}

/**
 * Builds the index and claims cache of `realm` (once per realm version); logs, through `log`,
 * the unreadable scopes and mappers once now and each skipped mapper (unknown type, failing
 * conversion) once when first met.
 */
export function createRealmClaims(realm: RealmModel, log: Logger, issuer: string): RealmClaims {
  const index = indexRealm(realm.rep);
  if (index.invalid.length)
    log.warn(
      { realm: realm.name, invalid: index.invalid },
      'client scopes or protocol mappers ignored (unreadable)',
    );
  const cache = createClaimsCache(index);
  const reported = new Set<string>();
  return {
    index,
    scopeNames: ['openid', ...index.scopes.byName.keys()],
    claims(req) {
      const result = cache.claims({
        client: req.client,
        user: req.user,
        userRoles: realm.effectiveRoles(req.user),
        session: req.session,
        scopeParam: req.scopeParam,
        target: req.target,
        issuer,
      });
      for (const name of result.skipped) {
        if (reported.has(name)) continue;
        reported.add(name);
        log.warn(
          { realm: realm.name, clientId: req.client.clientId, mapper: name },
          'protocol mapper skipped (unknown type or value it cannot convert); tokens are issued without its claims',
        );
      }
      return result;
    },
    validScope: (client, scopeParam) => isValidScope(index.scopes, client, scopeParam),
    scopeOf(client, param) {
      const scopeParam = param === '' ? undefined : param;
      return isValidScope(index.scopes, client, scopeParam)
        ? tokenScope(requestedClientScopes(index.scopes, client, scopeParam), scopeParam)
        : '';
    },
  };
}

/**
 * oidc-provider's `invalid_scope` (HTTP 400) with Keycloak 26's text "Invalid scopes: {scope}"
 * (AuthorizationEndpointChecker.checkValidScope; the token endpoint's grant types).
 */
export function invalidScope(
  scopeParam: string | undefined,
): InstanceType<typeof errors.InvalidScope> {
  return new errors.InvalidScope(`Invalid scopes: ${scopeParam ?? ''}`, scopeParam ?? '');
}

/**
 * The `scope` parameter as the client sent it (form body, else query), or `fallback`:
 * oidc-provider drops from its params the scope names it does not know, which Keycloak answers
 * with invalid_scope instead.
 */
export function sentScope(
  ctx: {
    method: string;
    query: Record<string, unknown>;
    oidc?: { body?: Record<string, unknown> };
  },
  fallback: string | undefined,
): string | undefined {
  const sent = ctx.method === 'POST' ? ctx.oidc?.body?.scope : ctx.query.scope;
  return typeof sent === 'string' ? sent : fallback;
}

/**
 * RealmClaims.claims, answering an invalid scope parameter with oidc-provider's invalid_scope.
 * An empty scope, as oidc-provider records a grant without one, counts as none.
 */
export function claimsOrInvalidScope(rcClaims: RealmClaims, req: ClaimsRequest): TokenClaims {
  try {
    return rcClaims.claims(req.scopeParam === '' ? { ...req, scopeParam: undefined } : req);
  } catch (err) {
    if (err instanceof InvalidScopeError) throw invalidScope(req.scopeParam);
    throw err;
  }
}

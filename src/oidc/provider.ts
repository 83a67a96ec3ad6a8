/**
 * One oidc-provider instance per realm, configured like a Keycloak realm: issuer
 * `{base}/realms/{realm}`, Keycloak's routes, lifespans from the realm (seconds), clients from the
 * realm's ClientRepresentations, Keycloak-shaped tokens, the password grant, and every signing
 * key a `Signer` behind oidc-provider's ExternalSigningKey.
 */
import Provider, {
  type Configuration,
  type KoaContextWithOIDC,
  type ClientMetadata,
} from 'oidc-provider';
import type { Grant } from 'oidc-provider';
import { findServiceAccount, findUserById, type StoredUser } from '../store/users.ts';
import {
  createRealmClaims,
  invalidScope,
  originAllowed,
  sentScope,
  type RealmClaims,
} from './claims.ts';
import { accessTokenClaims, serviceAccountSession, userSession } from './token-claims.ts';
import { findAccountFor, type KeycloakAccount } from './account.ts';
import { installSessionDevices } from './session-devices.ts';
import {
  DEVICE_CODE_GRANT,
  deviceGrantSeconds,
  toClientMetadata,
  redirectPatterns,
  postLogoutPatterns,
} from './clients.ts';
import { matchesRedirect } from './redirect-uri.ts';
import { canAuthenticate, CLIENT_AUTH_METHODS, CLIENT_AUTH_SIGNING_ALGS } from './client-auth.ts';
import { keycloakDiscovery } from './discovery.ts';
import { installFlowChecks } from './flows.ts';
import { installKeycloakLogout } from './logout.ts';
import { installEmptyTokenIntrospection } from './introspection.ts';
import { installKeycloakTokens } from './keycloak-tokens.ts';
import { createPostgresAdapter } from '../../adapters/postgres.ts';
import { registerPasswordGrant } from './password-grant.ts';
import { assertOfflineAllowed } from './offline-access.ts';
import { installKeycloakResponses, keycloakGrantErrorEvent } from './keycloak-responses.ts';
import { COOKIE_NAMES, KEYCLOAK_ROUTES, LOGIN_ACTIONS } from './routes.ts';
import { SignerSigningKey } from './signing-key.ts';
import {
  installSsoSessions,
  refreshTokenTtl,
  sessionTtl,
  type SessionFields,
} from './sso-session.ts';
import { keycloakInteractionPolicy } from './consent-check.ts';
import { addKcActionStatus } from './kc-action.ts';
import { installFrontchannelLogout } from './frontchannel-logout.ts';
import './custom-algorithms.ts';
import type { RealmContext } from './realm-context.ts';
import {
  deviceFlowPages,
  renderErrorPage,
  renderLogoutPage,
  renderLoggedOutPage,
} from '../interaction/pages.ts';

/** Scopes with the claims they release (Keycloak's default client scopes). `openid` carries the
 * `profile`/`email` claims because Keycloak applies those scopes by default without a request. */
const PROFILE = [
  'name',
  'given_name',
  'family_name',
  'preferred_username',
  'middle_name',
  'nickname',
  'profile',
  'picture',
  'website',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'updated_at',
];
const CLAIMS: Configuration['claims'] = {
  openid: ['sub', ...PROFILE, 'email', 'email_verified'],
  profile: PROFILE,
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};
export const SCOPES = [
  'openid',
  'offline_access',
  'profile',
  'email',
  'address',
  'phone',
  'roles',
  'web-origins',
  'acr',
  'basic',
  'microprofile-jwt',
];

type Entities = {
  Account?: KeycloakAccount;
  AuthorizationCode?: { authTime?: number; acr?: string };
  RefreshToken?: { authTime?: number; acr?: string };
  DeviceCode?: { authTime?: number; acr?: string };
};

/**
 * Service-account users, cached per realm runtime for 5 s: a client_credentials grant then needs no
 * database read. A change made in this process drops the runtime, and with it the cache; one made in
 * another process shows within 5 s (role mappings are read again then).
 */
const serviceAccounts = new WeakMap<
  RealmContext,
  Map<string, { user: StoredUser | undefined; at: number }>
>();
async function cachedServiceAccount(
  rc: RealmContext,
  clientId: string,
): Promise<StoredUser | undefined> {
  let cache = serviceAccounts.get(rc);
  if (!cache) {
    cache = new Map();
    serviceAccounts.set(rc, cache);
  }
  const hit = cache.get(clientId);
  if (hit && Date.now() - hit.at < 5_000) return hit.user;
  const user = await findServiceAccount(rc.db, rc.realmId, clientId);
  cache.set(clientId, { user, at: Date.now() });
  return user;
}

/**
 * Keycloak's `sid` for a token: oidc-provider records it on codes (Client#includeSid, below) and so
 * on every token made from them. Codes and refresh tokens issued before that have none; for those
 * (only) the session is read once to find it.
 */
async function sessionSid(
  ctx: KoaContextWithOIDC,
  token: { sid?: string; sessionUid?: string; clientId?: string },
): Promise<string | undefined> {
  if (token.sid || !token.sessionUid || !token.clientId) return token.sid;
  const Session = ctx.oidc.provider.Session as unknown as {
    findByUid(
      uid: string,
    ): Promise<{ authorizations?: Record<string, { sid?: string }> } | undefined>;
  };
  return (await Session.findByUid(token.sessionUid))?.authorizations?.[token.clientId]?.sid;
}

async function extraTokenClaims(
  rc: RealmContext,
  rcClaims: RealmClaims,
  ctx: KoaContextWithOIDC,
  token: {
    kind: string;
    clientId?: string;
    accountId?: string;
    scope?: string;
    sid?: string;
    sessionUid?: string;
    gty?: string;
  },
) {
  const client = rc.realm.client(token.clientId ?? '');
  if (!client) return undefined;
  const entities = ctx.oidc.entities as Entities;
  if (token.kind === 'ClientCredentials') {
    const user = await cachedServiceAccount(rc, client.clientId);
    if (!user || !user.enabled)
      throw new Error(`service account of client ${client.clientId} is missing or disabled`);
    // Keycloak parses the request's own scope parameter (TokenManager.isValidScope).
    const scope = sentScope(
      ctx as never,
      (ctx.oidc.params as { scope?: string } | undefined)?.scope,
    );
    return accessTokenClaims(
      rcClaims,
      client,
      user,
      serviceAccountSession(client.clientId, ctx.ip),
      scope,
    );
  }
  const user =
    entities.Account?.user ??
    (token.accountId ? await findUserById(rc.db, rc.realmId, token.accountId) : undefined);
  if (!user) return undefined;
  // The login's AUTH_TIME session note: the time oidc-provider recorded on the code or token.
  const source = entities.AuthorizationCode ?? entities.RefreshToken ?? entities.DeviceCode;
  const authTime =
    source?.authTime ??
    entities.Account?.authTime ??
    (token.gty === 'password' ? Math.floor(Date.now() / 1000) : undefined);
  return accessTokenClaims(
    rcClaims,
    client,
    user,
    userSession({ authTime, sid: await sessionSid(ctx, token), acr: source?.acr ?? '1' }),
    token.scope,
  );
}

/** Keycloak grants every requested scope without a consent screen unless the client asks for consent. */
async function loadExistingGrant(
  ctx: KoaContextWithOIDC,
  known: ReadonlySet<string>,
): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const clientId = oidc.client!.clientId;
  const grantId =
    (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ||
    oidc.session!.grantIdFor(clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  grant ??= new oidc.provider.Grant({ clientId, accountId: oidc.session!.accountId });
  // Whether the login chose remember me: its refresh tokens' lifetime depends on it (sso-session.ts).
  (grant as Grant & { rememberMe?: boolean }).rememberMe = oidc.session!.transient !== true;
  const scopes = [...(oidc.requestParamScopes as Set<string>)].filter((s) => known.has(s));
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = oidc.requestParamClaims as Set<string> | undefined;
  if (claims?.size) grant.addOIDCClaims([...claims]);
  await grant.save();
  return grant;
}

/**
 * Whether this request is an authorization request answered in the fragment (response_mode
 * `fragment`, or the default of a response type with `token` / `id_token`): its redirect URI may
 * then carry a fragment of its own (redirect-uri.ts, keycloak-responses.ts).
 */
function fragmentResponse(ctx: KoaContextWithOIDC | undefined): boolean {
  const route = ctx?.oidc?.route;
  if (route !== 'authorization' && route !== 'resume') return false;
  const params = (ctx!.oidc.params ?? {}) as { response_mode?: unknown; response_type?: unknown };
  if (params.response_mode !== undefined) return params.response_mode === 'fragment';
  return String(params.response_type ?? '')
    .split(' ')
    .some((t) => t === 'token' || t === 'id_token');
}

export function buildProvider(rc: RealmContext): Provider {
  const { realm } = rc;
  const r = realm.rep;
  const clients: ClientMetadata[] = realm.clients
    .filter((c) => c.enabled && c.protocol === 'openid-connect')
    // A confidential client without a secret (the built-in bearer-only `realm-management` and
    // `broker`) can never authenticate: oidc-provider would refuse its metadata at each request
    // (`invalid_client_metadata`); left out, it is an unknown client (401 invalid_client). A
    // client-jwt client authenticates with its keys and needs no secret (client-auth.ts).
    .filter(canAuthenticate)
    .map((c) => toClientMetadata(rc, c));
  // Asymmetric ACTIVE keys, best first (oidc-provider signs with the first key per alg), then
  // PASSIVE ones as verify-only keys (id_token_hint of tokens they signed still verifies).
  const asymmetric = rc.keys.keys.filter((k) => k.signer.publicJwk());
  const signingKeys = [
    ...asymmetric
      .filter((k) => k.record.status === 'ACTIVE')
      .map((k) => new SignerSigningKey(k.signer)),
    ...asymmetric
      .filter((k) => k.record.status === 'PASSIVE')
      .map((k) => new SignerSigningKey(k.signer, { verifyOnly: true })),
  ];
  const asymmetricAlgs = rc.keys.activeAlgs().filter((a) => !a.startsWith('HS')) as never[];
  const cookiePath = `/realms/${realm.name}/`;
  const rcClaims = createRealmClaims(realm, rc.log, rc.issuer);
  const scopes = new Set([...SCOPES, ...rcClaims.scopeNames]);
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    path: cookiePath,
    secure: rc.secureCookies,
    signed: true,
  };

  const configuration: Configuration = {
    clients,
    adapter: createPostgresAdapter(rc.db, rc.realmId) as unknown as Configuration['adapter'],
    findAccount: findAccountFor(rc),
    jwks: { keys: signingKeys as unknown as NonNullable<Configuration['jwks']>['keys'] },
    routes: KEYCLOAK_ROUTES,
    scopes: [...scopes],
    // Keycloak 26 AuthorizationEndpointChecker.checkValidScope: a scope the client has not got is
    // answered `invalid_scope` "Invalid scopes: {scope}" (after the redirect URI is checked). The
    // scope as sent: oidc-provider has dropped the names it does not know from params by now.
    extraParams: {
      // Keycloak's application-initiated action (oidc/kc-action.ts); an unknown alias is ignored.
      kc_action: () => undefined,
      scope: async (
        ctx: KoaContextWithOIDC,
        value: string | undefined,
        client: { clientId: string },
      ) => {
        const scope = sentScope(ctx as never, value);
        const kc = realm.client(client.clientId);
        if (kc && !rcClaims.validScope(kc, scope)) throw invalidScope(scope);
      },
    },
    claims: CLAIMS,
    conformIdTokenClaims: false,
    // Keycloak's response types (OIDCWellKnownProvider.DEFAULT_RESPONSE_TYPES_SUPPORTED) but
    // `token` alone, which oidc-provider does not offer; per client by its flow switches (clients.ts).
    responseTypes: [
      'code',
      'none',
      'id_token',
      'id_token token',
      'code id_token',
      'code token',
      'code id_token token',
    ],
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    discovery: keycloakDiscovery(rc.issuer),
    allowOmittingSingleRegisteredRedirectUri: true,
    enabledJWA: {
      idTokenSigningAlgValues: asymmetricAlgs,
      userinfoSigningAlgValues: asymmetricAlgs,
      introspectionSigningAlgValues: asymmetricAlgs,
      authorizationSigningAlgValues: asymmetricAlgs,
      clientAuthSigningAlgValues: CLIENT_AUTH_SIGNING_ALGS,
    } as Configuration['enabledJWA'],
    features: {
      devInteractions: { enabled: false },
      externalSigningSupport: { enabled: true, ack: 'experimental-01' },
      clientCredentials: { enabled: true },
      // Keycloak: only confidential clients of the realm may introspect; a client revokes its own tokens.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: { clientAuthMethod: string }) =>
          client.clientAuthMethod !== 'none',
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (
          _ctx: unknown,
          client: { clientId: string },
          token: { clientId?: string },
        ) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      claimsParameter: { enabled: true },
      jwtUserinfo: { enabled: true },
      jwtIntrospection: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: renderLogoutPage(rc),
        postLogoutSuccessSource: renderLoggedOutPage(rc),
      },
      // RFC 8628 at Keycloak's endpoints; user codes like Keycloak's (8 letters, "WDJB-MJHT").
      deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****', ...deviceFlowPages(rc) },
    } as Configuration['features'],
    pkce: {
      required: (_ctx, client) => {
        const method = realm.client(client.clientId)?.attributes['pkce.code.challenge.method'];
        return method === 'S256' || method === 'plain';
      },
    },
    ttl: {
      // Keycloak's accessTokenLifespanForImplicitFlow for tokens of the authorization response.
      AccessToken: (_ctx, token) =>
        (token as { gty?: string }).gty === 'implicit'
          ? r.accessTokenLifespanForImplicitFlow
          : r.accessTokenLifespan,
      ClientCredentials: r.accessTokenLifespan,
      IdToken: r.accessTokenLifespan,
      AuthorizationCode: r.accessCodeLifespan,
      DeviceCode: (_ctx, _token, client) =>
        deviceGrantSeconds(
          realm.client(client.clientId),
          'oauth2.device.code.lifespan',
          r.oauth2DeviceCodeLifespan,
        ),
      Interaction: r.accessCodeLifespanLogin,
      // Keycloak's session limits (idle, max lifespan, remember me, client and offline sessions):
      // sso-session.ts, session-lifetimes.ts.
      Session: (_ctx, session) => sessionTtl(rc, session as unknown as SessionFields),
      Grant: Math.max(
        r.ssoSessionMaxLifespan,
        r.ssoSessionMaxLifespanRememberMe ?? 0,
        r.offlineSessionIdleTimeout,
        r.offlineSessionMaxLifespanEnabled ? (r.offlineSessionMaxLifespan ?? 0) : 0,
      ),
      RefreshToken: (ctx, token) => refreshTokenTtl(rc, ctx, token as never),
    },
    issueRefreshToken: async (ctx, client, source) => {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      assertOfflineAllowed(
        rc,
        (ctx.oidc.entities as Entities).Account?.user,
        (source as { scope?: string }).scope,
      );
      return true;
    },
    rotateRefreshToken: true,
    extraTokenClaims: (ctx, token) => extraTokenClaims(rc, rcClaims, ctx, token as never),
    loadExistingGrant: (ctx) => loadExistingGrant(ctx, scopes),
    // A page of this server's own origin (the Account Console, with an account-console client that
    // lists no web origins, as Keycloak's) is not a cross-origin caller: its Origin is accepted.
    clientBasedCORS: (_ctx, origin, client) =>
      origin === new URL(rc.baseUrl).origin ||
      originAllowed(realm.client(client.clientId), origin, rc.baseUrl),
    interactions: {
      policy: keycloakInteractionPolicy(rc, rcClaims),
      url: (_ctx, interaction) => `/realms/${realm.name}${LOGIN_ACTIONS}/${interaction.uid}`,
    },
    cookies: {
      names: COOKIE_NAMES,
      long: cookieOptions,
      short: cookieOptions,
      keys: rc.cookieKeys,
    },
    renderError: renderErrorPage(rc),
    // A client-jwt client's `jwks.url` is chosen by a realm administrator: its answer is read up to
    // 256 KB (oidc-provider's default has no limit for jwks_uri).
    fetchResponseBodyLimits: { jwks_uri: 256 * 1024 },
    // oidc-provider refuses loopback and private addresses for outgoing requests (SSRF guard);
    // OUTBOUND_ALLOW_PRIVATE_NETWORKS=true lifts that for back ends inside the cluster.
    ...(rc.allowPrivateNetworks
      ? {
          fetch: (url: Parameters<typeof fetch>[0], options?: RequestInit) =>
            globalThis.fetch(url, { ...options, dispatcher: undefined } as RequestInit),
        }
      : {}),
  };

  const provider = new Provider(rc.issuer, configuration);
  // koa-mount runs oidc-provider's middleware with its app as ctx.app, so ctx.ip (events, its own
  // logic) follows this app's proxy setting: the same as the server's (src/proxy-headers.ts).
  provider.proxy = rc.trustProxyHeaders;
  (provider as unknown as { app: { maxIpsCount: number } }).app.maxIpsCount = 1;
  installKeycloakTokens(provider, Provider, rc, rcClaims);
  registerPasswordGrant(provider, rc, rcClaims);

  // Keycloak redirect URI rules (wildcards, relative URIs), per oidc-provider's documented recipe
  // of overriding Client#redirectUriAllowed / #postLogoutRedirectUriAllowed.
  const ClientModel = provider.Client as unknown as {
    prototype: {
      clientId: string;
      includeSid(): boolean;
      redirectUriAllowed(uri: string): boolean;
      postLogoutRedirectUriAllowed(uri: string): boolean;
    };
  };
  // Keycloak's `sid` (the browser session's id) is in every token of the session; oidc-provider
  // records it on codes, and so on the tokens made from them, when Client#includeSid() is true.
  ClientModel.prototype.includeSid = () => true;
  ClientModel.prototype.redirectUriAllowed = function redirectUriAllowed(uri: string) {
    const kc = realm.client(this.clientId);
    return kc
      ? matchesRedirect(uri, redirectPatterns(kc, rc.baseUrl), {
          allowFragment: fragmentResponse(
            (Provider as unknown as { ctx?: KoaContextWithOIDC }).ctx,
          ),
        })
      : false;
  };
  ClientModel.prototype.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(
    uri: string,
  ) {
    const kc = realm.client(this.clientId);
    return kc ? matchesRedirect(uri, postLogoutPatterns(kc, rc.baseUrl)) : false;
  };

  installFlowChecks(provider, rc);
  installKeycloakResponses(provider, rc);
  installKeycloakLogout(provider, rc);
  installSessionDevices(provider, rc);
  installSsoSessions(provider, rc);
  installFrontchannelLogout(provider, rc);
  installEmptyTokenIntrospection(provider);
  // A device code form posted without the browser session (cookie gone, or no page shown first)
  // cannot pass the XSRF check, and oidc-provider fails (500) re-rendering it on a new session:
  // send the browser back to the verification page instead.
  provider.use(async (ctx, next) => {
    if (
      ctx.method === 'POST' &&
      ctx.path === KEYCLOAK_ROUTES.code_verification &&
      !ctx.cookies.get(COOKIE_NAMES.session)
    ) {
      ctx.status = 303;
      ctx.redirect(`${rc.issuer}${KEYCLOAK_ROUTES.code_verification}`);
      return;
    }
    await next();
  });
  // Keycloak login events for what oidc-provider does itself.
  const GRANT_EVENTS: Record<string, string> = {
    authorization_code: 'CODE_TO_TOKEN',
    refresh_token: 'REFRESH_TOKEN',
    client_credentials: 'CLIENT_LOGIN',
    [DEVICE_CODE_GRANT]: 'OAUTH2_DEVICE_CODE_TO_TOKEN',
  };
  addKcActionStatus(provider);
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const type =
      GRANT_EVENTS[String((ctx.oidc.params as Record<string, unknown> | undefined)?.grant_type)];
    const token = (ctx.oidc.entities as { AccessToken?: { accountId?: string } }).AccessToken;
    if (type)
      rc.loginEvent(type, {
        clientId: ctx.oidc.client?.clientId,
        userId: token?.accountId,
        ipAddress: ctx.ip,
      });
  });
  // And their _ERROR events, with the `error` Keycloak gives them and the reason in `details`. The
  // client is named when it exists, else as the form asked for it, cut to Keycloak's 255 characters
  // (anyone can send one); an HTTP Basic header that failed is not parsed here.
  provider.on(
    'grant.error',
    (
      ctx: KoaContextWithOIDC,
      err: { error?: string; error_detail?: string; error_description?: string },
    ) => {
      const params = (ctx.oidc.params ?? {}) as Record<string, unknown>;
      const grantType = String(params.grant_type);
      // The password grant records its own LOGIN_ERROR for the user's credentials (password-grant.ts);
      // a client that fails to authenticate never reaches it, and is a LOGIN_ERROR too, as in Keycloak.
      const type =
        grantType === 'password' && err.error === 'invalid_client'
          ? 'LOGIN'
          : GRANT_EVENTS[grantType];
      const error = type && keycloakGrantErrorEvent(grantType, err, !!ctx.oidc.client);
      if (!error) return;
      const source = ctx.oidc.entities as {
        RefreshToken?: { accountId?: string };
        AuthorizationCode?: { accountId?: string };
        DeviceCode?: { accountId?: string };
      };
      rc.loginEvent(`${type}_ERROR`, {
        clientId:
          ctx.oidc.client?.clientId ??
          (typeof params.client_id === 'string' ? params.client_id.slice(0, 255) : undefined),
        userId: (source.RefreshToken ?? source.AuthorizationCode ?? source.DeviceCode)?.accountId,
        ipAddress: ctx.ip,
        error,
        details: {
          grant_type: grantType,
          reason: String(err.error_detail ?? err.error_description ?? err.error).slice(0, 255),
        },
      });
    },
  );
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    rc.loginEvent('LOGOUT', {
      clientId: ctx.oidc.client?.clientId,
      userId: ctx.oidc.session?.accountId,
      ipAddress: ctx.ip,
    });
  });
  // The request id server.ts gave the request (its X-Request-Id response header), to find its request line.
  const requestId = (ctx: KoaContextWithOIDC | undefined) =>
    ctx?.response?.get('X-Request-Id') || undefined;
  provider.on('server_error', (ctx, err) =>
    rc.log.error(
      { requestId: requestId(ctx), err, realm: realm.name },
      'oidc-provider server error',
    ),
  );
  provider.on('backchannel.error', (ctx, err, client) =>
    rc.log.warn(
      {
        requestId: requestId(ctx),
        realm: realm.name,
        clientId: client.clientId,
        err: { message: (err as Error).message },
      },
      'back-channel logout delivery failed',
    ),
  );
  return provider;
}

/**
 * oidc-provider's Configuration for one realm: its clients and signing keys, Keycloak's routes,
 * scopes, response types, client authentication, lifespans (ttl.ts), features (features.ts),
 * hooks (extra-token-claims.ts, existing-grant.ts), interaction policy, cookies and outgoing
 * requests.
 */
import type { Configuration, KoaContextWithOIDC, ClientMetadata } from 'oidc-provider';
import {
  createRealmClaims,
  invalidScope,
  originAllowedOrOwn,
  sentScope,
  type RealmClaims,
} from '../claims.ts';
import { findAccountFor } from '../account.ts';
import { toClientMetadata } from '../clients.ts';
import { canAuthenticate, CLIENT_AUTH_METHODS, CLIENT_AUTH_SIGNING_ALGS } from '../client-auth.ts';
import { keycloakDiscovery } from '../discovery.ts';
import { createPostgresAdapter } from '../../../adapters/postgres.ts';
import { assertOfflineAllowed } from '../offline-access.ts';
import { COOKIE_NAMES, KEYCLOAK_ROUTES, LOGIN_ACTIONS } from '../../routes.ts';
import { SignerSigningKey } from '../signing-key.ts';
import { keycloakInteractionPolicy } from '../consent-check.ts';
import type { RealmContext } from '../realm-context.ts';
import { renderErrorPage } from '../../pages.ts';
import { CLAIMS, SCOPES } from './scopes.ts';
import { extraTokenClaims, type Entities } from './extra-token-claims.ts';
import { loadExistingGrant } from './existing-grant.ts';
import { providerFeatures } from './features.ts';
import { providerTtl } from './ttl.ts';

/** The realm's enabled OIDC clients that can authenticate, as oidc-provider client metadata. */
function realmClients(rc: RealmContext): ClientMetadata[] {
  return (
    rc.realm.clients
      .filter((c) => c.enabled && c.protocol === 'openid-connect')
      // A confidential client without a secret (the built-in bearer-only `realm-management` and
      // `broker`) can never authenticate: oidc-provider would refuse its metadata at each request
      // (`invalid_client_metadata`); left out, it is an unknown client (401 invalid_client). A
      // client-jwt client authenticates with its keys and needs no secret (client-auth.ts).
      .filter(canAuthenticate)
      .map((c) => toClientMetadata(rc, c))
  );
}

function signingKeys(rc: RealmContext): SignerSigningKey[] {
  // Asymmetric ACTIVE keys, best first (oidc-provider signs with the first key per alg), then
  // PASSIVE ones as verify-only keys (id_token_hint of tokens they signed still verifies).
  const asymmetric = rc.keys.keys.filter((k) => k.signer.publicJwk());
  return [
    ...asymmetric
      .filter((k) => k.record.status === 'ACTIVE')
      .map((k) => new SignerSigningKey(k.signer)),
    ...asymmetric
      .filter((k) => k.record.status === 'PASSIVE')
      .map((k) => new SignerSigningKey(k.signer, { verifyOnly: true })),
  ];
}

function enabledJWA(rc: RealmContext): Configuration['enabledJWA'] {
  const asymmetricAlgs = rc.keys.activeAlgs().filter((a) => !a.startsWith('HS')) as never[];
  return {
    idTokenSigningAlgValues: asymmetricAlgs,
    userinfoSigningAlgValues: asymmetricAlgs,
    introspectionSigningAlgValues: asymmetricAlgs,
    authorizationSigningAlgValues: asymmetricAlgs,
    clientAuthSigningAlgValues: CLIENT_AUTH_SIGNING_ALGS,
  } as Configuration['enabledJWA'];
}

// Keycloak 26 AuthorizationEndpointChecker.checkValidScope: a scope the client has not got is
// answered `invalid_scope` "Invalid scopes: {scope}" (after the redirect URI is checked). The
// scope as sent: oidc-provider has dropped the names it does not know from params by now.
function scopeParam(rc: RealmContext, rcClaims: RealmClaims): Configuration['extraParams'] {
  return {
    // Keycloak's application-initiated action (oidc/kc-action.ts); an unknown alias is ignored.
    kc_action: () => undefined,
    // Keycloak's kc_locale on the authorization URL (LocaleUtil.processLocaleParam in
    // AuthorizationEndpoint): kept for the login pages (interaction/login-locale.ts).
    kc_locale: () => undefined,
    scope: async (
      ctx: KoaContextWithOIDC,
      value: string | undefined,
      client: { clientId: string },
    ) => {
      const scope = sentScope(ctx as never, value);
      const kc = rc.realm.client(client.clientId);
      if (kc && !rcClaims.validScope(kc, scope)) throw invalidScope(scope);
    },
  };
}

function cookies(rc: RealmContext): Configuration['cookies'] {
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    path: `/realms/${rc.realm.name}/`,
    secure: rc.secureCookies,
    signed: true,
  };
  return {
    names: COOKIE_NAMES,
    long: cookieOptions,
    short: cookieOptions,
    keys: rc.cookieKeys,
  };
}

/** Hooks oidc-provider calls while issuing: refresh tokens, token claims, grants, CORS, pages. */
function issuingHooks(rc: RealmContext, rcClaims: RealmClaims, scopes: ReadonlySet<string>) {
  const { realm } = rc;
  return {
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
      originAllowedOrOwn(realm.client(client.clientId), origin, rc.baseUrl),
    interactions: {
      policy: keycloakInteractionPolicy(rc, rcClaims),
      url: (_ctx, interaction) => `/realms/${realm.name}${LOGIN_ACTIONS}/${interaction.uid}`,
    },
    renderError: renderErrorPage(rc),
  } satisfies Configuration;
}

/** Outgoing requests (client `jwks_uri`, back-channel logout): bounded, private networks opt-in. */
function outbound(rc: RealmContext): Configuration {
  return {
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
}

export function providerConfiguration(rc: RealmContext): {
  configuration: Configuration;
  rcClaims: RealmClaims;
} {
  const { realm } = rc;
  const rcClaims = createRealmClaims(realm, rc.log, rc.issuer);
  const scopes = new Set([...SCOPES, ...rcClaims.scopeNames]);
  const configuration: Configuration = {
    clients: realmClients(rc),
    adapter: createPostgresAdapter(rc.db, rc.realmId) as unknown as Configuration['adapter'],
    findAccount: findAccountFor(rc),
    jwks: { keys: signingKeys(rc) as unknown as NonNullable<Configuration['jwks']>['keys'] },
    routes: KEYCLOAK_ROUTES,
    scopes: [...scopes],
    extraParams: scopeParam(rc, rcClaims),
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
    enabledJWA: enabledJWA(rc),
    features: providerFeatures(rc),
    pkce: {
      required: (_ctx, client) => {
        const method = realm.client(client.clientId)?.attributes['pkce.code.challenge.method'];
        return method === 'S256' || method === 'plain';
      },
    },
    ttl: providerTtl(rc),
    ...issuingHooks(rc, rcClaims, scopes),
    cookies: cookies(rc),
    ...outbound(rc),
  };
  return { configuration, rcClaims };
}

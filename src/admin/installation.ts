/**
 * The client installation endpoint, `GET /admin/realms/{realm}/clients/{id}/installation/providers/{providerId}`
 * (Keycloak's ClientResource#getInstallationProvider), for the provider `keycloak-oidc-keycloak-json`:
 * the `keycloak.json` that keycloak-connect and Keycloak's other adapters read
 * (KeycloakOIDCClientInstallation#generateInstallation, Keycloak 26). Fields, in Keycloak's order
 * (ClientManager.InstallationAdapterConfig's @JsonPropertyOrder), each only where Keycloak writes it:
 * - `realm`, `auth-server-url` (this server's base URL with a trailing `/`), `ssl-required` (the
 *   realm's sslRequired), `resource` (the clientId);
 * - `bearer-only: true` for a bearer-only client, `public-client: true` for a public one;
 * - `verify-token-audience: true` when the client has client roles or a client scope has an
 *   audience mapper (`oidc-audience-mapper`) naming the client (showVerifyTokenAudience);
 * - `credentials` unless the client is public or bearer-only without a service account, from its
 *   authenticator's getAdapterConfiguration: `{"secret"}` (client-secret), `{"secret-jwt":
 *   {"secret", "algorithm"?}}` (client-secret-jwt), `{"jwt": {...keystore placeholders}}` (client-jwt);
 * - `use-resource-role-mappings: true` when the client has client roles;
 * - `confidential-port: 0` (always, as Keycloak writes it);
 * - `policy-enforcer: {}` when authorization services are enabled.
 * The answer is the pretty-printed JSON as text/plain, as Keycloak sends it. Another provider id
 * is 404 `{"error":"Unknown Provider"}` (Keycloak: NotFoundException "Unknown Provider").
 * The secret is shown: this endpoint is for the realm's administrators (realm admin check, as the
 * other client routes), as Keycloak's is.
 */
import type Router from '@koa/router';
import type { ClientRepresentation, RealmDocument } from '../model/representation.ts';
import { notFound } from './errors.ts';
import { realmScope, type AdminDeps } from './context.ts';

const KEYCLOAK_JSON = 'keycloak-oidc-keycloak-json';

type ProtocolMapper = { protocolMapper?: string; config?: Record<string, unknown> };

function hasClientRoles(doc: RealmDocument, clientId: string): boolean {
  const roles = (doc.roles as { client?: Record<string, unknown[]> } | undefined)?.client?.[
    clientId
  ];
  return Array.isArray(roles) && roles.length > 0;
}

/** A client scope with an audience mapper that includes this client (KeycloakOIDCClientInstallation.showVerifyTokenAudience). */
function audienceMapped(doc: RealmDocument, clientId: string): boolean {
  const scopes =
    (doc as { clientScopes?: { protocolMappers?: ProtocolMapper[] }[] }).clientScopes ?? [];
  return scopes.some((scope) =>
    (scope.protocolMappers ?? []).some(
      (m) =>
        m.protocolMapper === 'oidc-audience-mapper' &&
        m.config?.['included.client.audience'] === clientId,
    ),
  );
}

/** The client authenticator's adapter configuration (ClientIdAndSecretAuthenticator, JWTClientAuthenticator, JWTClientSecretAuthenticator). */
function credentials(client: ClientRepresentation): Record<string, unknown> {
  const type = String(
    (client as { clientAuthenticatorType?: unknown }).clientAuthenticatorType ?? 'client-secret',
  );
  const algorithm = client.attributes['token.endpoint.auth.signing.alg'];
  if (type === 'client-jwt') {
    return {
      jwt: {
        'client-key-password': 'REPLACE WITH THE KEY PASSWORD IN KEYSTORE',
        'client-keystore-file': 'REPLACE WITH THE LOCATION OF YOUR KEYSTORE FILE',
        'client-keystore-password': 'REPLACE WITH THE KEYSTORE PASSWORD',
        'client-key-alias': client.clientId,
        'token-timeout': 10,
        'client-keystore-type': 'jks',
        ...(algorithm ? { algorithm } : {}),
      },
    };
  }
  if (type === 'client-secret-jwt')
    return { 'secret-jwt': { secret: client.secret, ...(algorithm ? { algorithm } : {}) } };
  return { secret: client.secret };
}

/** Keycloak's `keycloak.json` for `client` of `doc` (field rules in the module comment). */
export function keycloakJson(
  doc: RealmDocument,
  client: ClientRepresentation,
  baseUrl: string,
): Record<string, unknown> {
  const roles = hasClientRoles(doc, client.clientId);
  const out: Record<string, unknown> = { realm: doc.realm };
  if (client.bearerOnly) out['bearer-only'] = true;
  out['auth-server-url'] = `${baseUrl.replace(/\/$/, '')}/`;
  out['ssl-required'] = String(doc.sslRequired ?? 'external').toLowerCase();
  out.resource = client.clientId;
  if (client.publicClient && !client.bearerOnly) out['public-client'] = true;
  if (roles || audienceMapped(doc, client.clientId)) out['verify-token-audience'] = true;
  if (!client.publicClient && !(client.bearerOnly && !client.serviceAccountsEnabled))
    out.credentials = credentials(client);
  if (roles) out['use-resource-role-mappings'] = true;
  out['confidential-port'] = 0;
  if (client.authorizationServicesEnabled) out['policy-enforcer'] = {};
  return out;
}

export function installationRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/clients/:id/installation/providers/:providerId', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const client = realm.doc.clients.find((c) => c.id === ctx.params.id);
    if (!client) throw notFound('Could not find client');
    if (ctx.params.providerId !== KEYCLOAK_JSON) throw notFound('Unknown Provider');
    ctx.type = 'text/plain';
    ctx.body = JSON.stringify(keycloakJson(realm.doc, client, deps.baseUrl), null, 2);
  });
}

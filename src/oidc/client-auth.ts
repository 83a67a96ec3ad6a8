/**
 * Client authentication at the token, introspection, revocation and logout endpoints, chosen by
 * the client's Keycloak `clientAuthenticatorType` (ClientRepresentation) and mapped to
 * oidc-provider's client metadata:
 * - `client-secret` (Keycloak's default, ClientIdAndSecretAuthenticator): `client_secret_basic`;
 *   oidc-provider accepts the same secret in the form (`client_secret_post`) for it too, as
 *   Keycloak does;
 * - `client-jwt` (JWTClientAuthenticator, RFC 7523 `private_key_jwt`): the client's keys come from
 *   `jwks.url` when `use.jwks.url` is "true" (fetched by oidc-provider, through its SSRF guard:
 *   loopback and private addresses are refused unless the operator set
 *   OUTBOUND_ALLOW_PRIVATE_NETWORKS), else from `jwks.string` when `use.jwks.string` is "true",
 *   else from the X.509 certificate `jwt.credential.certificate` (base64 DER, as Keycloak stores it);
 * - `client-secret-jwt` (JWTClientSecretAuthenticator): `client_secret_jwt`, an HMAC JWT keyed
 *   with the client secret.
 * `token.endpoint.auth.signing.alg` (OIDCConfigAttributes.TOKEN_ENDPOINT_AUTH_SIGNING_ALG) pins
 * the assertion's algorithm when set.
 */
import { X509Certificate } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import type { ClientRepresentation } from '../model/representation.ts';

/** The authentication methods that work here, for discovery's `*_auth_methods_supported`. */
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'client_secret_jwt',
  'none',
] as const;

/** Assertion algorithms accepted for private_key_jwt / client_secret_jwt (Keycloak's ClientSignatureVerifierProviders). */
export const CLIENT_AUTH_SIGNING_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'HS256',
  'HS384',
  'HS512',
];

type Jwk = Record<string, unknown>;

/** The public JWK of a base64 DER (or PEM) X.509 certificate, or undefined when it does not parse. */
function certificateJwk(certificate: string): Jwk | undefined {
  try {
    const der = certificate.includes('BEGIN')
      ? certificate
      : Buffer.from(certificate.replace(/\s+/g, ''), 'base64');
    const jwk = new X509Certificate(der).publicKey.export({ format: 'jwk' }) as Jwk;
    return { ...jwk, use: 'sig' };
  } catch {
    return undefined;
  }
}

function jwksString(value: string | undefined): { keys: Jwk[] } | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as { keys?: unknown };
    return Array.isArray(parsed.keys) ? { keys: parsed.keys as Jwk[] } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the client can authenticate at all (a secret, or keys for client-jwt); public clients need none. */
export function canAuthenticate(client: ClientRepresentation): boolean {
  if (client.publicClient) return true;
  if (authenticatorType(client) === 'client-jwt') return true;
  return Boolean(client.secret);
}

export function authenticatorType(client: ClientRepresentation): string {
  return String(
    (client as { clientAuthenticatorType?: unknown }).clientAuthenticatorType ?? 'client-secret',
  );
}

/**
 * The oidc-provider metadata for the client's authentication: `token_endpoint_auth_method`,
 * `client_secret`, `jwks_uri` or `jwks`, `token_endpoint_auth_signing_alg`. A client-jwt client
 * without usable keys gets an empty key set: every assertion then fails (401 invalid_client).
 */
export function clientAuthMetadata(client: ClientRepresentation): Partial<ClientMetadata> {
  if (client.publicClient) return { token_endpoint_auth_method: 'none' };
  const attrs = client.attributes;
  const alg = attrs['token.endpoint.auth.signing.alg'];
  // An algorithm of the wrong family (HMAC for client-jwt, or the reverse) is ignored, as one that is not known.
  const pin = (hmac: boolean) =>
    alg && CLIENT_AUTH_SIGNING_ALGS.includes(alg) && alg.startsWith('HS') === hmac
      ? {
          token_endpoint_auth_signing_alg: alg as ClientMetadata['token_endpoint_auth_signing_alg'],
        }
      : {};
  const secret = client.secret ? { client_secret: client.secret } : {};
  switch (authenticatorType(client)) {
    case 'client-jwt': {
      if (attrs['use.jwks.url'] === 'true' && /^https?:\/\//i.test(attrs['jwks.url'] ?? '')) {
        return {
          token_endpoint_auth_method: 'private_key_jwt',
          jwks_uri: attrs['jwks.url'],
          ...pin(false),
          ...secret,
        };
      }
      const fromString =
        attrs['use.jwks.string'] === 'true' ? jwksString(attrs['jwks.string']) : undefined;
      const fromCertificate = attrs['jwt.credential.certificate']
        ? certificateJwk(attrs['jwt.credential.certificate'])
        : undefined;
      const jwks = fromString ?? { keys: fromCertificate ? [fromCertificate] : [] };
      return {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: jwks as ClientMetadata['jwks'],
        ...pin(false),
        ...secret,
      };
    }
    case 'client-secret-jwt':
      return { token_endpoint_auth_method: 'client_secret_jwt', ...pin(true), ...secret };
    default:
      return { token_endpoint_auth_method: 'client_secret_basic', ...secret };
  }
}

/**
 * The user session notes Keycloak 26's ClientCredentialsGrantType sets for a service-account
 * token, read by the `service_account` scope's session-note mappers (`client_id`, `clientHost`,
 * `clientAddress`) and by the client-level "Client ID" mappers of older exports (`clientId`,
 * "for backwards compatibility"). No AUTH_TIME: a client_credentials token has no auth_time.
 */
export function serviceAccountNotes(
  clientId: string,
  remoteHost: string,
  remoteAddress: string,
): Record<string, string> {
  return { clientId, client_id: clientId, clientHost: remoteHost, clientAddress: remoteAddress };
}

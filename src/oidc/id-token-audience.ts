/**
 * The id token's `aud` as the protocol mappers made it. Keycloak's id token starts with the
 * client as its audience (AccessTokenResponseBuilder.generateIDToken) and an
 * oidc-audience-mapper with `id.token.claim` "true" adds its audience (AudienceProtocolMapper
 * implements OIDCIDTokenMapper; `id.token.claim` defaults to "false" for it). oidc-provider's
 * IdToken#issue signs with `audience: client.clientId` whatever the payload holds, so the issue
 * is run with a view of the client whose `clientId` is the mapped audience (only the signing
 * options read it; everything else reads the real client through the view).
 */

/** The audience list of a mapped `aud` claim (string or string array); [] when absent. */
function audiences(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}

/**
 * `client` itself when `aud` is just the client (or absent), else a view of it whose `clientId`
 * is the audience (a single string, or the list), methods bound to the real client.
 */
export function audienceView<T extends { clientId: string }>(client: T, aud: unknown): T {
  const list = audiences(aud);
  if (list.length === 0 || (list.length === 1 && list[0] === client.clientId)) return client;
  const audience = list.length === 1 ? list[0] : list;
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'clientId') return audience;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/**
 * Runs oidc-provider's `issue` for an id token with the mapped audience (see the module
 * comment); the token's own client is back in place once `issue` has read it (synchronously,
 * before its first await).
 */
export function issueWithMappedAudience<R>(
  token: { client: { clientId: string }; extra: Record<string, unknown> },
  issue: () => Promise<R>,
): Promise<R> {
  const own = token.client;
  token.client = audienceView(own, token.extra.aud);
  try {
    return issue();
  } finally {
    token.client = own;
  }
}

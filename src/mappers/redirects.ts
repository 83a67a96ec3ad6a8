/**
 * A client's redirect URIs made absolute, and URI origins/hosts, as Keycloak's
 * RedirectUtils.resolveValidRedirects (a relative URI starting with '/' is taken relative to the
 * client's rootUrl, or to this server when the client has none) and UriUtils.getOrigin
 * (`scheme://host[:port]`, the port only when the URI names one).
 */

const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/?#]*@)?([^/?#:]+|\[[^\]]+\])(?::(\d+))?/i;

/** `scheme://host[:port]` of an absolute URI (a trailing `*` wildcard allowed), or undefined. */
export function originOf(uri: string): string | undefined {
  const m = ORIGIN.exec(uri);
  return m ? `${m[1]}://${m[2]}${m[3] ? `:${m[3]}` : ''}` : undefined;
}

/** The host of an absolute URI, or undefined (java.net.URI.getHost). */
export function hostOf(uri: string): string | undefined {
  return ORIGIN.exec(uri)?.[2];
}

/** The client's redirect URIs, relative ones resolved against rootUrl or `serverOrigin`. */
export function resolveRedirects(
  rootUrl: string | undefined,
  redirectUris: readonly string[],
  serverOrigin?: string,
): string[] {
  const base = rootUrl ? rootUrl.replace(/\/$/, '') : serverOrigin;
  const resolved: string[] = [];
  for (const uri of redirectUris) {
    if (!uri.startsWith('/')) resolved.push(uri);
    else if (base) resolved.push(base + uri);
  }
  return resolved;
}

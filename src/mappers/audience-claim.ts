/**
 * Keycloak JsonWebToken.addAudience: appends an audience once. During a pipeline run `aud` is a
 * string array; pipeline.ts serialises a single audience as a string (Keycloak's
 * StringOrArraySerializer).
 */
import type { Claims } from './types.ts';

export function addAudience(claims: Claims, audience: string): void {
  const current = Array.isArray(claims.aud)
    ? (claims.aud as string[])
    : typeof claims.aud === 'string'
      ? [claims.aud]
      : [];
  if (!current.includes(audience)) claims.aud = [...current, audience];
}

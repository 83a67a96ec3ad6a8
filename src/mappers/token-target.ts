/**
 * Which access token a client gets: the lightweight one when its attribute
 * `client.use.lightweight.access.token.enabled` is "true" (Keycloak Constants
 * .USE_LIGHTWEIGHT_ACCESS_TOKEN_ENABLED, read by AbstractOIDCProtocolMapper
 * .getShouldUseLightweightToken), else the full one.
 */
import type { ClientRepresentation } from '../model/representation.ts';
import type { TokenTarget } from './types.ts';

export function accessTokenTarget(client: ClientRepresentation): TokenTarget {
  return client.attributes?.['client.use.lightweight.access.token.enabled'] === 'true'
    ? 'lightweight'
    : 'access';
}

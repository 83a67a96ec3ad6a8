/**
 * Introspection of an empty `token`: Keycloak's TokenIntrospectionEndpoint refuses only a missing
 * one (400 "Token not provided."); an empty one goes to AccessTokenIntrospectionProvider, which
 * answers `200 {"active":false}` (RFC 7662 §2.2). keycloak-connect's validateAccessToken relies on
 * that. oidc-provider refuses both as a missing parameter, so an empty token is handed on as an id
 * that matches nothing. The form is parsed by server.ts before oidc-provider runs.
 */
import { randomUUID } from 'node:crypto';
import type { Provider } from 'oidc-provider';
import { KEYCLOAK_ROUTES } from '../routes.ts';

export function installEmptyTokenIntrospection(provider: Provider): void {
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === KEYCLOAK_ROUTES.introspection) {
      const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body;
      if (body && body.token === '') body.token = `invalid-${randomUUID()}`;
    }
    await next();
  });
}

/**
 * Introspection and revocation take our JWT-wrapped tokens (oidc/keycloak-tokens.ts): verify the
 * JWT here and hand oidc-provider the record id, marked as verified for this request only. An
 * invalid JWT becomes an id that matches nothing, so introspection answers `{"active":false}`
 * and revocation 200, as RFC 7662 §2.2 and RFC 7009 §2.2 require.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { RealmRuntime } from '../runtime/registry.ts';
import { parseTokenForm } from '../request-limits.ts';
import { unwrapForTokenEndpoint } from '../oidc/keycloak-tokens.ts';

export async function unwrapTokenParam(ctx: Context, runtime: RealmRuntime): Promise<void> {
  await parseTokenForm(ctx, async () => undefined);
  const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body;
  // keycloak-connect sends its credentials twice (Basic header and client_id/client_secret in the
  // body); Keycloak takes the header. oidc-provider refuses two mechanisms, so keep the header.
  if (body && typeof body.client_secret === 'string' && /^Basic /i.test(ctx.get('authorization'))) {
    delete body.client_secret;
    delete body.client_id;
  }
  const token = body?.token;
  if (!body || typeof token !== 'string' || token.split('.').length !== 3) return;
  body.token =
    (await unwrapForTokenEndpoint(runtime.rc, token, ctx.state as Record<PropertyKey, unknown>)) ??
    `invalid-${randomUUID()}`;
}

/**
 * `GET /realms/{realm}/account` with `Accept: application/json`: the account API call keycloak-js
 * makes for `loadUserProfile()` (Keycloak's account REST resource, UserRepresentation subset).
 * Bearer access token of the realm; CORS for the origins of the token's client (`webOrigins`).
 */
import type { Context } from 'koa';
import type { RealmRuntime } from '../realm/registry.ts';
import { originAllowed } from '../oidc/claims.ts';
import { findUserById } from '../store/users.ts';

function corsOrigin(runtime: RealmRuntime, origin: string, clientId?: string): string | undefined {
  if (!origin) return undefined;
  const clients = clientId ? [runtime.rc.realm.client(clientId)] : runtime.rc.realm.clients;
  return clients.some((c) => originAllowed(c, origin)) ? origin : undefined;
}

export async function handleAccount(
  ctx: Context,
  runtime: RealmRuntime,
  rest: string,
): Promise<boolean> {
  if (rest !== '/account' && rest !== '/account/') return false;
  const origin = ctx.get('origin');
  if (ctx.method === 'OPTIONS') {
    const allowed = corsOrigin(runtime, origin);
    if (allowed) {
      ctx.set('Access-Control-Allow-Origin', allowed);
      ctx.set('Access-Control-Allow-Methods', 'GET, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', 'Authorization, Accept, Content-Type');
      ctx.set('Access-Control-Max-Age', '3600');
      ctx.set('Access-Control-Allow-Credentials', 'true');
      ctx.set('Vary', 'Origin');
    }
    ctx.body = null;
    ctx.status = 204;
    return true;
  }
  if (ctx.method !== 'GET') return false;
  const token = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
  const models = runtime.provider as unknown as {
    AccessToken: { find(v: string): Promise<{ accountId?: string; clientId: string } | undefined> };
  };
  const access = token ? await models.AccessToken.find(token) : undefined;
  if (access) {
    const allowed = corsOrigin(runtime, origin, access.clientId);
    if (allowed) {
      ctx.set('Access-Control-Allow-Origin', allowed);
      ctx.set('Access-Control-Allow-Credentials', 'true');
      ctx.set('Vary', 'Origin');
    }
  }
  const user = access?.accountId
    ? await findUserById(runtime.rc.db, runtime.rc.realmId, access.accountId)
    : undefined;
  if (!user || !user.enabled) {
    ctx.status = 401;
    ctx.set('WWW-Authenticate', `Bearer realm="${runtime.rc.realm.name}"`);
    ctx.body = { error: 'invalid_token', error_description: 'Token verification failed' };
    return true;
  }
  ctx.set('Cache-Control', 'no-store');
  ctx.body = {
    id: user.id,
    username: user.username,
    firstName: user.firstName,
    lastName: user.lastName,
    email: user.email,
    emailVerified: user.emailVerified ?? false,
    attributes: user.attributes ?? {},
  };
  return true;
}

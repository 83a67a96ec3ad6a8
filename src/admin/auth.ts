/**
 * Admin authentication like Keycloak's: a bearer access token issued by the `master` realm (its
 * `admin-cli` client, password grant) whose user holds the `admin` realm role administers every
 * realm; a token of any realm whose user holds `realm-management` / `realm-admin` administers that
 * realm. The token must verify against its realm's keys and still be live (not revoked, not
 * expired, its session not ended).
 */
import { decodeJwt } from 'jose';
import type { Context, Next } from 'koa';
import type { RealmRegistry } from '../realm/registry.ts';
import { forbidden, unauthorized } from './errors.ts';

export interface AdminIdentity {
  realm: string;
  username: string;
  /**
   * Keycloak's AuthDetails of admin events: the caller's realm id, client id (the client's `id`,
   * not its clientId, as Keycloak records it; the clientId when the client has none) and user id
   * (the token's `sub`).
   */
  authDetails: { realmId: string; clientId?: string; userId?: string };
  /** master realm `admin` role: every realm. */
  superAdmin: boolean;
  /** realms administered through `realm-management`/`realm-admin`. */
  realmAdminOf: Set<string>;
}

export const canAdminister = (admin: AdminIdentity, realm: string) => admin.superAdmin || admin.realmAdminOf.has(realm);

type Claims = { iss?: string; jti?: string; sub?: string; azp?: string; preferred_username?: string; realm_access?: { roles?: string[] }; resource_access?: Record<string, { roles?: string[] }> };

export function adminAuthentication(registry: RealmRegistry) {
  return async (ctx: Context, next: Next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
    if (!match) throw unauthorized();
    const token = match[1];
    let claims: Claims;
    try {
      // Only to find the realm; the signature is checked below. jose rejects a payload that is not a JSON object.
      claims = decodeJwt(token) as Claims;
    } catch {
      throw unauthorized();
    }
    const realmName = typeof claims.iss === 'string' ? /\/realms\/([^/]+)$/.exec(claims.iss)?.[1] : undefined;
    const runtime = realmName ? await registry.get(realmName) : undefined;
    if (!runtime || claims.iss !== runtime.rc.issuer) throw unauthorized();
    // One lookup, which checks signature, typ and issuer, then the token's record (revocation,
    // expiry, session): a service account's token is transient (jti prefix "tr", Keycloak 26),
    // a user's is stored. The unverified jti only picks the model; the model verifies.
    const models = runtime.provider as unknown as { AccessToken: { find(v: string): Promise<unknown> }; ClientCredentials: { find(v: string): Promise<unknown> } };
    const transient = typeof claims.jti === 'string' && claims.jti.startsWith('tr');
    const live = await (transient ? models.ClientCredentials : models.AccessToken).find(token);
    if (!live || (live as { isExpired?: boolean }).isExpired) throw unauthorized();
    const admin: AdminIdentity = {
      realm: realmName!,
      username: claims.preferred_username ?? 'unknown',
      authDetails: {
        realmId: runtime.rc.realmId,
        clientId: typeof claims.azp === 'string' ? (runtime.rc.realm.client(claims.azp)?.id ?? claims.azp) : undefined,
        userId: typeof claims.sub === 'string' ? claims.sub : undefined,
      },
      superAdmin: realmName === 'master' && (claims.realm_access?.roles ?? []).includes('admin'),
      realmAdminOf: new Set((claims.resource_access?.['realm-management']?.roles ?? []).includes('realm-admin') ? [realmName!] : []),
    };
    ctx.state.admin = admin;
    await next();
  };
}

/** The caller may administer `realm`. @throws AdminError 403 */
export function requireRealmAdmin(ctx: Context, realm: string): AdminIdentity {
  const admin = ctx.state.admin as AdminIdentity;
  if (!canAdminister(admin, realm)) throw forbidden();
  return admin;
}

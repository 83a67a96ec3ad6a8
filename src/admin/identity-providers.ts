/**
 * Identity providers, read only (Keycloak's IdentityProvidersResource):
 * `GET /admin/realms/{realm}/identity-provider/instances` lists the realm's identity providers as
 * its file gave them, secrets masked as in the realm representation (realms.ts). This server
 * brokers no login to them, so a realm without any (every realm made here) answers `[]`, which
 * the Admin Console shows as an empty list.
 */
import type Router from '@koa/router';
import { realmScope, type AdminDeps } from './context.ts';
import { realmRep } from './realms.ts';

export function identityProviderRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/identity-provider/instances', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const listed = realmRep(realm.doc).identityProviders;
    ctx.body = Array.isArray(listed) ? listed : [];
  });
}

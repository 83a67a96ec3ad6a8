/**
 * `POST /admin/realms/{realm}/partial-export?exportClients=&exportGroupsAndRoles=` (Keycloak
 * RealmAdminResource.partialExport): the realm as ExportUtils.exportRealm writes it with
 * ExportOptions(users false, clients, groupsAndRoles, service accounts = clients), then
 * StripSecretsUtils.stripForExport: client secrets, secret component config (a key provider's
 * `privateKey`, `secret`), the SMTP password and identity-provider client secrets become
 * `**********`. Both flags default to false; clients without the flag, roles and groups without
 * theirs, are left out, as are the users but for the clients' service accounts.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { exportUsers, realmRepresentation } from '../realm/export.ts';
import { SECRET_CONFIG_KEYS } from '../keys/providers.ts';
import { realmRep, SECRET_MASK } from './realms.ts';
import { realmScope, type AdminDeps } from './context.ts';

type Loose = Record<string, unknown>;
const ROTATED = 'client.secret.rotated';

/** Keycloak's `@QueryParam Boolean`: true only for "true" (any case). */
const flag = (ctx: Context, name: string) => String(ctx.query[name] ?? '').toLowerCase() === 'true';

/** Components with their secret config values masked (StripSecretsUtils.stripComponent). */
function maskComponents(
  components: Record<string, Loose[]> | undefined,
): Record<string, Loose[]> | undefined {
  if (!components) return components;
  return Object.fromEntries(
    Object.entries(components).map(([type, list]) => [
      type,
      list.map((c) => {
        const config = { ...(c.config as Loose | undefined) };
        for (const key of SECRET_CONFIG_KEYS)
          if (config[key] !== undefined) config[key] = [SECRET_MASK];
        return { ...c, config };
      }),
    ]),
  );
}

/** A client with its secrets masked (StripSecretsUtils.stripClient). */
function maskClient(client: Loose): Loose {
  const attributes = { ...(client.attributes as Loose | undefined) };
  if (attributes[ROTATED] !== undefined) attributes[ROTATED] = SECRET_MASK;
  return { ...client, ...(client.secret !== undefined ? { secret: SECRET_MASK } : {}), attributes };
}

export function partialExportRoutes(router: Router, deps: AdminDeps): void {
  router.post('/:realm/partial-export', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const clients = flag(ctx, 'exportClients');
    const groupsAndRoles = flag(ctx, 'exportGroupsAndRoles');
    const full = (await realmRepresentation(deps.db, realm)) as unknown as Loose;
    // SMTP password and broker secrets masked as GET /admin/realms/{realm} shows them.
    const settings = realmRep(realm.doc);
    const rep: Loose = {
      ...full,
      smtpServer: settings.smtpServer,
      identityProviders: settings.identityProviders,
      components: maskComponents(full.components as Record<string, Loose[]>),
    };
    if (rep.smtpServer === undefined) delete rep.smtpServer;
    if (rep.identityProviders === undefined) delete rep.identityProviders;
    delete rep.users;
    if (clients) {
      rep.clients = (full.clients as Loose[]).map(maskClient);
      const accounts = (await exportUsers(deps.db, realm.id)).filter(
        (u) => u.serviceAccountClientId,
      );
      rep.users = accounts.map(({ credentials: _c, ...u }) =>
        groupsAndRoles ? u : { ...u, realmRoles: [], clientRoles: {}, groups: [] },
      );
    } else {
      delete rep.clients;
    }
    if (!groupsAndRoles) {
      delete rep.roles;
      delete rep.groups;
    }
    ctx.body = rep;
  });
}

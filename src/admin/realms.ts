/**
 * Realms (`/admin/realms`), Keycloak's RealmsAdminResource/RealmAdminResource subset: list, get,
 * create (from a RealmRepresentation, like an import), update (settings), delete.
 */
import type Router from '@koa/router';
import { realmSchema, type RealmDocument, type RealmRepresentation } from '../realm/representation.ts';
import { deleteRealm, findRealm, listRealms, updateRealmDoc } from '../store/realms.ts';
import { importRealm, parseRealm, RealmImportError, formatPath } from '../realm/import.ts';
import { listKeys } from '../keys/repository.ts';
import type { AdminIdentity } from './auth.ts';
import { canAdminister, requireRealmAdmin } from './auth.ts';
import { AdminError, badRequest, conflict, forbidden, notFound } from './errors.ts';
import { commit, created, jsonBody, noContent, type AdminDeps } from './context.ts';

const SUB_RESOURCES = ['users', 'clients', 'roles', 'groups', 'components'] as const;

/** RealmRepresentation as GET /admin/realms/{realm} returns it: settings, no sub-resources. */
export function realmRep(doc: RealmDocument) {
  const rep: Record<string, unknown> = { ...doc };
  for (const key of SUB_RESOURCES) delete rep[key];
  return rep;
}

/** A realm document after a settings change, validated. @throws AdminError 400 naming the first bad field */
export function validRealmSettings(doc: unknown): RealmRepresentation {
  const parsed = realmSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw badRequest(`${formatPath(issue.path)}: ${issue.message}`, formatPath(issue.path));
}

export function realmRoutes(router: Router, deps: AdminDeps): void {
  router.get('/', async (ctx) => {
    const admin = ctx.state.admin as AdminIdentity;
    ctx.body = (await listRealms(deps.db)).filter((r) => canAdminister(admin, r.name)).map((r) => realmRep(r.doc));
  });

  router.post('/', async (ctx) => {
    const admin = ctx.state.admin as AdminIdentity;
    if (!admin.superAdmin) throw forbidden();
    let rep;
    try {
      rep = parseRealm(jsonBody(ctx), 'realm');
    } catch (err) {
      if (err instanceof RealmImportError) throw badRequest(err.problems.map((p) => `${p.path}: ${p.reason}`).join('; '), err.problems[0]?.path);
      throw err;
    }
    const result = await importRealm(deps.db, deps.kek, rep);
    if (result.status === 'skipped') throw conflict(`Realm ${rep.realm} already exists`);
    deps.registry.invalidate(rep.realm);
    created(ctx, deps, `/${rep.realm}`);
  });

  router.get('/:realm', async (ctx) => {
    requireRealmAdmin(ctx, ctx.params.realm);
    const realm = await findRealm(deps.db, ctx.params.realm);
    if (!realm) throw notFound('Realm not found.');
    ctx.body = realmRep(realm.doc);
  });

  router.put('/:realm', async (ctx) => {
    requireRealmAdmin(ctx, ctx.params.realm);
    const body = jsonBody(ctx);
    for (const key of SUB_RESOURCES) delete body[key];
    if (body.realm !== undefined && body.realm !== ctx.params.realm) throw badRequest('renaming a realm is not supported', 'realm');
    await commit(deps, ctx.params.realm, (tx) => updateRealmDoc(tx, ctx.params.realm, async (doc) => {
      const parsed = validRealmSettings({ ...doc, ...body, id: doc.id });
      const next = { ...doc, ...parsed, users: [], clients: doc.clients, roles: doc.roles, groups: doc.groups, components: doc.components, id: doc.id };
      const active = new Set((await listKeys(tx, doc.id)).filter((k) => k.status === 'ACTIVE').map((k) => k.alg));
      if (!active.has(next.defaultSignatureAlgorithm)) throw badRequest(`defaultSignatureAlgorithm: the realm has no active key for alg "${next.defaultSignatureAlgorithm}"`, 'defaultSignatureAlgorithm');
      return next;
    }).catch((err) => {
      if ((err as Error).name === 'RealmNotFoundError') throw notFound('Realm not found.');
      throw err;
    }));
    noContent(ctx);
  });

  router.delete('/:realm', async (ctx) => {
    requireRealmAdmin(ctx, ctx.params.realm);
    if (ctx.params.realm === 'master') throw new AdminError(400, { errorMessage: 'The master realm cannot be deleted' });
    if (!await deleteRealm(deps.db, ctx.params.realm)) throw notFound('Realm not found.');
    deps.registry.invalidate(ctx.params.realm);
    noContent(ctx);
  });
}

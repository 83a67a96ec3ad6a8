/**
 * The realm's required actions in the admin API, Keycloak's AuthenticationManagementResource:
 * `GET /authentication/required-actions` (RequiredActionProviderRepresentation list, priority
 * order), `GET|PUT|DELETE /authentication/required-actions/{alias}`,
 * `POST /authentication/required-actions/{alias}/raise-priority|lower-priority`,
 * `GET /authentication/unregistered-required-actions` (Keycloak's known providers the realm
 * lacks: `{providerId, name}`), `POST /authentication/register-required-action`
 * (`{providerId, name}`). Stored in the realm document's `requiredActions` (a realm without the
 * list has Keycloak's defaults, realm/required-actions.ts, written out on the first change).
 * Errors as Keycloak's: unknown alias 404 "Failed to find required action", a provider already
 * registered 400.
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import {
  KEYCLOAK_DEFAULT_ACTIONS,
  realmRequiredActions,
  type RequiredActionProvider,
} from '../realm/required-actions.ts';
import { updateRealmDoc } from '../store/realms.ts';
import type { RealmDocument } from '../model/representation.ts';
import { badRequest, notFound } from './errors.ts';
import { commit, jsonBody, noContent, realmScope, type AdminDeps } from './context.ts';

const NOT_FOUND = 'Failed to find required action';

type Change = (list: RequiredActionProvider[]) => RequiredActionProvider[];

async function change(deps: AdminDeps, realm: string, f: Change): Promise<void> {
  await commit(deps, realm, (tx) =>
    updateRealmDoc(tx, realm, (doc: RealmDocument) => ({
      ...doc,
      requiredActions: f(realmRequiredActions(doc)),
    })),
  );
}

function find(list: RequiredActionProvider[], alias: string): RequiredActionProvider {
  const found = list.find((a) => a.alias === alias);
  if (!found) throw notFound(NOT_FOUND);
  return found;
}

/** A PUT body merged onto the stored entry (alias and providerId stay). @throws AdminError 400 */
function updated(current: RequiredActionProvider, body: Record<string, unknown>) {
  const bool = (key: string, fallback: boolean) => {
    if (body[key] === undefined) return fallback;
    if (typeof body[key] !== 'boolean') throw badRequest(`${key} must be a boolean`);
    return body[key] as boolean;
  };
  const priority = body.priority ?? current.priority;
  if (!Number.isSafeInteger(priority)) throw badRequest('priority must be an integer');
  const config = body.config ?? current.config;
  if (!config || typeof config !== 'object' || Array.isArray(config))
    throw badRequest('config must be an object');
  if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length > 255))
    throw badRequest('name must be a string');
  const enabled = bool('enabled', current.enabled);
  return {
    ...current,
    name: (body.name as string | undefined) ?? current.name,
    enabled,
    // A disabled action is nobody's default.
    defaultAction: enabled && bool('defaultAction', current.defaultAction),
    priority: priority as number,
    config: config as Record<string, string>,
  };
}

/** Swaps the entry with its neighbour in priority order (Keycloak's raise/lower priority). */
function move(list: RequiredActionProvider[], alias: string, by: -1 | 1) {
  const i = list.findIndex((a) => a.alias === alias);
  if (i < 0) throw notFound(NOT_FOUND);
  const j = i + by;
  if (j < 0 || j >= list.length) return list;
  const out = list.map((a) => ({ ...a }));
  const p = out[i].priority;
  out[i].priority = out[j].priority === p ? p + by : out[j].priority;
  out[j].priority = p;
  return out;
}

/** GET /:realm/authentication/required-actions */
const listActions =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    ctx.body = realmRequiredActions((await realmScope(deps, ctx)).realm.doc);
  };

/** GET /:realm/authentication/required-actions/:alias */
const getAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    ctx.body = find(
      realmRequiredActions((await realmScope(deps, ctx)).realm.doc),
      ctx.params.alias,
    );
  };

/** PUT /:realm/authentication/required-actions/:alias */
const updateAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody(ctx);
    await change(deps, realm.name, (list) => {
      const next = updated(find(list, ctx.params.alias), body);
      return list.map((a) => (a.alias === next.alias ? next : a));
    });
    noContent(ctx);
  };

/** DELETE /:realm/authentication/required-actions/:alias */
const deleteAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await change(deps, realm.name, (list) => {
      find(list, ctx.params.alias);
      return list.filter((a) => a.alias !== ctx.params.alias);
    });
    noContent(ctx);
  };

/** GET /:realm/authentication/unregistered-required-actions */
const listUnregistered =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const registered = new Set(
      realmRequiredActions((await realmScope(deps, ctx)).realm.doc).map((a) => a.providerId),
    );
    ctx.body = KEYCLOAK_DEFAULT_ACTIONS.filter((a) => !registered.has(a.providerId)).map((a) => ({
      providerId: a.providerId,
      name: a.name,
    }));
  };

/** POST /:realm/authentication/register-required-action */
const registerAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = jsonBody<{ providerId?: unknown; name?: unknown }>(ctx);
    const known = KEYCLOAK_DEFAULT_ACTIONS.find((a) => a.providerId === body.providerId);
    if (!known) throw badRequest('Unknown required action provider');
    await change(deps, realm.name, (list) => {
      if (list.some((a) => a.alias === known.alias))
        throw badRequest('Required action provider already registered');
      const priority = Math.max(0, ...list.map((a) => a.priority)) + 10;
      const name = typeof body.name === 'string' && body.name ? body.name : known.name;
      return [...list, { ...known, name, enabled: true, defaultAction: false, priority }];
    });
    noContent(ctx);
  };

export function requiredActionRoutes(router: Router, deps: AdminDeps): void {
  const base = '/:realm/authentication/required-actions';
  router.get(base, listActions(deps));
  router.get(`${base}/:alias`, getAction(deps));
  router.put(`${base}/:alias`, updateAction(deps));
  router.delete(`${base}/:alias`, deleteAction(deps));
  for (const [segment, by] of [
    ['raise-priority', -1],
    ['lower-priority', 1],
  ] as const) {
    router.post(`${base}/:alias/${segment}`, async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      await change(deps, realm.name, (list) => move(list, ctx.params.alias, by));
      noContent(ctx);
    });
  }
  router.get('/:realm/authentication/unregistered-required-actions', listUnregistered(deps));
  router.post('/:realm/authentication/register-required-action', registerAction(deps));
}

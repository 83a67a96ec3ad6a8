/**
 * Realms (`/admin/realms`), Keycloak's RealmsAdminResource/RealmAdminResource subset: list, get,
 * create (from a RealmRepresentation, like an import), update (settings), delete.
 */
import type Router from '@koa/router';
import {
  realmSchema,
  type RealmDocument,
  type RealmRepresentation,
} from '../model/representation.ts';
import { deleteRealm, findRealm, listRealms, updateRealmDoc } from '../store/realms.ts';
import { importRealm, parseRealm, RealmImportError, formatPath } from '../realm/import.ts';
import { listKeys } from '../keys/repository.ts';
import type { AdminIdentity } from './auth.ts';
import { canAdminister, hasPermission, requireRealmAdmin } from './auth.ts';
import type { Context, Middleware } from 'koa';
import { AdminError, badRequest, conflict, forbidden, notFound } from './errors.ts';
import { parsePasswordPolicy, PasswordPolicyConfigError } from '../realm/password-policy.ts';
import { commit, created, jsonBody, noContent, type AdminDeps } from './context.ts';

const SUB_RESOURCES = ['users', 'clients', 'roles', 'groups', 'components'] as const;

/** Keycloak's ComponentRepresentation.SECRET_VALUE: what an admin GET shows instead of a secret. */
export const SECRET_MASK = '**********';

/**
 * h20b: a `passwordPolicy` the realm update would store, parsed strictly (PasswordPolicy.parse's
 * ModelException: 400 "Password policy not found", "Invalid config for {id}: {reason}").
 * @throws AdminError 400
 */
function checkPasswordPolicy(policy: unknown): void {
  if (policy === undefined || policy === null) return;
  if (typeof policy !== 'string') throw badRequest('passwordPolicy must be a string');
  try {
    parsePasswordPolicy(policy, { strict: true });
  } catch (err) {
    if (err instanceof PasswordPolicyConfigError) throw badRequest(err.message);
    throw err;
  }
}
/** Secret keys of `smtpServer` and of an identity provider's `config` (Keycloak StripSecretsUtils). */
const SMTP_SECRETS = ['password', 'authTokenClientSecret'];
const BROKER_SECRETS = ['clientSecret'];

type Config = Record<string, unknown>;
type Broker = { alias?: unknown; config?: Config };

/** StripSecretsUtils.maskNonVaultValue: a `${vault.key}` reference is shown, any other value masked. */
const masked = (value: unknown) =>
  typeof value === 'string' && /^\$\{vault\.(.+?)}$/.test(value) ? value : SECRET_MASK;

/** `config` with the values of `keys` masked (a key that is absent stays absent). */
function maskConfig(config: unknown, keys: string[]): unknown {
  if (!config || typeof config !== 'object') return config;
  const copy: Config = { ...config };
  for (const key of keys)
    if (copy[key] !== undefined && copy[key] !== null) copy[key] = masked(copy[key]);
  return copy;
}

/**
 * `incoming` with every masked secret replaced by the stored one (Keycloak RepresentationToModel
 * updateRealm / updateIdentityProvider: a SECRET_VALUE that comes back keeps the stored value).
 */
function unmaskConfig(incoming: unknown, stored: unknown, keys: string[]): unknown {
  if (!incoming || typeof incoming !== 'object') return incoming;
  const copy: Config = { ...incoming };
  for (const key of keys) {
    if (copy[key] === SECRET_MASK) copy[key] = (stored as Config | undefined)?.[key];
    if (copy[key] === undefined) delete copy[key];
  }
  return copy;
}

/** RealmRepresentation as GET /admin/realms/{realm} returns it: settings, no sub-resources, secrets masked. */
export function realmRep(doc: RealmDocument) {
  const rep: Record<string, unknown> = { ...doc };
  for (const key of SUB_RESOURCES) delete rep[key];
  if (rep.smtpServer) rep.smtpServer = maskConfig(rep.smtpServer, SMTP_SECRETS);
  if (Array.isArray(rep.identityProviders)) {
    rep.identityProviders = (rep.identityProviders as Broker[]).map((b) =>
      b && typeof b === 'object' && b.config
        ? { ...b, config: maskConfig(b.config, BROKER_SECRETS) }
        : b,
    );
  }
  return rep;
}

/** A settings body (PUT /admin/realms/{realm}) with masked secrets restored from `doc`. */
export function withStoredSecrets(body: Config, doc: RealmDocument): Config {
  const stored = doc as unknown as { smtpServer?: Config; identityProviders?: Broker[] };
  const next = { ...body };
  if (next.smtpServer)
    next.smtpServer = unmaskConfig(next.smtpServer, stored.smtpServer, SMTP_SECRETS);
  if (Array.isArray(next.identityProviders)) {
    next.identityProviders = (next.identityProviders as Broker[]).map((b) => {
      if (!b || typeof b !== 'object' || !b.config) return b;
      const old = stored.identityProviders?.find((o) => o?.alias === b.alias);
      return { ...b, config: unmaskConfig(b.config, old?.config, BROKER_SECRETS) };
    });
  }
  return next;
}

/** A realm document after a settings change, validated. @throws AdminError 400 naming the first bad field */
export function validRealmSettings(doc: unknown): RealmRepresentation {
  const parsed = realmSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw badRequest(`${formatPath(issue.path)}: ${issue.message}`, formatPath(issue.path));
}

/**
 * The realm as a caller without view-realm sees it (RealmAdminResource.getRealm's minimal
 * representation): name, display names, locales, brute-force flag, and
 * registrationEmailAsUsername for a caller who may view users.
 */
function minimalRealmRep(ctx: Context, doc: RealmDocument) {
  const d = doc as unknown as Record<string, unknown>;
  return {
    realm: doc.realm,
    displayName: d.displayName,
    displayNameHtml: d.displayNameHtml,
    defaultLocale: d.defaultLocale,
    supportedLocales: d.supportedLocales ?? [],
    bruteForceProtected: d.bruteForceProtected ?? false,
    ...(hasPermission(ctx, doc.realm, 'users.view')
      ? { registrationEmailAsUsername: d.registrationEmailAsUsername ?? false }
      : {}),
  };
}

/** The full representation with view-realm, the minimal one otherwise. */
const visibleRealmRep = (ctx: Context, doc: RealmDocument) =>
  hasPermission(ctx, doc.realm, 'realm.view') ? realmRep(doc) : minimalRealmRep(ctx, doc);

/** GET /: RealmsAdminResource.getRealms: the realms the caller holds any admin role of, each in full
with view-realm, minimal otherwise. */
const listRealmsAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const admin = ctx.state.admin as AdminIdentity;
    ctx.body = (await listRealms(deps.db))
      .filter((r) => canAdminister(admin, r.name))
      .map((r) => visibleRealmRep(ctx, r.doc));
  };

/** POST / */
const createRealm =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    const admin = ctx.state.admin as AdminIdentity;
    if (!admin.superAdmin) throw forbidden();
    let rep;
    try {
      // No `${VAR}` resolution: an administrator sends data, never a name of the server's environment.
      rep = parseRealm(jsonBody(ctx), 'realm', process.env, false);
    } catch (err) {
      if (err instanceof RealmImportError)
        throw badRequest(
          err.problems.map((p) => `${p.path}: ${p.reason}`).join('; '),
          err.problems[0]?.path,
        );
      throw err;
    }
    checkPasswordPolicy((rep as { passwordPolicy?: unknown }).passwordPolicy);
    const result = await importRealm(deps.db, deps.kek, rep, { backends: deps.registry.backends });
    if (result.status === 'skipped') throw conflict(`Realm ${rep.realm} already exists`);
    deps.registry.invalidate(rep.realm);
    created(ctx, deps, `/${rep.realm}`);
  };

/** GET /:realm */
const getRealm =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    requireRealmAdmin(ctx, ctx.params.realm);
    const realm = await findRealm(deps.db, ctx.params.realm);
    if (!realm) throw notFound('Realm not found.');
    ctx.body = visibleRealmRep(ctx, realm.doc);
  };

/** PUT /:realm */
const updateRealm =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    requireRealmAdmin(ctx, ctx.params.realm);
    const body = jsonBody(ctx);
    for (const key of SUB_RESOURCES) delete body[key];
    if (body.realm !== undefined && body.realm !== ctx.params.realm)
      throw badRequest('renaming a realm is not supported', 'realm');
    await commit(deps, ctx.params.realm, (tx) =>
      updateRealmDoc(tx, ctx.params.realm, async (doc) => {
        // Only a changed policy: a stored one we read leniently must not block other settings.
        if (body.passwordPolicy !== (doc as { passwordPolicy?: unknown }).passwordPolicy)
          checkPasswordPolicy(body.passwordPolicy);
        const parsed = validRealmSettings({ ...doc, ...withStoredSecrets(body, doc), id: doc.id });
        const next = {
          ...doc,
          ...parsed,
          users: [],
          clients: doc.clients,
          roles: doc.roles,
          groups: doc.groups,
          components: doc.components,
          id: doc.id,
        };
        const active = new Set(
          (await listKeys(tx, doc.id)).filter((k) => k.status === 'ACTIVE').map((k) => k.alg),
        );
        if (!active.has(next.defaultSignatureAlgorithm))
          throw badRequest(
            `defaultSignatureAlgorithm: the realm has no active key for alg "${next.defaultSignatureAlgorithm}"`,
            'defaultSignatureAlgorithm',
          );
        return next;
      }).catch((err) => {
        if ((err as Error).name === 'RealmNotFoundError') throw notFound('Realm not found.');
        throw err;
      }),
    );
    noContent(ctx);
  };

/** DELETE /:realm */
const deleteRealmAction =
  (deps: AdminDeps): Middleware =>
  async (ctx) => {
    requireRealmAdmin(ctx, ctx.params.realm);
    if (ctx.params.realm === 'master')
      throw new AdminError(400, { errorMessage: 'The master realm cannot be deleted' });
    if (!(await deleteRealm(deps.db, ctx.params.realm))) throw notFound('Realm not found.');
    deps.registry.invalidate(ctx.params.realm);
    noContent(ctx);
  };

export function realmRoutes(router: Router, deps: AdminDeps): void {
  router.get('/', listRealmsAction(deps));
  router.post('/', createRealm(deps));
  router.get('/:realm', getRealm(deps));
  router.put('/:realm', updateRealm(deps));
  router.delete('/:realm', deleteRealmAction(deps));
}

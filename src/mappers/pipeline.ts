/**
 * The protocol mapper pipeline: the claims Keycloak 26 would put into one token (access token,
 * lightweight access token, id token, userinfo or introspection) for a client, user, session and
 * `scope` parameter. Steps, as Keycloak's TokenManager does them:
 * 1. applied scopes = requested client scopes (defaults + requested optional ones) that the
 *    user is permitted (client-scopes.ts); `scope` = their names with include.in.token.scope;
 * 2. role scope (role-scope.ts) restricts the user's roles;
 * 3. base claims (base-claims.ts), then each mapper in priority order (plan.ts);
 * 4. serialisation: a single audience as a string; userinfo keeps what UserInfoEndpoint copies
 *    (no acr, auth_time, azp) and defaults `sub` to the user id.
 * Pure: no I/O, no module state; never throws for realm data (a failing mapper is reported in
 * `skipped` and the token is issued without its claims).
 */
import { QsignError } from '../errors.ts';
import type { EffectiveRoles } from '../model/model.ts';
import { baseClaims } from './base-claims.ts';
import { permittedClientScopes, tokenScope } from './client-scopes.ts';
import type { MapperContext } from './mapper.ts';
import type { MapperPlan } from './plan.ts';
import { planRequest, type RequestPlan } from './plan-cache.ts';
import type { RealmIndex } from './realm-index.ts';
import { resolveRoles } from './resolved-roles.ts';
import { restrictRoles, roleKeysOf, roleScope } from './role-scope.ts';
import type {
  Claims,
  ClientScopeRep,
  MapperClient,
  MapperSession,
  MapperUser,
  TokenTarget,
} from './types.ts';

export interface TokenRequest {
  realm: RealmIndex;
  client: MapperClient;
  user: MapperUser;
  /** The user's roles, composites and groups expanded (RealmModel.effectiveRoles). */
  userRoles: EffectiveRoles;
  session: MapperSession;
  /** The `scope` request parameter as sent (undefined: none). */
  scopeParam?: string;
  target: TokenTarget;
  issuer?: string;
  serverOrigin?: string;
  /** The request's plan (plan-cache.ts) for the same client and scope parameter; built if absent. */
  plan?: RequestPlan;
}

export interface TokenClaims {
  claims: Claims;
  /** The token's `scope` value. */
  scope: string;
  /** Names of the client scopes applied. */
  appliedScopes: string[];
  /** Mappers not applied, `"{name} ({type})"`, for the caller to log once. */
  skipped: string[];
}

/** Runs planned mappers over `claims` for `ctx.target`; returns the mappers that failed. */
export function runMappers(
  plan: MapperPlan,
  ctx: MapperContext,
  claims: Claims,
  applied: ReadonlySet<string>,
): string[] {
  const failed: string[] = [];
  for (const { mapper, type, scope } of plan.entries) {
    if (scope !== undefined && !applied.has(scope)) continue;
    if (!type.appliesTo(ctx.target, mapper.config)) continue;
    try {
      type.apply(claims, mapper, ctx);
    } catch {
      failed.push(`${mapper.name} (${mapper.protocolMapper})`);
    }
  }
  return failed;
}

/** Final JSON form of the claims for `target` (see the module comment, step 4). */
export function serialiseClaims(claims: Claims, target: TokenTarget, user: MapperUser): Claims {
  const out: Claims = { ...claims };
  if (target === 'userinfo') {
    delete out.acr;
    delete out.auth_time;
    delete out.azp;
    out.sub ??= user.id;
    return out;
  }
  if (Array.isArray(out.aud) && out.aud.length === 1) out.aud = out.aud[0];
  return out;
}

/** The applied scopes for a request (step 1); `undefined` when the scope parameter is invalid. */
export function appliedClientScopes(
  realm: RealmIndex,
  client: MapperClient,
  scopeParam: string | undefined,
  userRoles: EffectiveRoles,
): ClientScopeRep[] | undefined {
  const plan = planRequest(realm, client, scopeParam);
  return plan.valid ? permitted(realm, plan.requested, userRoles) : undefined;
}

/** permittedClientScopes, computing the user's role keys only when a scope has role scope mappings. */
function permitted(
  realm: RealmIndex,
  requested: readonly ClientScopeRep[],
  userRoles: EffectiveRoles,
): ClientScopeRep[] {
  if (!requested.some((s) => realm.scopes.scopeRoles.get(s.name)?.length)) return [...requested];
  return permittedClientScopes(realm.scopes, requested, realm.definitions, roleKeysOf(userRoles));
}

/**
 * The claims of one token. Throws InvalidScopeError when the scope parameter names a scope the
 * client does not have (Keycloak: `invalid_scope`, "Invalid scopes: {scope}").
 */
export function tokenClaims(req: TokenRequest): TokenClaims {
  const plan = req.plan ?? planRequest(req.realm, req.client, req.scopeParam);
  if (!plan.valid) throw new InvalidScopeError(req.scopeParam ?? '');
  const applied = permitted(req.realm, plan.requested, req.userRoles);
  const scope = tokenScope(applied, req.scopeParam);
  const roles = resolveRoles(
    restrictRoles(req.userRoles, roleScope(req.realm, req.client, applied)),
  );
  const ctx: MapperContext = {
    realm: req.realm,
    client: req.client,
    user: req.user,
    session: req.session,
    target: req.target,
    roles,
    serverOrigin: req.serverOrigin,
  };
  const claims = baseClaims({
    target: req.target,
    client: req.client,
    user: req.user,
    session: req.session,
    scope,
    issuer: req.issuer,
  });
  const failed = runMappers(plan.mappers, ctx, claims, new Set(applied.map((s) => s.name)));
  return {
    claims: serialiseClaims(claims, req.target, req.user),
    scope,
    appliedScopes: applied.map((s) => s.name),
    skipped: [...plan.mappers.skipped, ...failed],
  };
}

/** The scope parameter names a scope the client has not got (OAuth `invalid_scope`). */
export class InvalidScopeError extends QsignError {
  readonly error = 'invalid_scope';
  readonly scope: string;
  constructor(scope: string) {
    super('ERR_INVALID_SCOPE', `Invalid scopes: ${scope}`);
    this.scope = scope;
  }
}

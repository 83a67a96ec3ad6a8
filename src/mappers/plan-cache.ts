/**
 * The plan of a token request, and a cache of plans for one realm version. A plan depends only
 * on (client, `scope` parameter): whether the parameter is valid (TokenManager.isValidScope),
 * the requested client scopes (getRequestedClientScopes) and the sorted mappers (plan.ts). With
 * the cache, token requests after the first for a (client, scope) do no scope or mapper work.
 * Create one cache per RealmIndex (a new realm version builds a new index and so a new cache).
 * Bounded: at most `limit` plans, the oldest dropped first (clients may send many spellings).
 */
import type { ClientRepresentation } from '../model/representation.ts';
import { isValidScope, requestedClientScopes } from './client-scopes.ts';
import { planMappers, type MapperPlan } from './plan.ts';
import type { RealmIndex } from './realm-index.ts';
import type { ClientScopeRep } from './types.ts';

export interface RequestPlan {
  /** False: the caller answers `invalid_scope` ("Invalid scopes: {scope}"). */
  valid: boolean;
  /** Default scopes and requested optional ones, before the per-user permission check. */
  requested: readonly ClientScopeRep[];
  mappers: MapperPlan;
}

/** The plan for `client` and the `scope` parameter (undefined: none sent). */
export function planRequest(
  index: RealmIndex,
  client: ClientRepresentation,
  scopeParam: string | undefined,
): RequestPlan {
  const valid = isValidScope(index.scopes, client, scopeParam);
  const requested = valid ? requestedClientScopes(index.scopes, client, scopeParam) : [];
  return { valid, requested, mappers: planMappers(index, client, requested) };
}

export interface PlanCache {
  /** planRequest, memoised. */
  get(client: ClientRepresentation, scopeParam: string | undefined): RequestPlan;
}

export function createPlanCache(index: RealmIndex, limit = 1000): PlanCache {
  const plans = new Map<string, RequestPlan>();
  return {
    get(client, scopeParam) {
      const key = `${client.clientId}\0${scopeParam === undefined ? '\0' : scopeParam}`;
      let plan = plans.get(key);
      if (!plan) {
        plan = planRequest(index, client, scopeParam);
        if (plans.size >= limit) plans.delete(plans.keys().next().value!);
        plans.set(key, plan);
      }
      return plan;
    },
  };
}

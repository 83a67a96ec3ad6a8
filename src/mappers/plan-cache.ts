/**
 * A cache of mapper plans for one realm version: the plan depends only on (client, requested
 * client scopes), so token requests after the first do no planning. Create one per RealmIndex
 * (a new realm version builds a new index and so a new cache). Bounded: at most `limit` plans,
 * the oldest dropped first (the number of scope combinations a client can request is finite but
 * may be large).
 */
import type { ClientRepresentation } from '../realm/representation.ts';
import { requestedClientScopes } from './client-scopes.ts';
import { planMappers, type MapperPlan } from './plan.ts';
import type { RealmIndex } from './realm-index.ts';

export interface PlanCache {
  /** The plan for `client` and the `scope` parameter (same as planMappers, memoised). */
  get(client: ClientRepresentation, scopeParam: string | undefined): MapperPlan;
}

export function createPlanCache(index: RealmIndex, limit = 1000): PlanCache {
  const plans = new Map<string, MapperPlan>();
  return {
    get(client, scopeParam) {
      const scopes = requestedClientScopes(index.scopes, client, scopeParam);
      const key = `${client.clientId}\0${scopes.map((s) => s.name).join('\0')}`;
      let plan = plans.get(key);
      if (!plan) {
        plan = planMappers(index, client, scopes);
        if (plans.size >= limit) plans.delete(plans.keys().next().value!);
        plans.set(key, plan);
      }
      return plan;
    },
  };
}

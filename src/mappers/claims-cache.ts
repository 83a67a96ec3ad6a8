/**
 * Token claims memoised for one realm version: plans per (client, scope parameter) (plan-cache.ts)
 * and, for user objects the caller keeps, the finished claims per (client, scope, target,
 * session inputs). `memoise` (default: a transient session, i.e. client_credentials, whose
 * service-account user objects oidc/provider.ts keeps) turns the per-user memo on; users loaded
 * per request (password, code) only use the plan cache, as a memo would never hit for them.
 * The contract is RealmModel.effectiveRoles': a user object and its roles are not changed once
 * used. Results are shared: treat `claims` as read-only (a shallow copy is returned; nested
 * objects are shared). Bounded per user (`perUser` entries, oldest dropped); user entries go with
 * their objects (WeakMap).
 */
import { createPlanCache } from './plan-cache.ts';
import { tokenClaims, type TokenClaims, type TokenRequest } from './pipeline.ts';
import type { RealmIndex } from './realm-index.ts';

export type CachedTokenRequest = Omit<TokenRequest, 'realm' | 'plan'> & { memoise?: boolean };

/** The memo key: every request input the claims depend on besides the user (JSON: no collisions). */
function memoKey(req: CachedTokenRequest): string {
  const s = req.session;
  return JSON.stringify([
    req.client.clientId,
    req.scopeParam ?? null,
    req.target,
    req.issuer ?? null,
    req.serverOrigin ?? null,
    s.acr,
    s.sid ?? null,
    s.nonce ?? null,
    s.transient ?? false,
    s.claimsParam ?? null,
    Object.entries(s.notes),
  ]);
}

export interface ClaimsCache {
  /** tokenClaims for this realm version, memoised; throws InvalidScopeError as tokenClaims does. */
  claims(req: CachedTokenRequest): TokenClaims;
}

export function createClaimsCache(
  index: RealmIndex,
  options: { plans?: number; perUser?: number } = {},
): ClaimsCache {
  const plans = createPlanCache(index, options.plans);
  const perUser = options.perUser ?? 32;
  const byUser = new WeakMap<object, Map<string, TokenClaims>>();
  return {
    claims(req) {
      const plan = plans.get(req.client, req.scopeParam);
      if (!(req.memoise ?? req.session.transient === true))
        return tokenClaims({ ...req, realm: index, plan });
      const key = memoKey(req);
      let results = byUser.get(req.user);
      const hit = results?.get(key);
      if (hit) return { ...hit, claims: { ...hit.claims } };
      const result = tokenClaims({ ...req, realm: index, plan });
      if (!results) byUser.set(req.user, (results = new Map()));
      if (results.size >= perUser) results.delete(results.keys().next().value!);
      results.set(key, result);
      return { ...result, claims: { ...result.claims } };
    },
  };
}

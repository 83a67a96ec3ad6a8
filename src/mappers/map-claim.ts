/**
 * Writes a mapped value into the claims at its (possibly nested) claim name, as Keycloak's
 * OIDCAttributeMapperHelper.mapClaim does:
 * - `sub`, `azp`, `acr` are set as text, `auth_time` as a number (ignored if not an integer),
 *   `aud` replaces the audience; these take no nested path (a nested one is ignored);
 * - `jti`, `typ`, `iat`, `exp`, `iss`, `scope`, `nonce`, `session_state` are the server's and
 *   are never set by a mapper;
 * - other names go to nested objects; with `multivalued` an existing value is merged with the
 *   new one (no duplicates), else the new value replaces it.
 * Where Keycloak would fail the request (a path through a non-object claim), the claim is left out;
 * so is a name nested deeper than json-depth.ts's MAX_JSON_DEPTH.
 * Claims are mutated in place; `aud` is kept as a string array until serialisation (pipeline.ts).
 */
import { splitClaimPath } from './claim-path.ts';
import { mapAttributeValue, NOT_MAPPABLE } from './claim-value.ts';
import { MAX_JSON_DEPTH } from '../json-depth.ts';
import { getOwn, setOwn } from './own.ts';
import type { Claims } from './types.ts';

const SERVER_CLAIMS = new Set([
  'jti',
  'typ',
  'iat',
  'exp',
  'iss',
  'scope',
  'nonce',
  'session_state',
]);
const SETTERS = new Set(['sub', 'azp', 'acr', 'auth_time', 'aud']);

/** Java `toString` of a claim value: lists print as `[a, b]`. */
function javaString(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(javaString).join(', ')}]`;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function applySetter(claims: Claims, name: string, value: unknown): void {
  if (name === 'aud') {
    claims.aud = Array.isArray(value) ? value.map(javaString) : [javaString(value)];
  } else if (name === 'auth_time') {
    const text = javaString(value);
    if (/^[+-]?\d+$/.test(text)) claims.auth_time = Number(text);
  } else {
    claims[name] = javaString(value);
  }
}

function isObject(value: unknown): value is Claims {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `path` (all but the last component), created where missing; undefined if blocked. */
export function nestedObject(claims: Claims, path: readonly string[]): Claims | undefined {
  let node = claims;
  for (const component of path) {
    let next = getOwn(node, component);
    if (next === undefined || next === null) setOwn(node, component, (next = {}));
    else if (!isObject(next)) return undefined;
    node = next as Claims;
  }
  return node;
}

function mergeValues(existing: unknown, value: unknown): unknown[] {
  const merged = Array.isArray(existing) ? [...existing] : [existing];
  for (const item of Array.isArray(value) ? value : [value]) {
    if (!merged.some((m) => JSON.stringify(m) === JSON.stringify(item))) merged.push(item);
  }
  return merged;
}

/** The split `claim.name` of a mapper: precomputed by the plan (plan.ts), else split now. */
export function claimPathOf(mapper: {
  config: Readonly<Record<string, string>>;
  claimPath?: readonly string[];
}): readonly string[] | undefined {
  if (mapper.claimPath) return mapper.claimPath;
  const name = mapper.config['claim.name'];
  return name === undefined ? undefined : splitClaimPath(name);
}

/**
 * Puts an already mapped value at `claimName` (a string, or its split path). Returns false when
 * the value could not be placed.
 */
export function putClaim(
  claims: Claims,
  claimName: string | readonly string[] | undefined,
  value: unknown,
  multivalued: boolean,
): boolean {
  if (claimName === undefined) return false;
  const path = typeof claimName === 'string' ? splitClaimPath(claimName) : claimName;
  if (path.length === 0 || path.length > MAX_JSON_DEPTH) return false;
  if (SERVER_CLAIMS.has(path[0])) return false;
  if (SETTERS.has(path[0])) {
    if (path.length > 1) return false;
    applySetter(claims, path[0], value);
    return true;
  }
  const parent = nestedObject(claims, path.slice(0, -1));
  if (!parent) return false;
  const last = path[path.length - 1];
  const existing = getOwn(parent, last);
  setOwn(
    parent,
    last,
    multivalued && existing !== undefined && existing !== null
      ? mergeValues(existing, value)
      : value,
  );
  return true;
}

/**
 * Keycloak OIDCAttributeMapperHelper.mapClaim: maps `raw` under the mapper's config
 * (`claim.name`, `jsonType.label`, `multivalued`) into `claims`. No value: nothing is written.
 * `mapper`: a protocol mapper, or just `{ config }`; its precomputed `claimPath` is used if set.
 */
export function mapClaim(
  claims: Claims,
  mapper: { config: Readonly<Record<string, string>>; claimPath?: readonly string[] },
  raw: unknown,
): void {
  const value = mapAttributeValue(mapper.config, raw);
  if (value === undefined || value === NOT_MAPPABLE) return;
  putClaim(claims, claimPathOf(mapper), value, mapper.config.multivalued === 'true');
}

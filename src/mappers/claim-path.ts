/**
 * Claim names with dotted nesting: `address.street` is `{ address: { street } }`, and a
 * backslash escapes the next character (`a\.b` is the single name `a.b`).
 * Source: Keycloak org.keycloak.utils.JsonUtils.splitClaimPath (the CLAIM_COMPONENT pattern
 * `^((\\.|[^\\.])+?)\.` and BACKSLASHED_CHARACTER `\\(.)`), used by OIDCAttributeMapperHelper.
 */

const CLAIM_COMPONENT = /^((?:\\.|[^\\.])+?)\./;
const BACKSLASHED_CHARACTER = /\\(.)/g;

/**
 * Splits a claim path into its components, unescaping `\x` to `x`.
 * `"a.b"` -> `["a", "b"]`, `"a\\.b"` -> `["a.b"]`, `""` -> `[]`. Never throws.
 */
export function splitClaimPath(claimPath: string): string[] {
  const components: string[] = [];
  let rest = claimPath;
  for (let m = CLAIM_COMPONENT.exec(rest); m; m = CLAIM_COMPONENT.exec(rest)) {
    components.push(m[1].replace(BACKSLASHED_CHARACTER, '$1'));
    rest = rest.slice(m[0].length);
  }
  if (rest.length > 0) components.push(rest.replace(BACKSLASHED_CHARACTER, '$1'));
  return components;
}

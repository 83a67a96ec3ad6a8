/**
 * A mapper's raw value turned into the claim value: `multivalued` and `jsonType.label`
 * (String, long, int, boolean, JSON), as Keycloak's OIDCAttributeMapperHelper.mapAttributeValue
 * and convertToType do:
 * - an empty list or no value gives no claim;
 * - a list gives an array when `multivalued` is "true", else its first value;
 * - `boolean` is Java Boolean.valueOf (true only for "true", any case), `long` / `int` are
 *   Long.valueOf / Integer.valueOf (decimal, optional sign, in range), `JSON` parses the text,
 *   `String` is the text; any other label keeps the value as it is.
 * Where Keycloak throws ("cannot map type for token claim", NumberFormatException: the token
 * request fails), this returns NOT_MAPPABLE and the caller leaves the claim out; so too for JSON
 * nested deeper than json-depth.ts allows (a user attribute must not make signing overflow).
 */

import { assertJsonDepth } from '../json-depth.ts';

export const NOT_MAPPABLE: unique symbol = Symbol('not mappable');
export type MappedValue = unknown | typeof NOT_MAPPABLE;

const INTEGER = /^[+-]?\d+$/;
const LONG_MIN = -(2n ** 63n),
  LONG_MAX = 2n ** 63n - 1n;
const INT_MIN = -(2n ** 31n),
  INT_MAX = 2n ** 31n - 1n;

function toInteger(value: unknown, min: bigint, max: bigint): number | typeof NOT_MAPPABLE {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value !== 'string' || !INTEGER.test(value)) return NOT_MAPPABLE;
  const big = BigInt(value);
  return big < min || big > max ? NOT_MAPPABLE : Number(big);
}

/** JSON text parsed, or NOT_MAPPABLE when invalid or nested deeper than MAX_JSON_DEPTH (json-depth.ts). */
function toJson(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) return value;
  if (typeof value !== 'string') return NOT_MAPPABLE;
  try {
    const parsed = JSON.parse(value) as unknown;
    assertJsonDepth(parsed);
    return parsed;
  } catch {
    return NOT_MAPPABLE;
  }
}

/** Keycloak convertToType for one (non-list) value. */
export function convertToType(type: string | undefined, value: unknown): MappedValue {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean'
        ? value
        : typeof value === 'string'
          ? value.toLowerCase() === 'true'
          : NOT_MAPPABLE;
    case 'String':
      return typeof value === 'string'
        ? value
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    case 'long':
      return toInteger(value, LONG_MIN, LONG_MAX);
    case 'int':
      return toInteger(value, INT_MIN, INT_MAX);
    case 'JSON':
      return toJson(value);
    default:
      return value;
  }
}

/**
 * The claim value for `value` under a mapper config, or undefined (no claim), or NOT_MAPPABLE.
 * `value`: a string, a list of strings, or an object (JSON); null/undefined mean no value.
 */
export function mapAttributeValue(
  config: Readonly<Record<string, string>>,
  value: unknown,
): MappedValue {
  if (value === null || value === undefined) return undefined;
  let single = value;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    if (config.multivalued === 'true') {
      const items = value.map((item) => mapAttributeValue(config, item));
      return items.includes(NOT_MAPPABLE) ? NOT_MAPPABLE : items;
    }
    single = value[0];
    if (single === null || single === undefined) return undefined;
  }
  return convertToType(config['jsonType.label'], single);
}

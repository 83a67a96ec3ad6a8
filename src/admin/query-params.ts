/**
 * Query parameters of the admin REST API, as Keycloak's JAX-RS resources read them: a parameter
 * given twice counts once (the first value), except the list ones, which take every value. A bad
 * value is an AdminError 400 `{"error": "..."}` (Keycloak's message where it has one).
 */
import { z } from 'zod';
import { AdminError } from './errors.ts';

export type Query = Record<string, string | string[] | undefined>;

export const TEXT = z.string();
/** A Java Boolean as JAX-RS reads it (Boolean.valueOf): "true" in any case is true, anything else false. */
export const BOOL = z.string().transform((s) => s.toLowerCase() === 'true');
/** A Java Integer >= 0 (`first`, `max`). */
export const COUNT = z
  .string()
  .regex(/^\d{1,10}$/)
  .transform(Number)
  .pipe(z.number().max(2_147_483_647));

/** The parameter `name` (its first value) through `schema`, or undefined when absent. @throws AdminError 400 */
export function one<T>(
  q: Query,
  name: string,
  schema: z.ZodType<T, string>,
  error = `Invalid value for '${name}'`,
): T | undefined {
  const raw = q[name];
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(Array.isArray(raw) ? raw[0] : raw);
  if (!parsed.success) throw new AdminError(400, { error });
  return parsed.data;
}

/** Every value of the list parameter `name` through `schema`, or undefined when absent. @throws AdminError 400 */
export function many<T>(
  q: Query,
  name: string,
  schema: z.ZodType<T, string>,
  error: string,
): T[] | undefined {
  const raw = q[name];
  return raw === undefined
    ? undefined
    : ([] as string[]).concat(raw).map((value) => one({ [name]: value }, name, schema, error)!);
}

/** `first` and `max` (offset and page size). @throws AdminError 400 */
export function paging(q: Query): { first?: number; max?: number } {
  return {
    first: one(
      q,
      'first',
      COUNT,
      "Invalid value for 'first', expected an integer from 0 to 2147483647",
    ),
    max: one(q, 'max', COUNT, "Invalid value for 'max', expected an integer from 0 to 2147483647"),
  };
}

/**
 * Keycloak's SearchQueryUtils.getFields: `q=name:value name2:"a value"` as [name, value] pairs
 * (name or value in double quotes may hold spaces and backslash escapes); a later pair with the
 * same name replaces the earlier one.
 */
export function searchQueryFields(query: string): [string, string][] {
  const pattern =
    /\s*(?:(?<name>[^"][^: ]+)|"(?<nameEsc>(?:\\.|[^\\"])+)"):(?:(?<value>[^"][^ ]*)|"(?<valueEsc>(?:\\.|[^\\"])+)")\s*/g;
  const unescape = (s: string) => s.replace(/\\(.)/g, '$1');
  const fields = new Map<string, string>();
  for (const m of query.matchAll(pattern)) {
    const g = m.groups!;
    fields.set(g.name ?? unescape(g.nameEsc!), g.value ?? unescape(g.valueEsc!));
  }
  return [...fields];
}

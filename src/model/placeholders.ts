/**
 * `${VAR}` / `${VAR:default}` / `${env.VAR}` placeholders in realm files, resolved from the
 * environment at import, as Keycloak's `--import-realm` does (Keycloak "Importing and exporting
 * realms" guide, "Using environment variables within the realm configuration files").
 * `$${...}` escapes a literal `${...}`. Keycloak message keys such as `${client_account}` are
 * left as they are: only names made of capital letters, digits and `_`, or `env.`-prefixed
 * names, are variables.
 */
import { QsignError } from '../errors.ts';
const PLACEHOLDER = /(\$?)\$\{(env\.[A-Za-z_][A-Za-z0-9_]*|[A-Z_][A-Z0-9_]*)(?::([^}]*))?\}/g;

export class PlaceholderError extends QsignError {
  readonly path: (string | number)[];
  constructor(path: (string | number)[], message: string) {
    super('ERR_REALM_PLACEHOLDER', message);
    this.path = path;
  }
}

function resolveString(value: string, env: NodeJS.ProcessEnv, path: (string | number)[]): string {
  return value.replace(
    PLACEHOLDER,
    (match, escape: string, name: string, fallback: string | undefined) => {
      if (escape) return match.slice(1);
      const variable = name.startsWith('env.') ? name.slice(4) : name;
      const found = env[variable];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      throw new PlaceholderError(
        path,
        `environment variable ${variable} is not set and the placeholder has no default`,
      );
    },
  );
}

/** Returns a deep copy of `value` with every placeholder in every string (keys excluded) resolved. */
export function resolvePlaceholders(
  value: unknown,
  env: NodeJS.ProcessEnv = process.env,
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') return resolveString(value, env, path);
  if (Array.isArray(value))
    return value.map((item, i) => resolvePlaceholders(item, env, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolvePlaceholders(v, env, [...path, k])]),
    );
  }
  return value;
}

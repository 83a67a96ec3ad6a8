/**
 * Whether a mapper writes to a given token, from its config flags, as Keycloak's
 * OIDCAttributeMapperHelper (includeInAccessToken, includeInIDToken, includeInUserInfo,
 * includeInIntrospection, includeInLightweightAccessToken) and AbstractOIDCProtocolMapper
 * (a lightweight access token honours `lightweight.claim` instead of `access.token.claim`):
 * - a flag is on only when it is the string "true";
 * - `userinfo.token.claim` unset follows `id.token.claim` (backwards compatibility);
 * - `introspection.token.claim` unset follows `access.token.claim`.
 * Some mappers (audience resolve, allowed web origins) treat an unset access/introspection flag
 * as on: `defaultOn`.
 */
import type { TokenTarget } from './types.ts';

type Config = Readonly<Record<string, string>>;

const flag = (config: Config, key: string, defaultOn: boolean): boolean =>
  config[key] === undefined ? defaultOn : config[key] === 'true';

/** Keycloak's include-in check for `target`. */
export function includeIn(target: TokenTarget, config: Config, defaultOn = false): boolean {
  switch (target) {
    case 'access':
      return flag(config, 'access.token.claim', defaultOn);
    case 'lightweight':
      return config['lightweight.claim'] === 'true';
    case 'id':
      return config['id.token.claim'] === 'true';
    case 'userinfo':
      return config['userinfo.token.claim'] === undefined
        ? config['id.token.claim'] === 'true'
        : config['userinfo.token.claim'] === 'true';
    case 'introspection':
      return config['introspection.token.claim'] === undefined
        ? flag(config, 'access.token.claim', defaultOn)
        : config['introspection.token.claim'] === 'true';
  }
}

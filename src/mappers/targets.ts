/**
 * Target checks shared by mapper types: the Keycloak mapper interfaces a type implements
 * (OIDCAccessTokenMapper, OIDCIDTokenMapper, UserInfoTokenMapper, TokenIntrospectionTokenMapper)
 * combined with AbstractOIDCProtocolMapper's include-in flags (include.ts).
 */
import { includeIn } from './include.ts';
import type { TokenTarget } from './types.ts';

type Kind = 'access' | 'id' | 'userinfo' | 'introspection';
const kindOf = (target: TokenTarget): Kind => (target === 'lightweight' ? 'access' : target);

/** A type implementing the interfaces `kinds`, honouring the flags (`defaultOn`: unset = on). */
export function flagged(
  kinds: readonly Kind[],
  defaultOn = false,
): (target: TokenTarget, config: Readonly<Record<string, string>>) => boolean {
  return (target, config) => kinds.includes(kindOf(target)) && includeIn(target, config, defaultOn);
}

/** A type that runs for `kinds` whatever its flags (hardcoded role, role name, pairwise sub). */
export function always(kinds: readonly Kind[]): (target: TokenTarget) => boolean {
  return (target) => kinds.includes(kindOf(target));
}

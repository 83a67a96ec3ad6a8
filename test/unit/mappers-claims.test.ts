/**
 * The claim-writing rules every mapper shares, from Keycloak's source:
 * org.keycloak.utils.JsonUtils.splitClaimPath and OIDCAttributeMapperHelper (mapAttributeValue,
 * convertToType, mapClaim, includeIn*), services/src/main/java/org/keycloak/protocol/oidc/mappers/.
 * Expected values are read off that source and the Keycloak Server Administration Guide
 * ("Protocol mappers": "Token Claim Name ... use a dot to nest, escape a literal dot with a
 * backslash"; "Claim JSON Type": String, long, int, boolean, JSON).
 */
import { describe, expect, it } from 'vitest';
import { splitClaimPath } from '../../src/mappers/claim-path.ts';
import { mapAttributeValue, NOT_MAPPABLE } from '../../src/mappers/claim-value.ts';
import { includeIn } from '../../src/mappers/include.ts';
import { mapClaim, putClaim } from '../../src/mappers/map-claim.ts';
import type { Claims } from '../../src/mappers/types.ts';

describe('splitClaimPath (JsonUtils.splitClaimPath)', () => {
  it('splits at dots and unescapes backslashed characters', () => {
    expect(splitClaimPath('address.street')).toEqual(['address', 'street']);
    expect(splitClaimPath('a\\.b')).toEqual(['a.b']);
    expect(splitClaimPath('https://example\\.com/claims.role')).toEqual([
      'https://example.com/claims',
      'role',
    ]);
    expect(splitClaimPath('a\\\\.b')).toEqual(['a\\', 'b']);
    expect(splitClaimPath('resource_access.my\\.app.roles')).toEqual([
      'resource_access',
      'my.app',
      'roles',
    ]);
    expect(splitClaimPath('')).toEqual([]);
  });
});

describe('mapAttributeValue (OIDCAttributeMapperHelper.mapAttributeValue / convertToType)', () => {
  const conf = (type?: string, multivalued?: boolean) => ({
    ...(type ? { 'jsonType.label': type } : {}),
    ...(multivalued ? { multivalued: 'true' } : {}),
  });

  it('no value or an empty list gives no claim', () => {
    expect(mapAttributeValue(conf('String'), undefined)).toBeUndefined();
    expect(mapAttributeValue(conf('String'), [])).toBeUndefined();
  });

  it('a list gives its first value unless multivalued', () => {
    expect(mapAttributeValue(conf('String'), ['a', 'b'])).toBe('a');
    expect(mapAttributeValue(conf('String', true), ['a', 'b'])).toEqual(['a', 'b']);
  });

  it('converts by jsonType.label: boolean is Boolean.valueOf, long/int parse decimal, JSON parses', () => {
    expect(mapAttributeValue(conf('boolean'), 'TRUE')).toBe(true);
    expect(mapAttributeValue(conf('boolean'), 'yes')).toBe(false);
    expect(mapAttributeValue(conf('long'), '1714395430')).toBe(1714395430);
    expect(mapAttributeValue(conf('int', true), ['1', '-2'])).toEqual([1, -2]);
    expect(mapAttributeValue(conf('JSON'), '{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(mapAttributeValue(conf(), 'kept')).toBe('kept');
    expect(mapAttributeValue(conf('Long'), 'kept')).toBe('kept');
  });

  it('a value Keycloak cannot convert (NumberFormatException, bad JSON) is not mappable', () => {
    expect(mapAttributeValue(conf('long'), '12x')).toBe(NOT_MAPPABLE);
    expect(mapAttributeValue(conf('int'), '3000000000')).toBe(NOT_MAPPABLE);
    expect(mapAttributeValue(conf('JSON'), '{oops')).toBe(NOT_MAPPABLE);
  });
});

describe('mapClaim (OIDCAttributeMapperHelper.mapClaim)', () => {
  const mc = (claims: Claims, config: Record<string, string>, raw: unknown) =>
    mapClaim(claims, { config }, raw);

  it('nests dotted names and keeps escaped dots', () => {
    const claims: Claims = {};
    mc(claims, { 'claim.name': 'address.street', 'jsonType.label': 'String' }, 'Main St');
    mc(claims, { 'claim.name': 'address.city', 'jsonType.label': 'String' }, 'Paris');
    mc(claims, { 'claim.name': 'urn\\.x', 'jsonType.label': 'String' }, 'v');
    expect(claims).toEqual({ address: { street: 'Main St', city: 'Paris' }, 'urn.x': 'v' });
  });

  it('multivalued merges with a value already there, without duplicates; single-valued replaces', () => {
    const claims: Claims = { groups: ['a'] };
    mc(claims, { 'claim.name': 'groups', multivalued: 'true' }, ['a', 'b']);
    expect(claims.groups).toEqual(['a', 'b']);
    mc(claims, { 'claim.name': 'groups' }, ['z']);
    expect(claims.groups).toBe('z');
  });

  it('sub, azp, acr, auth_time and aud go to the token properties; server claims are never set', () => {
    const claims: Claims = { iss: 'https://issuer', aud: ['x'] };
    mc(claims, { 'claim.name': 'iss' }, 'evil');
    mc(claims, { 'claim.name': 'exp' }, '1');
    mc(claims, { 'claim.name': 'scope' }, 'admin');
    mc(claims, { 'claim.name': 'auth_time' }, '1700000000');
    mc(claims, { 'claim.name': 'aud' }, 'replaced');
    mc(claims, { 'claim.name': 'sub.nested' }, 'ignored');
    expect(claims).toEqual({ iss: 'https://issuer', aud: ['replaced'], auth_time: 1700000000 });
  });

  it('a path through a claim that is not an object is left out (Keycloak would fail the request)', () => {
    const claims: Claims = { a: 'text' };
    expect(putClaim(claims, 'a.b', 'v', false)).toBe(false);
    expect(claims).toEqual({ a: 'text' });
  });

  it('no claim.name, no claim', () => {
    const claims: Claims = {};
    mc(claims, { 'jsonType.label': 'String' }, 'v');
    expect(claims).toEqual({});
  });
});

describe('includeIn (OIDCAttributeMapperHelper include flags)', () => {
  it('a flag counts only when "true"; userinfo follows id token and introspection follows access token when unset', () => {
    expect(includeIn('access', { 'access.token.claim': 'true' })).toBe(true);
    expect(includeIn('access', { 'access.token.claim': 'TRUE' })).toBe(false);
    expect(includeIn('userinfo', { 'id.token.claim': 'true' })).toBe(true);
    expect(
      includeIn('userinfo', { 'id.token.claim': 'true', 'userinfo.token.claim': 'false' }),
    ).toBe(false);
    expect(includeIn('introspection', { 'access.token.claim': 'true' })).toBe(true);
    expect(
      includeIn('introspection', {
        'access.token.claim': 'true',
        'introspection.token.claim': 'false',
      }),
    ).toBe(false);
  });

  it('a lightweight access token honours lightweight.claim only', () => {
    expect(includeIn('lightweight', { 'access.token.claim': 'true' })).toBe(false);
    expect(includeIn('lightweight', { 'lightweight.claim': 'true' })).toBe(true);
  });

  it('audience resolve and allowed origins treat an unset access flag as on', () => {
    expect(includeIn('access', {}, true)).toBe(true);
    expect(includeIn('introspection', {}, true)).toBe(true);
    expect(includeIn('access', { 'access.token.claim': 'false' }, true)).toBe(false);
  });
});

describe('claim names cannot reach object prototypes (a realm admin configures claim names; the process serves every realm)', () => {
  it('__proto__ in a claim path or a client id writes an own claim, never Object.prototype', () => {
    const claims: Claims = {};
    mapClaim(
      claims,
      { config: { 'claim.name': '__proto__.polluted', 'jsonType.label': 'String' } },
      'yes',
    );
    mapClaim(
      claims,
      { config: { 'claim.name': 'a.__proto__.polluted2', 'jsonType.label': 'String' } },
      'yes',
    );
    mapClaim(
      claims,
      { config: { 'claim.name': '__proto__', 'jsonType.label': 'JSON' } },
      '{"polluted3":"yes"}',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted2).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted3).toBeUndefined();
    expect(Object.getPrototypeOf(claims)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(claims))).toEqual(
      JSON.parse('{"__proto__":{"polluted3":"yes"},"a":{"__proto__":{"polluted2":"yes"}}}'),
    );
  });
});

describe('deep values cannot make token signing overflow the stack', () => {
  it('a JSON attribute nested 100k deep, or a claim name with 100k components, is left out', () => {
    const claims: Claims = {};
    mapClaim(
      claims,
      { config: { 'claim.name': 'deep', 'jsonType.label': 'JSON' } },
      '['.repeat(100_000) + ']'.repeat(100_000),
    );
    mapClaim(
      claims,
      { config: { 'claim.name': Array(100_000).fill('a').join('.'), 'jsonType.label': 'String' } },
      'v',
    );
    mapClaim(
      claims,
      { config: { 'claim.name': 'fine', 'jsonType.label': 'JSON' } },
      '{"a":{"b":[1]}}',
    );
    expect(claims).toEqual({ fine: { a: { b: [1] } } });
    expect(() => JSON.stringify(claims)).not.toThrow();
  });
});

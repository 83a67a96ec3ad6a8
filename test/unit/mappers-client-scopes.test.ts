/**
 * Client scopes as Keycloak 26 has them. Expected values come from:
 * - a real Keycloak 26.5.7 export (test/fixtures/keycloak-realms/adaptive-authn-adaptive-kc26.5.7.json):
 *   the built-in scopes, their mappers and attributes, the realm default/optional lists;
 * - Keycloak's OIDCLoginProtocolFactory (built-ins), MigrateTo25_0_0 (`basic` added to older
 *   realms and all their clients), MigrateTo26_1_0 (`service_account`), TokenManager
 *   (getRequestedClientScopes, isValidScope -> `invalid_scope` "Invalid scopes: ..."),
 *   DefaultClientSessionContext (getScopeString, isClientScopePermittedForUser) and
 *   TokenManager.getAccess (fullScopeAllowed, scope mappings).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRealm } from '../../src/realm/import.ts';
import { RealmModel } from '../../src/model/model.ts';
import { userSchema, type RealmDocument } from '../../src/model/representation.ts';
import {
  builtinClientScopes,
  BUILTIN_DEFAULT_SCOPES,
  BUILTIN_OPTIONAL_SCOPES,
} from '../../src/mappers/builtin-client-scopes.ts';
import {
  clientScopeLists,
  consentScreen,
  isValidScope,
  parseScopeParameter,
  realmClientScopes,
  requestedClientScopes,
  tokenScope,
} from '../../src/mappers/client-scopes.ts';
import { appliedClientScopes, InvalidScopeError, tokenClaims } from '../../src/mappers/pipeline.ts';
import { indexRealm } from '../../src/mappers/realm-index.ts';
import { restrictRoles, roleScope } from '../../src/mappers/role-scope.ts';
import { createPlanCache } from '../../src/mappers/plan-cache.ts';
import { accessTokenTarget } from '../../src/mappers/token-target.ts';
import type { MapperUser } from '../../src/mappers/types.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/keycloak-realms');
const readJson = (name: string) =>
  JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

type Scope = {
  name: string;
  attributes?: Record<string, string>;
  protocolMappers?: { name: string; protocolMapper: string; config: Record<string, string> }[];
};
const shape = (scope: Scope) => ({
  attributes: scope.attributes ?? {},
  mappers: Object.fromEntries(
    (scope.protocolMappers ?? []).map((m) => [
      m.name,
      { type: m.protocolMapper, config: m.config },
    ]),
  ),
});

describe('built-in client scopes (Keycloak 26 new realm)', () => {
  const kc26 = readJson('adaptive-authn-adaptive-kc26.5.7.json');
  const exported = new Map((kc26.clientScopes as Scope[]).map((s) => [s.name, s]));

  it('equal the scopes of a real Keycloak 26.5.7 export: attributes, mapper names, types and configs', () => {
    const ours = new Map(builtinClientScopes().map((s) => [s.name, s]));
    for (const [name, scope] of exported) {
      if (scope.name === 'role_list') continue; // SAML
      expect(ours.has(name), name).toBe(true);
      expect(shape(ours.get(name)! as Scope), name).toEqual(shape(scope));
    }
  });

  it('has the same realm default and optional lists as that export, plus organization (optional, OIDCLoginProtocolFactory)', () => {
    expect([...BUILTIN_DEFAULT_SCOPES].sort()).toEqual(
      (kc26.defaultDefaultClientScopes as string[]).filter((s) => s !== 'role_list').sort(),
    );
    expect([...BUILTIN_OPTIONAL_SCOPES].sort()).toEqual(
      [...(kc26.defaultOptionalClientScopes as string[]), 'organization'].sort(),
    );
  });

  it('also has service_account and organization, as OIDCLoginProtocolFactory creates them', () => {
    const names = builtinClientScopes().map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'basic',
        'profile',
        'email',
        'address',
        'phone',
        'roles',
        'web-origins',
        'acr',
        'offline_access',
        'microprofile-jwt',
        'organization',
        'service_account',
      ]),
    );
    const sa = builtinClientScopes().find((s) => s.name === 'service_account')!;
    expect(
      sa.protocolMappers.map((m) => [
        m.name,
        m.config['user.session.note'],
        m.config['claim.name'],
      ]),
    ).toEqual([
      ['Client ID', 'client_id', 'client_id'],
      ['Client Host', 'clientHost', 'clientHost'],
      ['Client IP Address', 'clientAddress', 'clientAddress'],
    ]);
  });

  it('carry the consent screen attributes', () => {
    const byName = new Map(builtinClientScopes().map((s) => [s.name, s]));
    expect(consentScreen(byName.get('profile')!)).toEqual({
      display: true,
      text: '${profileScopeConsentText}',
    });
    expect(consentScreen(byName.get('web-origins')!)).toEqual({ display: false, text: '' });
    expect(consentScreen(byName.get('offline_access')!)).toEqual({
      display: true,
      text: '${offlineAccessScopeConsentText}',
    });
  });
});

describe('realm client scopes and Keycloak import migrations', () => {
  it('a realm file without clientScopes gets the built-ins and their default lists; its clients the realm defaults', () => {
    const rep = parseRealm(
      {
        realm: 'bare',
        clients: [{ clientId: 'web' }, { clientId: 'svc', serviceAccountsEnabled: true }],
      },
      'test',
      {},
    );
    const scopes = realmClientScopes(rep);
    expect([...scopes.byName.keys()]).toEqual(
      expect.arrayContaining(['basic', 'roles', 'service_account', 'organization']),
    );
    expect(
      clientScopeLists(
        scopes,
        rep.clients.find((c) => c.clientId === 'web')!,
      ),
    ).toEqual({ defaults: [...BUILTIN_DEFAULT_SCOPES], optional: [...BUILTIN_OPTIONAL_SCOPES] });
    expect(
      clientScopeLists(
        scopes,
        rep.clients.find((c) => c.clientId === 'svc')!,
      ).defaults,
    ).toContain('service_account');
  });

  it('a Keycloak 24 export gets `basic` in the realm defaults and every client (MigrateTo25_0_0) and a `service_account` scope (MigrateTo26_1_0)', () => {
    const rep = parseRealm(readJson('authservices-dotnet-Test-realm-kc24.0.3.json'), 'kc24', {});
    const scopes = realmClientScopes(rep);
    expect(scopes.defaultDefault).toContain('basic');
    expect(scopes.byName.has('service_account')).toBe(true);
    expect(
      clientScopeLists(
        scopes,
        rep.clients.find((c) => c.clientId === 'test-client')!,
      ),
    ).toEqual({
      defaults: ['web-origins', 'acr', 'roles', 'profile', 'email', 'basic'],
      optional: ['address', 'phone', 'offline_access', 'microprofile-jwt'],
    });
  });

  it('a Keycloak 26.5 export is taken as it is', () => {
    const rep = parseRealm(readJson('adaptive-authn-adaptive-kc26.5.7.json'), 'kc26', {});
    const scopes = realmClientScopes(rep);
    expect(scopes.basicAddedToClients).toBe(false);
    expect(scopes.byName.has('service_account')).toBe(false);
    expect(scopes.invalid).toEqual([]);
  });
});

describe('scope parameter (TokenManager.isValidScope / getRequestedClientScopes, DefaultClientSessionContext.getScopeString)', () => {
  const rep = parseRealm(readJson('authservices-dotnet-Test-realm-kc24.0.3.json'), 'kc24', {});
  const scopes = realmClientScopes(rep);
  const client = rep.clients.find((c) => c.clientId === 'test-client')!;

  it('parses like Java split(" "): trailing spaces ignored, an inner double space is an empty scope', () => {
    expect(parseScopeParameter('openid profile ')).toEqual(['openid', 'profile']);
    expect(parseScopeParameter('a  b')).toEqual(['a', '', 'b']);
    expect(parseScopeParameter('')).toEqual(['']);
  });

  it('accepts openid, default and optional scopes; rejects any other (Keycloak answers invalid_scope)', () => {
    expect(isValidScope(scopes, client, undefined)).toBe(true);
    expect(isValidScope(scopes, client, 'openid')).toBe(true);
    expect(isValidScope(scopes, client, 'openid profile phone')).toBe(true);
    expect(isValidScope(scopes, client, 'openid unknown')).toBe(false);
    expect(isValidScope(scopes, client, 'organization')).toBe(false);
    expect(isValidScope(scopes, client, 'role_list')).toBe(false);
  });

  it('applies the default scopes and only the optional scopes requested; scope lists those with include.in.token.scope, openid first', () => {
    const applied = requestedClientScopes(scopes, client, 'openid phone');
    expect(applied.map((s) => s.name)).toEqual([
      'phone',
      'web-origins',
      'acr',
      'roles',
      'profile',
      'email',
      'basic',
    ]);
    expect(tokenScope(applied, 'openid phone')).toBe('openid phone profile email');
    expect(tokenScope(requestedClientScopes(scopes, client, undefined), undefined)).toBe(
      'profile email',
    );
  });

  it('offline_access applies only to a user holding the offline_access role (its scope mapping)', () => {
    const model = new RealmModel({ ...rep, id: 'r' } as RealmDocument);
    const index = indexRealm(rep);
    // The fixture's users hold default-roles-test as a mapping (as Keycloak exports list it).
    const withRole = appliedClientScopes(
      index,
      client,
      'openid offline_access',
      model.effectiveRoles({ realmRoles: ['default-roles-test'], clientRoles: {}, groups: [] }),
    )!;
    expect(tokenScope(withRole, 'openid offline_access')).toBe(
      'openid offline_access profile email',
    );
    const restricted = parseRealm(
      {
        ...readJson('authservices-dotnet-Test-realm-kc24.0.3.json'),
        roles: { realm: [{ name: 'offline_access' }, { name: 'default-roles-test' }] },
      },
      'kc24',
      {},
    );
    const bare = new RealmModel({ ...restricted, id: 'r' } as RealmDocument);
    const without = appliedClientScopes(
      indexRealm(restricted),
      client,
      'openid offline_access',
      bare.effectiveRoles({ realmRoles: ['default-roles-test'], clientRoles: {}, groups: [] }),
    )!;
    expect(without.map((s) => s.name)).not.toContain('offline_access');
  });

  it("tokenClaims throws InvalidScopeError for an unknown scope, with Keycloak's message", () => {
    const index = indexRealm(rep);
    const user = { ...userSchema.parse({ username: 'x' }), id: 'x' } as MapperUser;
    expect(() =>
      tokenClaims({
        realm: index,
        client,
        user,
        userRoles: { realm: [], clients: {} },
        session: { notes: {}, acr: '1' },
        scopeParam: 'openid nope',
        target: 'access',
      }),
    ).toThrow(new InvalidScopeError('openid nope'));
  });
});

describe('role scope (TokenManager.getAccess)', () => {
  const realm = {
    realm: 'scoped',
    roles: {
      realm: [
        { name: 'a' },
        { name: 'b' },
        { name: 'c', composite: true, composites: { realm: ['b'] } },
      ],
      client: { svc: [{ name: 'own' }], other: [{ name: 'x' }, { name: 'y' }] },
    },
    clients: [
      {
        clientId: 'svc',
        fullScopeAllowed: false,
        defaultClientScopes: ['extra'],
        optionalClientScopes: [],
      },
      { clientId: 'other' },
    ],
    clientScopes: [{ name: 'extra', protocol: 'openid-connect', attributes: {} }],
    scopeMappings: [
      { client: 'svc', roles: ['c'] },
      { clientScope: 'extra', roles: ['a'] },
    ],
    clientScopeMappings: { other: [{ clientScope: 'extra', roles: ['y'] }] },
  };
  const rep = parseRealm(realm, 'scoped', {});
  const index = indexRealm(rep);
  const user = {
    realm: ['a', 'b', 'c', 'default-roles-scoped'],
    clients: { svc: ['own'], other: ['x', 'y'] },
  };

  it("without fullScopeAllowed: the client's own roles, its scope mappings (composites expanded) and the applied scopes' mappings", () => {
    const svc = index.clients.get('svc')!;
    const applied = requestedClientScopes(index.scopes, svc, undefined);
    expect(restrictRoles(user, roleScope(index, svc, applied))).toEqual({
      realm: ['a', 'b', 'c'],
      clients: { svc: ['own'], other: ['y'] },
    });
    expect(restrictRoles(user, roleScope(index, svc, []))).toEqual({
      realm: ['b', 'c'],
      clients: { svc: ['own'] },
    });
  });

  it("with fullScopeAllowed: all the user's roles", () => {
    expect(roleScope(index, index.clients.get('other')!, [])).toBe('full');
  });
});

describe('plan cache and access token kind', () => {
  it('returns the same plan for the same client and requested scopes, another for other scopes', () => {
    const rep = parseRealm(readJson('authservices-dotnet-Test-realm-kc24.0.3.json'), 'kc24', {});
    const index = indexRealm(rep);
    const cache = createPlanCache(index, 2);
    const client = index.clients.get('test-client')!;
    const first = cache.get(client, 'openid');
    expect(cache.get(client, 'openid')).toBe(first);
    expect(cache.get(client, 'openid nope').valid).toBe(false);
    expect(cache.get(client, 'openid phone')).not.toBe(first);
    expect(cache.get(client, 'openid phone').mappers.entries.map((e) => e.mapper.name)).toContain(
      'phone number',
    );
  });

  it('a client with client.use.lightweight.access.token.enabled gets the lightweight access token', () => {
    const rep = parseRealm(
      {
        realm: 'l',
        clients: [
          { clientId: 'a', attributes: { 'client.use.lightweight.access.token.enabled': 'true' } },
          { clientId: 'b' },
        ],
      },
      'l',
      {},
    );
    expect(rep.clients.map((c) => accessTokenTarget(c))).toEqual(
      expect.arrayContaining(['lightweight', 'access']),
    );
    expect(accessTokenTarget(rep.clients.find((c) => c.clientId === 'a')!)).toBe('lightweight');
  });
});

/**
 * Golden claim sets: what Keycloak 26 emits for the realm file
 * test/fixtures/keycloak-realms/authservices-dotnet-Test-realm-kc24.0.3.json (+ its users file)
 * imported into Keycloak 26, for client `test-client`. The expected sets are written by hand
 * from Keycloak's source, not from this server's output:
 * - import of a 24.0.3 export runs MigrateTo25_0_0: the `basic` scope (oidc-sub-mapper,
 *   AUTH_TIME session note as `auth_time`, long) becomes a default scope of the realm and of
 *   every client; MigrateTo26_1_0 creates `service_account` without attaching it to clients;
 * - test-client's default scopes: web-origins, acr, roles, profile, email (+ basic); its own
 *   mappers: Audience (included.client.audience test-client, access token only), client roles to
 *   resource_access.${client_id}.roles, realm roles to realm_access.roles (access token only);
 * - TokenManager.initToken / AccessTokenResponseBuilder.generateIDToken / UserInfoEndpoint
 *   .generateUserInfoClaims for the base claims; ProtocolMapperUtils priorities for the order:
 *   the audience mapper (0) adds test-client before audience resolve (30) adds `account` (the
 *   user holds account roles through default-roles-test: view-profile, manage-account ->
 *   manage-account-links);
 * - acr "1" (AcrProtocolMapper: fresh login, no acr-to-LoA map); allowed-origins the client's
 *   web origin "/*" as configured (WebOriginsUtils: only "+" is resolved);
 * - userinfo: no acr, auth_time or roles (acr/auth_time are typed IDToken fields UserInfoEndpoint
 *   does not copy; the role mappers here are access-token only).
 * Volatile claims (exp, iat, jti, sid) are not produced by the pipeline; role lists are sets in
 * Keycloak (HashSet), so they are compared sorted.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRealm } from '../../src/realm/import.ts';
import { RealmModel } from '../../src/model/model.ts';
import { userSchema, type RealmDocument } from '../../src/model/representation.ts';
import { createClaimsCache } from '../../src/mappers/claims-cache.ts';
import { tokenClaims } from '../../src/mappers/pipeline.ts';
import { indexRealm } from '../../src/mappers/realm-index.ts';
import { serviceAccountNotes } from '../../src/mappers/service-account.ts';
import type { Claims, MapperSession, MapperUser, TokenTarget } from '../../src/mappers/types.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/keycloak-realms');
const readJson = (name: string) =>
  JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const ISSUER = 'http://localhost:8080/realms/Test';
const AUTH_TIME = 1714395500;

const rep = parseRealm(
  readJson('authservices-dotnet-Test-realm-kc24.0.3.json'),
  'Test-realm.json',
  {},
);
const model = new RealmModel({ ...rep, id: 'test' } as RealmDocument);
const index = indexRealm(rep);
const users = new Map(
  (
    readJson('authservices-dotnet-Test-users-0-kc24.0.3.json').users as Record<string, unknown>[]
  ).map((u) => [
    u.username as string,
    { ...userSchema.parse(u), id: u.id as string } as MapperUser,
  ]),
);

/** Sorts role lists and `allowed-origins`, Keycloak sets with no defined order. */
function normalise(claims: Claims): Claims {
  const out = structuredClone(claims);
  const sortRoles = (access: unknown) => {
    if (access && typeof access === 'object') (access as { roles: string[] }).roles.sort();
  };
  sortRoles(out.realm_access);
  for (const access of Object.values((out.resource_access ?? {}) as Record<string, unknown>))
    sortRoles(access);
  return out;
}

function claimsOf(
  username: string,
  target: TokenTarget,
  session: Partial<MapperSession>,
  scopeParam?: string,
): Claims {
  const user = users.get(username)!;
  const result = tokenClaims({
    realm: index,
    client: index.clients.get('test-client')!,
    user,
    userRoles: model.effectiveRoles(user),
    session: { notes: {}, acr: '1', ...session },
    scopeParam,
    target,
    issuer: ISSUER,
  });
  expect(result.skipped).toEqual([]);
  return normalise(result.claims);
}

const ACCOUNT_ROLES = { roles: ['manage-account', 'manage-account-links', 'view-profile'] };
const login = { notes: { AUTH_TIME: String(AUTH_TIME) } };

describe('golden claims: Test realm (Keycloak 24.0.3 export) in Keycloak 26, client test-client', () => {
  it('access token of user `test` (password grant, scope=openid)', () => {
    expect(claimsOf('test', 'access', login, 'openid')).toEqual({
      typ: 'Bearer',
      azp: 'test-client',
      iss: ISSUER,
      scope: 'openid profile email',
      sub: '53a698f2-972b-4dcc-8db5-62a388bb8022',
      auth_time: AUTH_TIME,
      acr: '1',
      aud: ['test-client', 'account'],
      'allowed-origins': ['/*'],
      realm_access: {
        roles: ['Reader', 'default-roles-test', 'offline_access', 'uma_authorization'],
      },
      resource_access: { 'test-client': { roles: ['TestClientRole'] }, account: ACCOUNT_ROLES },
      name: 'TestFirstName TestLastName',
      given_name: 'TestFirstName',
      family_name: 'TestLastName',
      preferred_username: 'test',
      email: 'test@test.com',
      email_verified: true,
    });
  });

  it('id token of user `test`', () => {
    expect(claimsOf('test', 'id', login, 'openid')).toEqual({
      typ: 'ID',
      sub: '53a698f2-972b-4dcc-8db5-62a388bb8022',
      aud: 'test-client',
      azp: 'test-client',
      iss: ISSUER,
      auth_time: AUTH_TIME,
      acr: '1',
      name: 'TestFirstName TestLastName',
      given_name: 'TestFirstName',
      family_name: 'TestLastName',
      preferred_username: 'test',
      email: 'test@test.com',
      email_verified: true,
    });
  });

  it('userinfo of user `test`', () => {
    expect(claimsOf('test', 'userinfo', login, 'openid')).toEqual({
      sub: '53a698f2-972b-4dcc-8db5-62a388bb8022',
      name: 'TestFirstName TestLastName',
      given_name: 'TestFirstName',
      family_name: 'TestLastName',
      preferred_username: 'test',
      email: 'test@test.com',
      email_verified: true,
    });
  });

  it('access token of user `testadminuser`: no client roles of test-client, so no resource_access entry for it', () => {
    expect(claimsOf('testadminuser', 'access', login, 'openid')).toEqual({
      typ: 'Bearer',
      azp: 'test-client',
      iss: ISSUER,
      scope: 'openid profile email',
      sub: '314b65f9-6c59-4114-8bcf-4f65ccd1fd55',
      auth_time: AUTH_TIME,
      acr: '1',
      aud: ['test-client', 'account'],
      'allowed-origins': ['/*'],
      realm_access: {
        roles: ['Admin', 'default-roles-test', 'offline_access', 'uma_authorization'],
      },
      resource_access: { account: ACCOUNT_ROLES },
      name: 'Test Admin',
      given_name: 'Test',
      family_name: 'Admin',
      preferred_username: 'testadminuser',
      email: 'testadminuser@test.com',
      email_verified: true,
    });
  });

  it('access token with scope=openid phone: the optional phone scope adds nothing for a user without phone attributes but is in `scope`', () => {
    expect(claimsOf('test', 'access', login, 'openid phone').scope).toBe(
      'openid phone profile email',
    );
  });

  it("client_credentials token of test-client's service account: transient session sub, no auth_time, no service_account scope (not attached on import)", () => {
    expect(
      claimsOf('service-account-test-client', 'access', {
        notes: serviceAccountNotes('test-client', '10.0.0.7', '10.0.0.7'),
        transient: true,
      }),
    ).toEqual({
      typ: 'Bearer',
      azp: 'test-client',
      iss: ISSUER,
      scope: 'profile email',
      sub: '7bd66f78-377e-4685-b3ab-eea4f5952645',
      acr: '1',
      aud: ['test-client', 'account'],
      'allowed-origins': ['/*'],
      realm_access: { roles: ['default-roles-test', 'offline_access', 'uma_authorization'] },
      resource_access: { 'test-client': { roles: ['uma_protection'] }, account: ACCOUNT_ROLES },
      preferred_username: 'service-account-test-client',
      email_verified: false,
    });
  });
});

describe('claims cache (per realm version)', () => {
  it('gives the same claims as the pipeline for a kept user object, a fresh copy each time; invalid scopes still throw', () => {
    const cache = createClaimsCache(index);
    const user = users.get('service-account-test-client')!;
    const req = (host: string) => ({
      client: index.clients.get('test-client')!,
      user,
      userRoles: model.effectiveRoles(user),
      session: { notes: serviceAccountNotes('test-client', host, host), acr: '1', transient: true },
      target: 'access' as const,
      issuer: ISSUER,
    });
    const first = cache.claims(req('10.0.0.7'));
    expect(normalise(first.claims)).toEqual(
      claimsOf('service-account-test-client', 'access', {
        notes: serviceAccountNotes('test-client', '10.0.0.7', '10.0.0.7'),
        transient: true,
      }),
    );
    first.claims.extra = 'changed by a caller';
    expect(cache.claims(req('10.0.0.7')).claims).not.toHaveProperty('extra');
    expect(() => cache.claims({ ...req('10.0.0.7'), scopeParam: 'bogus' })).toThrow(
      'Invalid scopes: bogus',
    );
  });
});

/**
 * Every real Keycloak export in test/fixtures/keycloak-realms through the pipeline: each OIDC
 * client, each token target, no scope parameter and `openid`. No fixture may make the pipeline
 * throw or skip a mapper (all their OIDC mapper types are supported; SAML mappers belong to SAML
 * scopes and are not applied to OIDC clients, as DefaultClientSessionContext.loadProtocolMappers
 * filters by the client's protocol). Two realm files are then checked claim by claim against
 * Keycloak's source: UserSessionNoteMapper + ClientCredentialsGrantType's session notes, and
 * group role mappings (TokenManager.addGroupRoles / RoleUtils.getDeepUserRoleMappings) with
 * AudienceProtocolMapper.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRealm } from '../../src/realm/import.ts';
import { RealmModel } from '../../src/model/model.ts';
import {
  userSchema,
  type RealmDocument,
  type RealmRepresentation,
} from '../../src/model/representation.ts';
import { createClaimsCache } from '../../src/mappers/claims-cache.ts';
import { tokenClaims } from '../../src/mappers/pipeline.ts';
import { indexRealm } from '../../src/mappers/realm-index.ts';
import { serviceAccountNotes } from '../../src/mappers/service-account.ts';
import type { MapperUser, TokenTarget } from '../../src/mappers/types.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/keycloak-realms');
const REALM_FILES = readdirSync(FIXTURES).filter(
  (f) => f.endsWith('.json') && !f.includes('-users-'),
);
const TARGETS: TokenTarget[] = ['access', 'lightweight', 'id', 'userinfo', 'introspection'];

function load(file: string): { rep: RealmRepresentation; users: MapperUser[] } {
  const json = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Record<
    string,
    unknown
  >;
  const users = ((json.users ?? []) as Record<string, unknown>[]).map(
    (u, i) => ({ ...userSchema.parse(u), id: (u.id as string) ?? `user-${i}` }) as MapperUser,
  );
  return { rep: parseRealm(json, file, {}), users };
}

function claimsFor(
  rep: RealmRepresentation,
  clientId: string,
  user: MapperUser,
  target: TokenTarget,
  notes: Record<string, string> = {},
  transient = false,
) {
  const index = indexRealm(rep);
  const model = new RealmModel({ ...rep, id: rep.realm } as RealmDocument);
  return tokenClaims({
    realm: index,
    client: index.clients.get(clientId)!,
    user,
    userRoles: model.effectiveRoles(user),
    session: { notes, acr: '1', transient },
    target,
    issuer: 'https://issuer',
  });
}

describe('all fixture realms', () => {
  it.each(REALM_FILES)(
    '%s: every OIDC client and target yields claims, nothing skipped',
    (file) => {
      const { rep, users } = load(file);
      const user =
        users.find((u) => !u.serviceAccountClientId) ??
        ({
          ...userSchema.parse({ username: 'someone', email: 'someone@example.com' }),
          id: 'someone',
        } as MapperUser);
      const index = indexRealm(rep);
      expect(index.invalid).toEqual([]);
      for (const client of rep.clients.filter(
        (c) => (c.protocol ?? 'openid-connect') === 'openid-connect',
      )) {
        for (const target of TARGETS) {
          for (const scopeParam of [undefined, 'openid']) {
            const result = tokenClaims({
              realm: index,
              client,
              user,
              userRoles: new RealmModel({ ...rep, id: rep.realm } as RealmDocument).effectiveRoles(
                user,
              ),
              session: { notes: {}, acr: '1' },
              scopeParam,
              target,
            });
            expect(result.skipped, `${client.clientId} ${target}`).toEqual([]);
            expect(() => JSON.stringify(result.claims)).not.toThrow();
          }
        }
      }
    },
  );
});

describe('tractusx CX-Central (Keycloak 25.0.6): service-account client with session-note and attribute mappers', () => {
  const { rep, users } = load('tractusx-portal-iam-CX-Central-kc25.0.6.json');
  const sa = users.find((u) => u.serviceAccountClientId === 'sa-cl1-reg-2')!;

  it('client_credentials token: client_id/clientHost/clientAddress from the session notes, bpn from the user attribute, realm-management in aud', () => {
    const { claims } = claimsFor(
      rep,
      'sa-cl1-reg-2',
      sa,
      'access',
      serviceAccountNotes('sa-cl1-reg-2', '10.1.2.3', '10.1.2.3'),
      true,
    );
    expect(claims).toMatchObject({
      sub: sa.id,
      azp: 'sa-cl1-reg-2',
      client_id: 'sa-cl1-reg-2',
      clientHost: '10.1.2.3',
      clientAddress: '10.1.2.3',
      bpn: 'BPNL00000003CRHK',
      preferred_username: 'service-account-sa-cl1-reg-2',
    });
    // sa-cl1-reg-2 has fullScopeAllowed false and clientScopeMappings realm-management: [manage-identity-providers,
    // manage-users, manage-clients]; TokenManager.getAccess keeps only those, so the account roles of
    // default-roles-cx-central and the realm roles stay out, and realm-management is the only audience.
    expect(claims.aud).toBe('realm-management');
    expect(claims).not.toHaveProperty('realm_access');
    expect(
      (claims.resource_access as Record<string, { roles: string[] }>)[
        'realm-management'
      ].roles.sort(),
    ).toEqual(['manage-clients', 'manage-identity-providers', 'manage-users']);
  });
});

describe('claims cache with session-dependent claims', () => {
  it("a kept service-account user gets the claims of each request's session notes, not a stale memo", () => {
    const { rep, users } = load('tractusx-portal-iam-CX-Central-kc25.0.6.json');
    const index = indexRealm(rep);
    const model = new RealmModel({ ...rep, id: rep.realm } as RealmDocument);
    const cache = createClaimsCache(index);
    const sa = users.find((u) => u.serviceAccountClientId === 'sa-cl1-reg-2')!;
    const at = (host: string) =>
      cache.claims({
        client: index.clients.get('sa-cl1-reg-2')!,
        user: sa,
        userRoles: model.effectiveRoles(sa),
        session: {
          notes: serviceAccountNotes('sa-cl1-reg-2', host, host),
          acr: '1',
          transient: true,
        },
        target: 'access',
      }).claims.clientHost;
    expect([at('10.0.0.1'), at('10.0.0.2'), at('10.0.0.1')]).toEqual([
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.1',
    ]);
  });
});

describe('sovity authority portal (Keycloak 24.0.4): roles through groups, two audience mappers', () => {
  const { rep, users } = load('sovity-authority-portal-dev-kc24.0.4.json');
  const user = users.find((u) => u.username === 'user1@org1.null')!;

  it('access token for oauth2-proxy: group realm roles in realm_access, both configured audiences first in aud', () => {
    const { claims } = claimsFor(rep, 'oauth2-proxy', user, 'access', { AUTH_TIME: '1700000000' });
    expect((claims.realm_access as { roles: string[] }).roles).toEqual(
      expect.arrayContaining([
        'UR_AUTHORITY-PORTAL_PARTICIPANT-USER',
        'UR_AUTHORITY-PORTAL_AUTHORITY-ADMIN',
        'UR_AUTHORITY-PORTAL_AUTHORITY-USER',
      ]),
    );
    expect((claims.aud as string[]).slice(0, 2)).toEqual([
      'authority-portal-client',
      'oauth2-proxy',
    ]);
    expect(claims).toMatchObject({
      sub: user.id,
      auth_time: 1700000000,
      email: 'user1@org1.null',
      name: 'Authority Admin',
    });
  });

  it('its id token has neither audience (id.token.claim false)', () => {
    expect(claimsFor(rep, 'oauth2-proxy', user, 'id').claims.aud).toBe('oauth2-proxy');
  });
});

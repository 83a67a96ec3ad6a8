/**
 * One test (or a few) per protocol mapper type, each expectation taken from the Keycloak class
 * named in the describe() (keycloak/keycloak services/src/main/java/org/keycloak/protocol/oidc/
 * mappers/) and the Keycloak Server Administration Guide, "Mapping OIDC claims"/"Protocol
 * mappers". The realm is built inline; only the client's own mappers apply (no default scopes),
 * so each test sees exactly the mapper under test.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseRealm } from '../../src/realm/import.ts';
import { RealmModel } from '../../src/model/model.ts';
import type { RealmDocument } from '../../src/model/representation.ts';
import { userSchema } from '../../src/model/representation.ts';
import { indexRealm } from '../../src/mappers/realm-index.ts';
import { tokenClaims } from '../../src/mappers/pipeline.ts';
import type { Claims, MapperSession, MapperUser, TokenTarget } from '../../src/mappers/types.ts';

type Mapper = { name?: string; protocolMapper: string; config?: Record<string, string> };

const REALM = {
  realm: 'mappers',
  roles: {
    realm: [
      { name: 'admin', composite: true, composites: { realm: ['reader'] } },
      { name: 'reader' },
      { name: 'other' },
    ],
    client: {
      app: [{ name: 'app-role' }],
      api: [{ name: 'read' }, { name: 'extra' }],
      'my.client': [{ name: 'r' }],
    },
  },
  groups: [
    {
      name: 'org',
      attributes: { dept: ['sales'], region: ['eu'] },
      subGroups: [{ name: 'team', attributes: { dept: ['team-dept'] } }],
    },
  ],
};

const USER = {
  id: 'u-1',
  username: 'alice',
  email: 'alice@example.com',
  emailVerified: true,
  firstName: 'Alice',
  lastName: 'Liddell',
  attributes: {
    phone: ['+33 1'],
    nick: ['al', 'ally'],
    street: ['1 Main St'],
    country: ['FR'],
    age: ['42'],
  },
  // default-roles-mappers as a Keycloak export lists it (import grants no default role).
  realmRoles: ['admin', 'default-roles-mappers'],
  clientRoles: { api: ['read'], app: ['app-role'], 'my.client': ['r'] },
  groups: ['/org/team'],
};

interface Run {
  target?: TokenTarget;
  session?: Partial<MapperSession>;
  client?: Record<string, unknown>;
  user?: Record<string, unknown>;
}

function run(mappers: Mapper[], opts: Run = {}): { claims: Claims; skipped: string[] } {
  const app = {
    clientId: 'app',
    redirectUris: ['https://app.example.com/cb'],
    webOrigins: [],
    defaultClientScopes: [],
    optionalClientScopes: [],
    ...opts.client,
    protocolMappers: mappers.map((m, i) => ({
      name: m.name ?? `m${i}`,
      protocol: 'openid-connect',
      protocolMapper: m.protocolMapper,
      config: m.config ?? {},
    })),
  };
  const rep = parseRealm(
    { ...REALM, clients: [app, { clientId: 'api' }, { clientId: 'my.client' }] },
    'test',
    {},
  );
  const user = {
    ...userSchema.parse({ ...USER, ...opts.user }),
    id: (opts.user?.id as string) ?? USER.id,
  } as MapperUser;
  const model = new RealmModel({ ...rep, id: 'r' } as RealmDocument);
  const realm = indexRealm(rep);
  const session: MapperSession = { notes: {}, acr: '1', ...opts.session };
  const result = tokenClaims({
    realm,
    client: realm.clients.get('app')!,
    user,
    userRoles: model.effectiveRoles(user),
    session,
    target: opts.target ?? 'access',
  });
  return { claims: result.claims, skipped: result.skipped };
}

const ACCESS = { 'access.token.claim': 'true' };
const ALL = {
  'access.token.claim': 'true',
  'id.token.claim': 'true',
  'userinfo.token.claim': 'true',
};

describe('oidc-usermodel-attribute-mapper (UserAttributeMapper, KeycloakModelUtils.resolveAttribute)', () => {
  const attr = (config: Record<string, string>) => [
    {
      protocolMapper: 'oidc-usermodel-attribute-mapper',
      config: { ...ACCESS, 'jsonType.label': 'String', ...config },
    },
  ];

  it('maps a user attribute; a list gives its first value unless multivalued', () => {
    expect(run(attr({ 'user.attribute': 'nick', 'claim.name': 'nick' })).claims.nick).toBe('al');
    expect(
      run(attr({ 'user.attribute': 'nick', 'claim.name': 'nick', multivalued: 'true' })).claims
        .nick,
    ).toEqual(['al', 'ally']);
  });

  it('falls back to the groups (and their parents) when the user has no value, aggregates with aggregate.attrs', () => {
    expect(run(attr({ 'user.attribute': 'dept', 'claim.name': 'dept' })).claims.dept).toBe(
      'team-dept',
    );
    expect(run(attr({ 'user.attribute': 'region', 'claim.name': 'region' })).claims.region).toBe(
      'eu',
    );
    expect(
      run(
        attr({
          'user.attribute': 'dept',
          'claim.name': 'dept',
          multivalued: 'true',
          'aggregate.attrs': 'true',
        }),
      ).claims.dept,
    ).toEqual(['team-dept', 'sales']);
  });

  it('reads the root attributes username/email/firstName/lastName, nests dotted claim names, converts jsonType', () => {
    const { claims } = run([
      ...attr({ 'user.attribute': 'username', 'claim.name': 'user.name' }),
      ...attr({ 'user.attribute': 'age', 'claim.name': 'age', 'jsonType.label': 'long' }),
    ]);
    expect(claims.user).toEqual({ name: 'alice' });
    expect(claims.age).toBe(42);
  });

  it('no value, no claim; not in the id token unless id.token.claim', () => {
    expect(
      run(attr({ 'user.attribute': 'missing', 'claim.name': 'missing' })).claims,
    ).not.toHaveProperty('missing');
    expect(
      run(attr({ 'user.attribute': 'nick', 'claim.name': 'nick' }), { target: 'id' }).claims,
    ).not.toHaveProperty('nick');
  });
});

describe('oidc-usermodel-property-mapper (UserPropertyMapper, ProtocolMapperUtils.getUserModelValue)', () => {
  it('maps a UserModel property; emailVerified as boolean', () => {
    const { claims } = run(
      [
        {
          protocolMapper: 'oidc-usermodel-property-mapper',
          config: {
            ...ALL,
            'user.attribute': 'emailVerified',
            'claim.name': 'email_verified',
            'jsonType.label': 'boolean',
          },
        },
        {
          protocolMapper: 'oidc-usermodel-property-mapper',
          config: {
            ...ALL,
            'user.attribute': 'Username',
            'claim.name': 'preferred_username',
            'jsonType.label': 'String',
          },
        },
      ],
      { target: 'userinfo' },
    );
    expect(claims).toMatchObject({ email_verified: true, preferred_username: 'alice' });
  });
});

describe('oidc-usermodel-realm-role-mapper (UserRealmRoleMappingMapper, AbstractUserRoleMappingMapper)', () => {
  const realmRoles = (config: Record<string, string>) => ({
    protocolMapper: 'oidc-usermodel-realm-role-mapper',
    config: { ...ALL, multivalued: 'true', 'jsonType.label': 'String', ...config },
  });

  it('puts the expanded realm roles (composites) into realm_access.roles, with a prefix if configured', () => {
    const roles = run([realmRoles({ 'claim.name': 'realm_access.roles' })]).claims.realm_access as {
      roles: string[];
    };
    expect(roles.roles).toEqual(
      expect.arrayContaining([
        'admin',
        'reader',
        'default-roles-mappers',
        'offline_access',
        'uma_authorization',
      ]),
    );
    expect(roles.roles).not.toContain('other');
    const prefixed = run([
      realmRoles({ 'claim.name': 'roles', 'usermodel.realmRoleMapping.rolePrefix': 'realm:' }),
    ]).claims.roles as string[];
    expect(prefixed).toContain('realm:admin');
  });

  it('two role mappers on realm_access.roles accumulate one set (AccessToken.Access.addRole)', () => {
    const roles = (
      run([
        realmRoles({ 'claim.name': 'realm_access.roles' }),
        realmRoles({ 'claim.name': 'realm_access.roles' }),
      ]).claims.realm_access as { roles: string[] }
    ).roles;
    expect(new Set(roles).size).toBe(roles.length);
  });

  it('the microprofile `groups` claim in the id token', () => {
    expect(run([realmRoles({ 'claim.name': 'groups' })], { target: 'id' }).claims.groups).toEqual(
      expect.arrayContaining(['admin', 'reader']),
    );
  });
});

describe('oidc-usermodel-client-role-mapper (UserClientRoleMappingMapper)', () => {
  const clientRoles = (config: Record<string, string>) => ({
    protocolMapper: 'oidc-usermodel-client-role-mapper',
    config: { ...ACCESS, multivalued: 'true', 'jsonType.label': 'String', ...config },
  });

  it('without a client id: every client, ${client_id} replaced and its dots escaped', () => {
    const { claims } = run([clientRoles({ 'claim.name': 'resource_access.${client_id}.roles' })]);
    // account roles come from the realm's default role (default-roles-{realm}: account view-profile, manage-account).
    expect(claims.resource_access).toEqual({
      api: { roles: ['read'] },
      app: { roles: ['app-role'] },
      'my.client': { roles: ['r'] },
      account: {
        roles: expect.arrayContaining(['view-profile', 'manage-account', 'manage-account-links']),
      },
    });
  });

  it('with usermodel.clientRoleMapping.clientId and a prefix: that client only', () => {
    const { claims } = run([
      clientRoles({
        'claim.name': 'api_roles',
        'usermodel.clientRoleMapping.clientId': 'api',
        'usermodel.clientRoleMapping.rolePrefix': 'api:',
      }),
    ]);
    expect(claims.api_roles).toEqual(['api:read']);
    expect(claims).not.toHaveProperty('resource_access');
  });
});

describe('oidc-hardcoded-claim-mapper (HardcodedClaim)', () => {
  it('writes claim.value converted by jsonType.label', () => {
    const { claims } = run([
      {
        protocolMapper: 'oidc-hardcoded-claim-mapper',
        config: {
          ...ACCESS,
          'claim.name': 'tenant',
          'claim.value': 'acme',
          'jsonType.label': 'String',
        },
      },
      {
        protocolMapper: 'oidc-hardcoded-claim-mapper',
        config: {
          ...ACCESS,
          'claim.name': 'flags.beta',
          'claim.value': 'true',
          'jsonType.label': 'boolean',
        },
      },
      {
        protocolMapper: 'oidc-hardcoded-claim-mapper',
        config: {
          ...ACCESS,
          'claim.name': 'cfg',
          'claim.value': '{"a":1}',
          'jsonType.label': 'JSON',
        },
      },
    ]);
    expect(claims).toMatchObject({ tenant: 'acme', flags: { beta: true }, cfg: { a: 1 } });
  });
});

describe('oidc-hardcoded-role-mapper (HardcodedRole, priority 20) and oidc-role-name-mapper (RoleNameMapper, priority 10)', () => {
  const clientRoles = {
    protocolMapper: 'oidc-usermodel-client-role-mapper',
    config: { ...ACCESS, multivalued: 'true', 'claim.name': 'resource_access.${client_id}.roles' },
  };
  const realmRoles = {
    protocolMapper: 'oidc-usermodel-realm-role-mapper',
    config: { ...ACCESS, multivalued: 'true', 'claim.name': 'realm_access.roles' },
  };

  it('a hardcoded role (app.role split at the last dot) reaches the role claims and the audience, whatever the mapper order', () => {
    const { claims } = run([
      clientRoles,
      { protocolMapper: 'oidc-audience-resolve-mapper' },
      { protocolMapper: 'oidc-hardcoded-role-mapper', config: { role: 'api.extra' } },
    ]);
    expect((claims.resource_access as Record<string, { roles: string[] }>).api.roles).toEqual([
      'read',
      'extra',
    ]);
    // Order-free: Keycloak's AudienceResolveProtocolMapper walks token.getResourceAccess(), a HashMap.
    expect([...(claims.aud as string[])].sort()).toEqual(['account', 'api', 'my.client']);
  });

  it('a realm role renamed into a client role moves', () => {
    const { claims } = run([
      realmRoles,
      clientRoles,
      {
        protocolMapper: 'oidc-role-name-mapper',
        config: { role: 'reader', 'new.role.name': 'app.renamed' },
      },
    ]);
    expect((claims.realm_access as { roles: string[] }).roles).not.toContain('reader');
    expect((claims.resource_access as Record<string, { roles: string[] }>).app.roles).toEqual([
      'app-role',
      'renamed',
    ]);
  });

  it('neither writes to the id token', () => {
    const { claims } = run(
      [
        { ...realmRoles, config: { ...realmRoles.config, 'id.token.claim': 'true' } },
        { protocolMapper: 'oidc-hardcoded-role-mapper', config: { role: 'made-up' } },
      ],
      { target: 'id' },
    );
    expect((claims.realm_access as { roles: string[] }).roles).not.toContain('made-up');
  });
});

describe('oidc-audience-mapper (AudienceProtocolMapper)', () => {
  it('adds the included client, else the custom audience; id token only with id.token.claim', () => {
    const mappers = [
      {
        protocolMapper: 'oidc-audience-mapper',
        config: { ...ACCESS, 'included.client.audience': 'api' },
      },
      {
        protocolMapper: 'oidc-audience-mapper',
        config: {
          ...ACCESS,
          'id.token.claim': 'true',
          'included.custom.audience': 'https://api.example.com',
        },
      },
    ];
    expect(run(mappers).claims.aud).toEqual(['api', 'https://api.example.com']);
    expect(run(mappers, { target: 'id' }).claims.aud).toEqual(['app', 'https://api.example.com']);
    expect(run([mappers[0]]).claims.aud).toBe('api');
    expect(run(mappers, { target: 'userinfo' }).claims).not.toHaveProperty('aud');
  });
});

describe('oidc-audience-resolve-mapper (AudienceResolveProtocolMapper, priority 30)', () => {
  it('adds every other client the token has roles of (account: from the default role); on when access.token.claim is unset', () => {
    // Order-free: Keycloak's AudienceResolveProtocolMapper walks token.getResourceAccess(), a HashMap.
    expect(
      [
        ...(run([{ protocolMapper: 'oidc-audience-resolve-mapper' }]).claims.aud as string[]),
      ].sort(),
    ).toEqual(['account', 'api', 'my.client']);
    expect(
      run([{ protocolMapper: 'oidc-audience-resolve-mapper' }], {
        client: { clientId: 'app' },
        user: { clientRoles: { app: ['app-role'] } },
      }).claims.aud,
    ).toBe('account');
    expect(
      run([
        {
          protocolMapper: 'oidc-audience-resolve-mapper',
          config: { 'access.token.claim': 'false' },
        },
      ]).claims,
    ).not.toHaveProperty('aud');
  });
});

describe('oidc-group-membership-mapper (GroupMembershipMapper)', () => {
  it('full path or group name, as a list; no groups, no claim', () => {
    const mapper = (fullPath: string) => [
      {
        protocolMapper: 'oidc-group-membership-mapper',
        config: { ...ALL, 'claim.name': 'groups', 'full.path': fullPath },
      },
    ];
    expect(run(mapper('true')).claims.groups).toEqual(['/org/team']);
    expect(run(mapper('false'), { target: 'id' }).claims.groups).toEqual(['team']);
    expect(run(mapper('true'), { user: { groups: [] } }).claims).not.toHaveProperty('groups');
  });
});

describe('oidc-full-name-mapper (FullNameMapper)', () => {
  it('name = first + " " + last, either alone, none without both', () => {
    const mapper = [{ protocolMapper: 'oidc-full-name-mapper', config: ALL }];
    expect(run(mapper).claims.name).toBe('Alice Liddell');
    expect(run(mapper, { user: { lastName: undefined } }).claims.name).toBe('Alice');
    expect(
      run(mapper, { user: { firstName: undefined, lastName: undefined } }).claims,
    ).not.toHaveProperty('name');
  });
});

describe('oidc-address-mapper (AddressMapper, AddressClaimSet)', () => {
  it('street_address etc. from the configured attributes; {} when the user has none', () => {
    const mapper = [
      {
        protocolMapper: 'oidc-address-mapper',
        config: { ...ALL, 'user.attribute.street': 'street' },
      },
    ];
    expect(run(mapper).claims.address).toEqual({ street_address: '1 Main St', country: 'FR' });
    expect(run(mapper, { user: { attributes: {} } }).claims.address).toEqual({});
  });
});

describe('oidc-sha256-pairwise-sub-mapper (SHA256PairwiseSubMapper)', () => {
  // SHA256PairwiseSubMapper.generateSub: sha256.update(sector), update(localSub), digest(salt),
  // then java.util.UUID.nameUUIDFromBytes (MD5, version 3, IETF variant). Computed step by step here.
  function expected(sector: string, sub: string, salt: string): string {
    const md5 = createHash('md5')
      .update(
        createHash('sha256')
          .update(sector + sub + salt)
          .digest(),
      )
      .digest();
    md5[6] = (md5[6] & 0x0f) | 0x30;
    md5[8] = (md5[8] & 0x3f) | 0x80;
    const h = md5.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  it('replaces sub with the pairwise id of the redirect URIs host (or sectorIdentifierUri host)', () => {
    const mapper = (config: Record<string, string>) => [
      { protocolMapper: 'oidc-sub-mapper', config: ACCESS },
      {
        protocolMapper: 'oidc-sha256-pairwise-sub-mapper',
        config: { pairwiseSubAlgorithmSalt: 'salty', ...config },
      },
    ];
    expect(run(mapper({})).claims.sub).toBe(expected('app.example.com', 'u-1', 'salty'));
    expect(
      run(mapper({ sectorIdentifierUri: 'https://sector.example.org/ids.json' }), { target: 'id' })
        .claims.sub,
    ).toBe(expected('sector.example.org', 'u-1', 'salty'));
    expect(run(mapper({}), { target: 'userinfo' }).claims.sub).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('without a salt it writes nothing (Keycloak fails the request)', () => {
    expect(
      run([
        { protocolMapper: 'oidc-sub-mapper', config: ACCESS },
        { protocolMapper: 'oidc-sha256-pairwise-sub-mapper' },
      ]).claims.sub,
    ).toBe('u-1');
  });
});

describe('oidc-usersessionmodel-note-mapper (UserSessionNoteMapper)', () => {
  it('maps session notes: the service-account notes and AUTH_TIME as long', () => {
    const note = (n: string, claim: string, type = 'String') => ({
      protocolMapper: 'oidc-usersessionmodel-note-mapper',
      config: { ...ACCESS, 'user.session.note': n, 'claim.name': claim, 'jsonType.label': type },
    });
    const { claims } = run(
      [
        note('clientId', 'clientId'),
        note('clientHost', 'clientHost'),
        note('clientAddress', 'clientAddress'),
        note('AUTH_TIME', 'auth_time', 'long'),
        note('absent', 'absent'),
      ],
      {
        session: {
          notes: {
            clientId: 'app',
            clientHost: '10.0.0.1',
            clientAddress: '10.0.0.1',
            AUTH_TIME: '1700000000',
          },
        },
      },
    );
    expect(claims).toMatchObject({
      clientId: 'app',
      clientHost: '10.0.0.1',
      clientAddress: '10.0.0.1',
      auth_time: 1700000000,
    });
    expect(claims).not.toHaveProperty('absent');
  });
});

describe('oidc-allowed-origins-mapper (AllowedWebOriginsProtocolMapper, WebOriginsUtils)', () => {
  it('web origins with "+" replaced by the redirect URIs origins; nothing without web origins', () => {
    const mapper = [{ protocolMapper: 'oidc-allowed-origins-mapper' }];
    const client = {
      webOrigins: ['+', 'https://extra.example.com'],
      redirectUris: ['https://app.example.com/cb/*', 'http://localhost:3000/*', 'myapp://cb'],
    };
    expect(run(mapper, { client }).claims['allowed-origins']).toEqual([
      'https://extra.example.com',
      'https://app.example.com',
      'http://localhost:3000',
    ]);
    expect(run(mapper).claims).not.toHaveProperty('allowed-origins');
    expect(run(mapper, { client, target: 'id' }).claims).not.toHaveProperty('allowed-origins');
  });
});

describe('oidc-acr-mapper (AcrProtocolMapper)', () => {
  it('acr = the achieved level; never in userinfo', () => {
    const mapper = [{ protocolMapper: 'oidc-acr-mapper', config: { ...ALL } }];
    expect(run(mapper, { session: { acr: '0' } }).claims.acr).toBe('0');
    expect(run(mapper, { target: 'id' }).claims.acr).toBe('1');
    expect(run(mapper, { target: 'userinfo' }).claims).not.toHaveProperty('acr');
  });
});

describe('oidc-sub-mapper (SubMapper)', () => {
  it('sub = user id in the access token only (basic scope); absent without it', () => {
    expect(run([{ protocolMapper: 'oidc-sub-mapper', config: ACCESS }]).claims.sub).toBe('u-1');
    expect(run([]).claims).not.toHaveProperty('sub');
  });
});

describe('oidc-claims-param-token-mapper (ClaimsParameterTokenMapper)', () => {
  it('essential claims of the claims parameter go into the id token / userinfo', () => {
    const mapper = [
      {
        protocolMapper: 'oidc-claims-param-token-mapper',
        config: { 'id.token.claim': 'true', 'userinfo.token.claim': 'true' },
      },
    ];
    const claimsParam = JSON.stringify({
      id_token: { email: { essential: true }, name: { essential: true }, given_name: null },
      userinfo: { preferred_username: { essential: true } },
    });
    expect(run(mapper, { target: 'id', session: { claimsParam } }).claims).toMatchObject({
      email: 'alice@example.com',
      name: 'Alice Liddell',
    });
    expect(run(mapper, { target: 'id', session: { claimsParam } }).claims).not.toHaveProperty(
      'given_name',
    );
    expect(run(mapper, { target: 'userinfo', session: { claimsParam } }).claims).toMatchObject({
      preferred_username: 'alice',
    });
  });
});

describe('lightweight access token (client.use.lightweight.access.token.enabled)', () => {
  it('only mappers with lightweight.claim write to it', () => {
    const mappers = [
      {
        protocolMapper: 'oidc-hardcoded-claim-mapper',
        config: { ...ACCESS, 'claim.name': 'heavy', 'claim.value': 'x' },
      },
      {
        protocolMapper: 'oidc-hardcoded-claim-mapper',
        config: {
          ...ACCESS,
          'lightweight.claim': 'true',
          'claim.name': 'light',
          'claim.value': 'y',
        },
      },
    ];
    const { claims } = run(mappers, { target: 'lightweight' });
    expect(claims).toMatchObject({ light: 'y' });
    expect(claims).not.toHaveProperty('heavy');
  });
});

describe('unknown mapper types', () => {
  it('are skipped and reported once, never thrown', () => {
    const { claims, skipped } = run([
      { name: 'script', protocolMapper: 'oidc-script-based-protocol-mapper' },
      { name: 'script', protocolMapper: 'oidc-script-based-protocol-mapper' },
      {
        protocolMapper: 'oidc-hardcoded-claim-mapper',
        config: { ...ACCESS, 'claim.name': 'ok', 'claim.value': '1' },
      },
    ]);
    expect(skipped).toEqual(['script (oidc-script-based-protocol-mapper)']);
    expect(claims.ok).toBe('1');
  });
});

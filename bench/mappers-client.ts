/**
 * The bench realm's `pw-mappers` client (bench/run.ts): a direct-grant client with 10 protocol
 * mappers of its own (Keycloak applies a client's own mappers beside its scopes':
 * TokenManager.getProtocolMappers), and what its user needs for all of them to write a claim.
 * The types are the common ones of real exports: user attributes and properties, hardcoded
 * claims, group membership, realm and client roles under custom names, an audience, the full
 * name and a session note.
 */
const ALL = {
  'access.token.claim': 'true',
  'id.token.claim': 'true',
  'userinfo.token.claim': 'true',
  'introspection.token.claim': 'true',
};
const mapper = (name: string, protocolMapper: string, config: Record<string, string>) => ({
  name,
  protocol: 'openid-connect',
  protocolMapper,
  config: { ...ALL, ...config },
});

export const MAPPERS_CLIENT = {
  clientId: 'pw-mappers',
  publicClient: true,
  standardFlowEnabled: false,
  directAccessGrantsEnabled: true,
  protocolMappers: [
    mapper('department', 'oidc-usermodel-attribute-mapper', {
      'user.attribute': 'department',
      'claim.name': 'department',
      'jsonType.label': 'String',
    }),
    mapper('cost centre', 'oidc-usermodel-attribute-mapper', {
      'user.attribute': 'costCentre',
      'claim.name': 'org.cost_centre',
      'jsonType.label': 'long',
    }),
    mapper('login', 'oidc-usermodel-property-mapper', {
      'user.attribute': 'username',
      'claim.name': 'login',
      'jsonType.label': 'String',
    }),
    mapper('tenant', 'oidc-hardcoded-claim-mapper', {
      'claim.value': 'acme',
      'claim.name': 'tenant',
      'jsonType.label': 'String',
    }),
    mapper('features', 'oidc-hardcoded-claim-mapper', {
      'claim.value': '{"beta":true,"max":3}',
      'claim.name': 'features',
      'jsonType.label': 'JSON',
    }),
    mapper('groups', 'oidc-group-membership-mapper', {
      'claim.name': 'groups',
      'full.path': 'true',
    }),
    mapper('roles', 'oidc-usermodel-realm-role-mapper', {
      'claim.name': 'roles',
      multivalued: 'true',
      'jsonType.label': 'String',
    }),
    mapper('account roles', 'oidc-usermodel-client-role-mapper', {
      'usermodel.clientRoleMapping.clientId': 'account',
      'claim.name': 'account_roles',
      multivalued: 'true',
      'jsonType.label': 'String',
    }),
    mapper('audience', 'oidc-audience-mapper', {
      'included.custom.audience': 'https://api.example.com',
      'id.token.claim': 'false',
    }),
    mapper('full name', 'oidc-full-name-mapper', { 'claim.name': 'name' }),
  ],
};

/** The user attributes and group the mappers read. */
export const MAPPERS_USER_EXTRA = {
  attributes: { department: ['R&D'], costCentre: ['4711'] },
  groups: ['/staff/devs'],
};
export const MAPPERS_GROUPS = [{ name: 'staff', subGroups: [{ name: 'devs' }] }];

/**
 * serverinfo's `protocolMapperTypes["openid-connect"]`: the protocol mapper types this server runs
 * (mappers/registry.ts), as Keycloak's ServerInfoAdminResource lists ProtocolMapper factories:
 * `id`, display `name`, `category` "Token mapper", `helpText`, `priority` and the config
 * properties the console's "Add mapper → By configuration" form shows. Names and property keys are
 * Keycloak's (OIDCAttributeMapperHelper: claim.name, jsonType.label, id.token.claim,
 * access.token.claim, userinfo.token.claim, introspection.token.claim; and each mapper's own).
 */
import { supportedMapperTypes } from '../mappers/registry.ts';
import type { ConfigProperty } from './key-provider-types.ts';

export interface ProtocolMapperType {
  id: string;
  name: string;
  category: string;
  helpText: string;
  priority: number;
  properties: ConfigProperty[];
}

const p = (
  name: string,
  label: string,
  type: ConfigProperty['type'],
  helpText = label,
  extra: Partial<ConfigProperty> = {},
): ConfigProperty => ({ name, label, helpText, type, secret: false, readOnly: false, ...extra });

const bool = (name: string, label: string, defaultValue = 'true') =>
  p(name, label, 'boolean', `Should the claim be added to the ${label.replace(/^Add to /, '')}?`, {
    defaultValue,
  });

const TOKEN_CLAIM = [
  p('claim.name', 'Token Claim Name', 'String', 'Name of the claim to insert into the token.'),
  p('jsonType.label', 'Claim JSON Type', 'List', 'JSON type of the claim value.', {
    options: ['String', 'long', 'int', 'boolean', 'JSON'],
  }),
];
const TARGETS = [
  bool('id.token.claim', 'Add to ID token'),
  bool('access.token.claim', 'Add to access token'),
  bool('userinfo.token.claim', 'Add to userinfo'),
  bool('introspection.token.claim', 'Add to token introspection'),
];
const multivalued = bool('multivalued', 'Multivalued', 'false');

/** id -> [display name, help text, own properties, whether it has the token claim fields]. */
const TYPES: Record<string, [string, string, ConfigProperty[], boolean]> = {
  'oidc-usermodel-attribute-mapper': [
    'User Attribute',
    'Map a custom user attribute to a token claim.',
    [
      p('user.attribute', 'User Attribute', 'String'),
      multivalued,
      bool('aggregate.attrs', 'Aggregate attribute values', 'false'),
    ],
    true,
  ],
  'oidc-usermodel-property-mapper': [
    'User Property',
    'Map a built in user property (email, firstName, lastName) to a token claim.',
    [p('user.attribute', 'Property', 'String')],
    true,
  ],
  'oidc-usermodel-realm-role-mapper': [
    'User Realm Role',
    'Map a user realm role to a token claim.',
    [p('usermodel.realmRoleMapping.rolePrefix', 'Realm Role prefix', 'String'), multivalued],
    true,
  ],
  'oidc-usermodel-client-role-mapper': [
    'User Client Role',
    'Map a user client role to a token claim.',
    [
      p('usermodel.clientRoleMapping.clientId', 'Client ID', 'String'),
      p('usermodel.clientRoleMapping.rolePrefix', 'Client Role prefix', 'String'),
      multivalued,
    ],
    true,
  ],
  'oidc-hardcoded-claim-mapper': [
    'Hardcoded claim',
    'Hardcode a claim into the token.',
    [p('claim.value', 'Claim value', 'String')],
    true,
  ],
  'oidc-hardcoded-role-mapper': [
    'Hardcoded Role',
    'Hardcode a role into the access token.',
    [p('role', 'Role', 'String')],
    false,
  ],
  'oidc-role-name-mapper': [
    'Role Name Mapper',
    'Map an assigned role to a new name or position in the token.',
    [p('role', 'Role', 'String'), p('new.role.name', 'New Role Name', 'String')],
    false,
  ],
  'oidc-audience-mapper': [
    'Audience',
    'Add specified audience to the audience (aud) field of token',
    [
      p('included.client.audience', 'Included Client Audience', 'String'),
      p('included.custom.audience', 'Included Custom Audience', 'String'),
    ],
    false,
  ],
  'oidc-audience-resolve-mapper': [
    'Audience Resolve',
    'Adds the clients the user has roles in to the audience of the token.',
    [],
    false,
  ],
  'oidc-group-membership-mapper': [
    'Group Membership',
    'Map user group membership',
    [bool('full.path', 'Full group path')],
    true,
  ],
  'oidc-full-name-mapper': [
    "User's full name",
    'Maps the user\'s first and last name to the OpenID Connect "name" claim.',
    [],
    false,
  ],
  'oidc-address-mapper': [
    'User Address',
    'Maps user address attributes to the OpenID Connect "address" claim.',
    [],
    false,
  ],
  'oidc-sha256-pairwise-sub-mapper': [
    'Pairwise subject identifier',
    'Calculates a pairwise subject identifier using a salted sha-256 hash.',
    [p('pairwiseSubAlgorithmSalt', 'Salt', 'String')],
    false,
  ],
  'oidc-usersessionmodel-note-mapper': [
    'User Session Note',
    'Map a custom user session note to a token claim.',
    [p('user.session.note', 'User Session Note', 'String')],
    true,
  ],
  'oidc-allowed-origins-mapper': [
    'Allowed Web Origins',
    'Adds all allowed web origins to the "allowed-origins" claim in the token',
    [],
    false,
  ],
  'oidc-acr-mapper': [
    'Authentication Context Class Reference (ACR)',
    'Maps the achieved LoA (Level of Authentication) to the "acr" claim of the token',
    [],
    false,
  ],
  'oidc-sub-mapper': ['Subject (sub)', 'Adds the "sub" (subject) claim to the token.', [], false],
  'oidc-claims-param-token-mapper': [
    'Claims parameter Token',
    'Claims specified by the claims parameter are put into tokens.',
    [],
    false,
  ],
  'oidc-organization-membership-mapper': [
    'Organization Membership',
    'Map user organization membership',
    [multivalued],
    true,
  ],
};

/** The supported mapper types with their Keycloak descriptions; an undescribed one by its id alone. */
export function protocolMapperTypes(): ProtocolMapperType[] {
  return supportedMapperTypes().map((id) => {
    const [name, helpText, own, claim] = TYPES[id] ?? [id, id, [], false];
    return {
      id,
      name,
      category: 'Token mapper',
      helpText,
      priority: 0,
      properties: [...(claim ? TOKEN_CLAIM : []), ...own, ...TARGETS],
    };
  });
}

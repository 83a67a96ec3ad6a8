/**
 * The client scopes Keycloak 26 creates for a new realm, with their mappers and attributes.
 * Sources:
 * - Keycloak OIDCLoginProtocolFactory (createDefaultClientScopesImpl, addRolesClientScope,
 *   addWebOriginsClientScope, addMicroprofileJWTClientScope, addAcrClientScope,
 *   addBasicClientScope, addServiceAccountClientScope, the `organization` scope) and
 *   DefaultClientScopes.createOfflineAccessClientScope (offline_access, with a role scope
 *   mapping to the realm role `offline_access`);
 * - the mapper configs as a Keycloak 26.5.7 export writes them
 *   (shared/fixtures/keycloak-realms/adaptive-authn-adaptive-kc26.5.7.json, `clientScopes`);
 *   `organization` and `service_account`, absent from that export, from the factory source.
 * Default vs optional (`defaultDefaultClientScopes` / `defaultOptionalClientScopes`) follow the
 * factory's addDefaultClientScope calls. The SAML scopes (`role_list`, `saml_organization`) are
 * left out: this server speaks OIDC only. `service_account` is in neither list: Keycloak attaches
 * it to a client when its service account is enabled.
 */
import type { ClientScopeRep, ProtocolMapperRep } from './types.ts';

const ALL = {
  'introspection.token.claim': 'true',
  'userinfo.token.claim': 'true',
  'id.token.claim': 'true',
  'access.token.claim': 'true',
};
const ACCESS = { 'introspection.token.claim': 'true', 'access.token.claim': 'true' };

const mapper = (
  name: string,
  protocolMapper: string,
  config: Record<string, string>,
): ProtocolMapperRep => ({
  name,
  protocol: 'openid-connect',
  protocolMapper,
  consentRequired: false,
  config,
});

const attribute = (
  name: string,
  userAttribute: string,
  claim: string,
  type = 'String',
): ProtocolMapperRep =>
  mapper(name, 'oidc-usermodel-attribute-mapper', {
    ...ALL,
    'user.attribute': userAttribute,
    'claim.name': claim,
    'jsonType.label': type,
  });

const scope = (
  name: string,
  description: string,
  attributes: Record<string, string>,
  protocolMappers: ProtocolMapperRep[],
): ClientScopeRep => ({
  name,
  description,
  protocol: 'openid-connect',
  attributes,
  protocolMappers,
});

const consent = (
  include: boolean | undefined,
  display: boolean,
  text?: string,
): Record<string, string> => ({
  ...(include === undefined ? {} : { 'include.in.token.scope': String(include) }),
  'display.on.consent.screen': String(display),
  ...(text === undefined ? {} : { 'consent.screen.text': text }),
});

const sessionNote = (name: string, note: string, claim: string): ProtocolMapperRep =>
  mapper(name, 'oidc-usersessionmodel-note-mapper', {
    'user.session.note': note,
    'claim.name': claim,
    'jsonType.label': 'String',
    'access.token.claim': 'true',
    'id.token.claim': 'true',
    'introspection.token.claim': 'true',
  });

function profileScope(): ClientScopeRep {
  return scope(
    'profile',
    'OpenID Connect built-in scope: profile',
    consent(true, true, '${profileScopeConsentText}'),
    [
      mapper('full name', 'oidc-full-name-mapper', { ...ALL }),
      attribute('family name', 'lastName', 'family_name'),
      attribute('given name', 'firstName', 'given_name'),
      attribute('middle name', 'middleName', 'middle_name'),
      attribute('nickname', 'nickname', 'nickname'),
      attribute('username', 'username', 'preferred_username'),
      attribute('profile', 'profile', 'profile'),
      attribute('picture', 'picture', 'picture'),
      attribute('website', 'website', 'website'),
      attribute('gender', 'gender', 'gender'),
      attribute('birthdate', 'birthdate', 'birthdate'),
      attribute('zoneinfo', 'zoneinfo', 'zoneinfo'),
      attribute('locale', 'locale', 'locale'),
      attribute('updated at', 'updatedAt', 'updated_at', 'long'),
    ],
  );
}

function roleScopes(): ClientScopeRep[] {
  const roles = {
    'user.attribute': 'foo',
    ...ACCESS,
    'jsonType.label': 'String',
    multivalued: 'true',
  };
  return [
    scope(
      'roles',
      'OpenID Connect scope for add user roles to the access token',
      consent(false, true, '${rolesScopeConsentText}'),
      [
        mapper('realm roles', 'oidc-usermodel-realm-role-mapper', {
          ...roles,
          'claim.name': 'realm_access.roles',
        }),
        mapper('client roles', 'oidc-usermodel-client-role-mapper', {
          ...roles,
          'claim.name': 'resource_access.${client_id}.roles',
        }),
        mapper('audience resolve', 'oidc-audience-resolve-mapper', { ...ACCESS }),
      ],
    ),
    scope('microprofile-jwt', 'Microprofile - JWT built-in scope', consent(true, false), [
      attribute('upn', 'username', 'upn'),
      mapper('groups', 'oidc-usermodel-realm-role-mapper', {
        ...ALL,
        'user.attribute': 'foo',
        'claim.name': 'groups',
        'jsonType.label': 'String',
        multivalued: 'true',
      }),
    ]),
  ];
}

function claimScopes(): ClientScopeRep[] {
  return [
    scope(
      'email',
      'OpenID Connect built-in scope: email',
      consent(true, true, '${emailScopeConsentText}'),
      [
        attribute('email', 'email', 'email'),
        mapper('email verified', 'oidc-usermodel-property-mapper', {
          ...ALL,
          'user.attribute': 'emailVerified',
          'claim.name': 'email_verified',
          'jsonType.label': 'boolean',
        }),
      ],
    ),
    scope(
      'address',
      'OpenID Connect built-in scope: address',
      consent(true, true, '${addressScopeConsentText}'),
      [
        mapper('address', 'oidc-address-mapper', {
          ...ALL,
          'user.attribute.formatted': 'formatted',
          'user.attribute.country': 'country',
          'user.attribute.postal_code': 'postal_code',
          'user.attribute.street': 'street',
          'user.attribute.region': 'region',
          'user.attribute.locality': 'locality',
        }),
      ],
    ),
    scope(
      'phone',
      'OpenID Connect built-in scope: phone',
      consent(true, true, '${phoneScopeConsentText}'),
      [
        attribute('phone number', 'phoneNumber', 'phone_number'),
        attribute(
          'phone number verified',
          'phoneNumberVerified',
          'phone_number_verified',
          'boolean',
        ),
      ],
    ),
  ];
}

/** The scopes of the protocol itself: offline access, web origins, acr and the basic claims. */
function protocolScopes(): ClientScopeRep[] {
  return [
    scope(
      'offline_access',
      'OpenID Connect built-in scope: offline_access',
      consent(undefined, true, '${offlineAccessScopeConsentText}'),
      [],
    ),
    scope(
      'web-origins',
      'OpenID Connect scope for add allowed web origins to the access token',
      consent(false, false, ''),
      [mapper('allowed web origins', 'oidc-allowed-origins-mapper', { ...ACCESS })],
    ),
    scope(
      'acr',
      'OpenID Connect scope for add acr (authentication context class reference) to the token',
      consent(false, false),
      [mapper('acr loa level', 'oidc-acr-mapper', { ...ALL })],
    ),
    scope(
      'basic',
      'OpenID Connect scope for add all basic claims to the token',
      consent(false, false),
      [
        mapper('auth_time', 'oidc-usersessionmodel-note-mapper', {
          ...ALL,
          'user.session.note': 'AUTH_TIME',
          'claim.name': 'auth_time',
          'jsonType.label': 'long',
        }),
        mapper('sub', 'oidc-sub-mapper', { ...ACCESS }),
      ],
    ),
  ];
}

/** The scopes about the subject's organization and a service account. */
function accountScopes(): ClientScopeRep[] {
  return [
    scope(
      'organization',
      'Additional claims about the organization a subject belongs to',
      consent(true, true, '${organizationScopeConsentText}'),
      [
        mapper('organization', 'oidc-organization-membership-mapper', {
          'claim.name': 'organization',
          'jsonType.label': 'String',
          multivalued: 'true',
          'access.token.claim': 'true',
          'id.token.claim': 'true',
          'introspection.token.claim': 'true',
        }),
      ],
    ),
    scope(
      'service_account',
      'Specific scope for a client enabled for service accounts',
      consent(false, false),
      [
        sessionNote('Client ID', 'client_id', 'client_id'),
        sessionNote('Client Host', 'clientHost', 'clientHost'),
        sessionNote('Client IP Address', 'clientAddress', 'clientAddress'),
      ],
    ),
  ];
}

/** Keycloak 26's built-in OIDC client scopes, fresh objects on every call (callers may keep them). */
export function builtinClientScopes(): ClientScopeRep[] {
  return [
    profileScope(),
    ...claimScopes(),
    ...roleScopes(),
    ...protocolScopes(),
    ...accountScopes(),
  ];
}

/** The built-in scope called `name`, or undefined. */
export function builtinClientScope(name: string): ClientScopeRep | undefined {
  return builtinClientScopes().find((s) => s.name === name);
}

/** Realm default scopes of a new Keycloak 26 realm, in the order the factory adds them. */
export const BUILTIN_DEFAULT_SCOPES: readonly string[] = [
  'profile',
  'email',
  'roles',
  'web-origins',
  'acr',
  'basic',
];
/** Realm optional scopes of a new Keycloak 26 realm. */
export const BUILTIN_OPTIONAL_SCOPES: readonly string[] = [
  'address',
  'phone',
  'offline_access',
  'microprofile-jwt',
  'organization',
];
/** Role scope mappings of the built-ins: `offline_access` is permitted to holders of that realm role. */
export const BUILTIN_SCOPE_MAPPINGS: readonly { clientScope: string; roles: string[] }[] = [
  { clientScope: 'offline_access', roles: ['offline_access'] },
];

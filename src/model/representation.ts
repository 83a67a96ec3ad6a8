/**
 * Keycloak's RealmRepresentation (the realm export/import JSON), as zod schemas.
 * Field names, types and defaults follow Keycloak 26's org.keycloak.representations.idm
 * classes and RepresentationToModel; unknown fields are kept (looseObject) so a realm survives
 * an import/export round trip. Lifespans are in seconds, as in Keycloak.
 */
import { z } from 'zod';

export const credentialSchema = z.looseObject({
  type: z.string().default('password'),
  value: z.string().optional(),
  temporary: z.boolean().optional(),
  /** Keycloak 12+ hashed form: JSON strings with value/salt and hashIterations/algorithm. */
  secretData: z.string().optional(),
  credentialData: z.string().optional(),
  /** Pre-12 hashed form. */
  hashedSaltedValue: z.string().optional(),
  salt: z.string().optional(),
  hashIterations: z.number().int().optional(),
  algorithm: z.string().optional(),
});
export type CredentialRepresentation = z.infer<typeof credentialSchema>;

const stringList = z.array(z.string()).default([]);
const clientRoleMap = z.record(z.string(), z.array(z.string())).default({});

export const userSchema = z.looseObject({
  id: z.string().optional(),
  username: z
    .string()
    .min(1)
    .transform((s) => s.toLowerCase()),
  enabled: z.boolean().default(true),
  email: z.string().optional(),
  emailVerified: z.boolean().default(false),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  createdTimestamp: z.number().optional(),
  attributes: z.record(z.string(), z.array(z.string())).optional(),
  credentials: z.array(credentialSchema).default([]),
  realmRoles: stringList,
  clientRoles: clientRoleMap,
  groups: stringList,
  requiredActions: stringList,
  serviceAccountClientId: z.string().optional(),
});
export type UserRepresentation = z.infer<typeof userSchema>;

export const roleSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  composite: z.boolean().optional(),
  composites: z
    .looseObject({
      realm: z.array(z.string()).optional(),
      client: z.record(z.string(), z.array(z.string())).optional(),
    })
    .optional(),
  attributes: z.record(z.string(), z.array(z.string())).optional(),
});
export type RoleRepresentation = z.infer<typeof roleSchema>;

export interface GroupRepresentation {
  id?: string;
  name: string;
  path?: string;
  realmRoles: string[];
  clientRoles: Record<string, string[]>;
  subGroups: GroupRepresentation[];
  [key: string]: unknown;
}
export const groupSchema: z.ZodType<GroupRepresentation> = z.lazy(() =>
  z.looseObject({
    id: z.string().optional(),
    name: z.string().min(1),
    path: z.string().optional(),
    realmRoles: stringList,
    clientRoles: clientRoleMap,
    subGroups: z.array(groupSchema).default([]),
  }),
) as unknown as z.ZodType<GroupRepresentation>;

/** Keycloak keeps client attributes as strings; exports sometimes carry numbers or booleans. */
const attributeValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const clientSchema = z.looseObject({
  id: z.string().optional(),
  clientId: z.string().min(1),
  name: z.string().optional(),
  enabled: z.boolean().default(true),
  secret: z.string().optional(),
  publicClient: z.boolean().default(false),
  bearerOnly: z.boolean().default(false),
  rootUrl: z.string().optional(),
  baseUrl: z.string().optional(),
  redirectUris: stringList,
  webOrigins: stringList,
  standardFlowEnabled: z.boolean().default(true),
  implicitFlowEnabled: z.boolean().default(false),
  directAccessGrantsEnabled: z.boolean().default(false),
  serviceAccountsEnabled: z.boolean().default(false),
  consentRequired: z.boolean().default(false),
  authorizationServicesEnabled: z.boolean().optional(),
  fullScopeAllowed: z.boolean().default(true),
  protocol: z.string().default('openid-connect'),
  attributes: z.record(z.string(), attributeValue).default({}),
  defaultClientScopes: z.array(z.string()).optional(),
  optionalClientScopes: z.array(z.string()).optional(),
});
export type ClientRepresentation = z.infer<typeof clientSchema>;

/** Keycloak realm names: no slash, no leading/trailing space; we also keep them URL-safe. */
const realmName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/,
    'realm name must be letters, digits, ".", "_" or "-"',
  );
const seconds = (value: number) => z.number().int().min(0).default(value);

export const realmSchema = z.looseObject({
  id: z.string().optional(),
  realm: realmName,
  displayName: z.string().optional(),
  enabled: z.boolean().default(true),
  sslRequired: z.enum(['all', 'external', 'none']).default('external'),
  /**
   * Keycloak's default is RS256 (Constants.DEFAULT_SIGNATURE_ALGORITHM). A realm file that names
   * none gets the server's DEFAULT_SIGNATURE_ALGORITHM (config.ts; realm/import.ts realmFileSchema).
   */
  defaultSignatureAlgorithm: z.string().default('RS256'),
  accessTokenLifespan: seconds(300),
  accessTokenLifespanForImplicitFlow: seconds(900),
  accessCodeLifespan: seconds(60),
  accessCodeLifespanLogin: seconds(1800),
  accessCodeLifespanUserAction: seconds(300),
  oauth2DeviceCodeLifespan: seconds(600),
  oauth2DevicePollingInterval: seconds(5),
  ssoSessionIdleTimeout: seconds(1800),
  ssoSessionMaxLifespan: seconds(36000),
  offlineSessionIdleTimeout: seconds(2592000),
  clientSessionIdleTimeout: seconds(0),
  clientSessionMaxLifespan: seconds(0),
  /** Remember me on the login page; the session limits with it (session-lifetimes.ts). */
  rememberMe: z.boolean().default(false),
  ssoSessionIdleTimeoutRememberMe: seconds(0),
  ssoSessionMaxLifespanRememberMe: seconds(0),
  offlineSessionMaxLifespanEnabled: z.boolean().default(false),
  offlineSessionMaxLifespan: seconds(5184000),
  clientOfflineSessionIdleTimeout: seconds(0),
  clientOfflineSessionMaxLifespan: seconds(0),
  notBefore: seconds(0),
  revokeRefreshToken: z.boolean().default(false),
  loginWithEmailAllowed: z.boolean().default(true),
  /** Event settings (RealmEventsConfigRepresentation); Keycloak saves no event unless enabled. */
  eventsEnabled: z.boolean().default(false),
  enabledEventTypes: z.array(z.string()).default([]),
  eventsExpiration: z.number().int().min(0).optional(),
  eventsListeners: z.array(z.string()).default(['jboss-logging']),
  adminEventsEnabled: z.boolean().default(false),
  adminEventsDetailsEnabled: z.boolean().default(false),
  users: z.array(userSchema).default([]),
  clients: z.array(clientSchema).default([]),
  roles: z
    .looseObject({
      realm: z.array(roleSchema).default([]),
      client: z.record(z.string(), z.array(roleSchema)).default({}),
    })
    .default({ realm: [], client: {} }),
  groups: z.array(groupSchema).default([]),
  defaultRoles: z.array(z.string()).optional(),
  /** Keycloak components by provider type; key providers: keys/components.ts. */
  components: z
    .record(
      z.string(),
      z.array(
        z.looseObject({
          name: z.string().optional(),
          providerId: z.string().optional(),
          config: z.record(z.string(), z.unknown()).optional(),
        }),
      ),
    )
    .optional(),
  defaultRole: roleSchema.optional(),
});
export type RealmRepresentation = z.infer<typeof realmSchema>;
/** A realm file: as realmSchema, but `defaultSignatureAlgorithm` stays absent where the file names none (the server's default fills it). */
export const realmFileSchema = realmSchema.extend({
  defaultSignatureAlgorithm: z.string().optional(),
});
/** The stored realm document; `users` is always empty there (users live in their own table). */
export type RealmDocument = RealmRepresentation & { id: string };

/**
 * `GET /admin/serverinfo` (Keycloak ServerInfoAdminResource → ServerInfoRepresentation), what the
 * Admin Console loads once after login and reads on most pages: systemInfo, memoryInfo, cpuInfo,
 * profileInfo and features (none of Keycloak's optional features; the sections they gate stay
 * hidden), themes, providers (the SPIs the pages read: `signature` and `clientSignature` list our
 * JWS algorithms so Realm settings → Tokens → "Default signature algorithm" offers ML-DSA),
 * protocolMapperTypes, builtinProtocolMappers, clientInstallations, componentTypes (every key
 * provider of ours with its config properties, and the rotation policy), cryptoInfo and enums.
 * Any authenticated admin may read it (Keycloak: any token of a realm admin).
 */
import os from 'node:os';
import { allAlgorithms } from '../jose/algorithms.ts';
import {
  keyProviderTypes,
  rotationPolicyTypes,
  ROTATION_POLICY_TYPE,
} from './key-provider-types.ts';
import { protocolMapperTypes } from './mapper-types.ts';

/** The version the dashboard shows (package.json's). */
export const SERVER_VERSION = '0.1.0';

const startedAt = Date.now();

const spi = (names: string[]) => ({
  internal: false,
  providers: Object.fromEntries(names.map((name) => [name, { order: 0 }])),
});

const formatBytes = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

function memoryInfo() {
  const total = os.totalmem();
  const free = os.freemem();
  return {
    total,
    totalFormated: formatBytes(total),
    used: total - free,
    usedFormated: formatBytes(total - free),
    free,
    freePercentage: Math.round((free / total) * 100),
    freeFormated: formatBytes(free),
  };
}

function systemInfo() {
  const uptimeMillis = Date.now() - startedAt;
  return {
    version: SERVER_VERSION,
    serverTime: new Date().toString(),
    uptime: `${Math.floor(uptimeMillis / 1000)} seconds`,
    uptimeMillis,
    javaVersion: process.version,
    javaVendor: 'Node.js',
    javaVm: 'V8',
    javaVmVersion: process.versions.v8,
    javaRuntime: 'Node.js',
    javaHome: '',
    osName: os.type(),
    osArchitecture: os.arch(),
    osVersion: os.release(),
    fileEncoding: 'UTF-8',
    userName: '',
    userDir: '',
    userTimezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    userLocale: 'en',
  };
}

/** Keycloak's admin event enums (AdminEventRepresentation operationType / resourceType). */
const ENUMS = {
  operationType: ['CREATE', 'UPDATE', 'DELETE', 'ACTION'],
  resourceType: [
    'REALM',
    'REALM_ROLE',
    'REALM_ROLE_MAPPING',
    'REALM_SCOPE_MAPPING',
    'AUTH_FLOW',
    'AUTH_EXECUTION_FLOW',
    'AUTH_EXECUTION',
    'AUTHENTICATOR_CONFIG',
    'REQUIRED_ACTION',
    'IDENTITY_PROVIDER',
    'IDENTITY_PROVIDER_MAPPER',
    'PROTOCOL_MAPPER',
    'USER',
    'USER_LOGIN_FAILURE',
    'USER_SESSION',
    'USER_FEDERATION_PROVIDER',
    'USER_FEDERATION_MAPPER',
    'GROUP',
    'GROUP_MEMBERSHIP',
    'CLIENT',
    'CLIENT_INITIAL_ACCESS_MODEL',
    'CLIENT_ROLE',
    'CLIENT_ROLE_MAPPING',
    'CLIENT_SCOPE',
    'CLIENT_SCOPE_MAPPING',
    'CLIENT_SCOPE_CLIENT_MAPPING',
    'CLUSTER_NODE',
    'COMPONENT',
    'AUTHORIZATION_RESOURCE_SERVER',
    'AUTHORIZATION_RESOURCE',
    'AUTHORIZATION_SCOPE',
    'AUTHORIZATION_POLICY',
    'CUSTOM',
    'USER_PROFILE',
  ],
};

const theme = (name: string) => [{ name, locales: ['en'] }];

/** ServerInfoRepresentation.clientInstallations: the keycloak.json installation file only. */
function clientInstallations() {
  return {
    'openid-connect': [
      {
        id: 'keycloak-oidc-keycloak-json',
        protocol: 'openid-connect',
        downloadOnly: false,
        displayType: 'Keycloak OIDC JSON',
        helpText:
          'keycloak.json file used by the Keycloak OIDC client adapter to configure clients.',
        filename: 'keycloak.json',
        mediaType: 'application/json',
      },
    ],
  };
}

/** ServerInfoRepresentation.componentTypes: the key providers and rotation policies (the rest empty). */
function componentTypes() {
  return {
    'org.keycloak.keys.KeyProvider': keyProviderTypes(),
    [ROTATION_POLICY_TYPE]: rotationPolicyTypes(),
    'org.keycloak.storage.UserStorageProvider': [],
    'org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy': [],
    'org.keycloak.services.clientpolicy.condition.ClientPolicyConditionProvider': [],
    'org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProvider': [],
    'org.keycloak.validate.Validator': [],
  };
}

/** The ServerInfoRepresentation. */
export function serverInfo() {
  const algs = allAlgorithms().map((a) => a.alg);
  const symmetric = algs.filter((a) => a.startsWith('HS'));
  const asymmetric = algs.filter((a) => !a.startsWith('HS'));
  return {
    systemInfo: systemInfo(),
    memoryInfo: memoryInfo(),
    cpuInfo: { processorCount: os.availableParallelism() },
    profileInfo: {
      name: 'community',
      disabledFeatures: [],
      previewFeatures: [],
      experimentalFeatures: [],
    },
    features: [],
    themes: {
      login: theme('keycloak'),
      account: theme('keycloak.v3'),
      admin: theme('keycloak.v2'),
      email: theme('keycloak'),
      common: theme('keycloak'),
      welcome: theme('keycloak'),
    },
    socialProviders: [],
    identityProviders: [],
    clientImporters: [],
    providers: {
      signature: spi(algs),
      clientSignature: spi(algs),
      hash: spi(['SHA-256', 'SHA-384', 'SHA-512']),
      'login-protocol': spi(['openid-connect']),
      'client-registration-policy': spi([]),
      eventsListener: spi(['jboss-logging']),
    },
    protocolMapperTypes: { 'openid-connect': protocolMapperTypes() },
    builtinProtocolMappers: { 'openid-connect': [] },
    clientInstallations: clientInstallations(),
    componentTypes: componentTypes(),
    passwordPolicies: [],
    cryptoInfo: {
      cryptoProvider: 'node:crypto',
      supportedKeystoreTypes: [],
      clientSignatureSymmetricAlgorithms: symmetric,
      clientSignatureAsymmetricAlgorithms: asymmetric,
    },
    enums: ENUMS,
  };
}

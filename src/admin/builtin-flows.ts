/**
 * Keycloak 26's built-in authentication flows (DefaultAuthenticationFlows.addFlows: browser,
 * direct grant, registration, reset credentials, clients, first broker login, docker auth, saml
 * ecp, and their sub-flows), as a Keycloak 26.5.7 realm export lists them
 * (test/fixtures/keycloak-realms/adaptive-authn-adaptive-kc26.5.7.json, Apache-2.0; ids left out:
 * authentication-flows.ts derives one per realm). Data only: this server's login does not run
 * these flows (docs/keycloak-compatibility.md).
 */
export interface FlowExecution {
  authenticator?: string;
  authenticatorConfig?: string;
  authenticatorFlow: boolean;
  requirement: string;
  priority: number;
  flowAlias?: string;
  userSetupAllowed: boolean;
}
export interface AuthenticationFlow {
  id?: string;
  alias: string;
  description?: string;
  providerId: string;
  topLevel: boolean;
  builtIn: boolean;
  authenticationExecutions: FlowExecution[];
}

export const BUILTIN_FLOWS: readonly AuthenticationFlow[] = [
  {
    alias: 'Account verification options',
    description: 'Method with which to verity the existing account',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'idp-email-verification',
        authenticatorFlow: false,
        requirement: 'ALTERNATIVE',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticatorFlow: true,
        requirement: 'ALTERNATIVE',
        priority: 20,
        flowAlias: 'Verify Existing Account by Re-authentication',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'Browser - Conditional OTP',
    description: 'Flow to determine if the OTP is required for the authentication',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'conditional-user-configured',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticator: 'auth-otp-form',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 20,
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'Browser - Conditional Organization',
    description: 'Flow to determine if the organization identity-first login is to be used',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'conditional-user-configured',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticator: 'organization',
        authenticatorFlow: false,
        requirement: 'ALTERNATIVE',
        priority: 20,
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'Direct Grant - Conditional OTP',
    description: 'Flow to determine if the OTP is required for the authentication',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'conditional-user-configured',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticator: 'direct-grant-validate-otp',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 20,
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'First broker login - Conditional OTP',
    description: 'Flow to determine if the OTP is required for the authentication',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'conditional-user-configured',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticator: 'auth-otp-form',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 20,
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'Handle Existing Account',
    description:
      'Handle what to do if there is existing account with same email/username like authenticated identity provider',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'idp-confirm-link',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticatorFlow: true,
        requirement: 'REQUIRED',
        priority: 20,
        flowAlias: 'Account verification options',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'Organization',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticatorFlow: true,
        requirement: 'CONDITIONAL',
        priority: 10,
        flowAlias: 'Browser - Conditional Organization',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'Reset - Conditional OTP',
    description: 'Flow to determine if the OTP should be reset or not. Set to REQUIRED to force.',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'conditional-user-configured',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticator: 'reset-otp',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 20,
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'User creation or linking',
    description: 'Flow for the existing/non-existing user alternatives',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticatorConfig: 'create unique user config',
        authenticator: 'idp-create-user-if-unique',
        authenticatorFlow: false,
        requirement: 'ALTERNATIVE',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticatorFlow: true,
        requirement: 'ALTERNATIVE',
        priority: 20,
        flowAlias: 'Handle Existing Account',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'Verify Existing Account by Re-authentication',
    description: 'Reauthentication of existing account',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'idp-username-password-form',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticatorFlow: true,
        requirement: 'CONDITIONAL',
        priority: 20,
        flowAlias: 'First broker login - Conditional OTP',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'browser',
    description: 'browser based authentication',
    providerId: 'basic-flow',
    topLevel: true,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'auth-cookie',
        authenticatorFlow: false,
        requirement: 'ALTERNATIVE',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticator: 'auth-spnego',
        authenticatorFlow: false,
        requirement: 'DISABLED',
        priority: 20,
        userSetupAllowed: false,
      },
      {
        authenticator: 'identity-provider-redirector',
        authenticatorFlow: false,
        requirement: 'ALTERNATIVE',
        priority: 25,
        userSetupAllowed: false,
      },
      {
        authenticatorFlow: true,
        requirement: 'ALTERNATIVE',
        priority: 30,
        flowAlias: 'forms',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'clients',
    description: 'Base authentication for clients',
    providerId: 'client-flow',
    topLevel: true,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'client-secret',
        authenticatorFlow: false,
        requirement: 'ALTERNATIVE',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticator: 'client-jwt',
        authenticatorFlow: false,
        requirement: 'ALTERNATIVE',
        priority: 20,
        userSetupAllowed: false,
      },
      {
        authenticator: 'client-secret-jwt',
        authenticatorFlow: false,
        requirement: 'ALTERNATIVE',
        priority: 30,
        userSetupAllowed: false,
      },
      {
        authenticator: 'client-x509',
        authenticatorFlow: false,
        requirement: 'ALTERNATIVE',
        priority: 40,
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'direct grant',
    description: 'OpenID Connect Resource Owner Grant',
    providerId: 'basic-flow',
    topLevel: true,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'direct-grant-validate-username',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticator: 'direct-grant-validate-password',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 20,
        userSetupAllowed: false,
      },
      {
        authenticatorFlow: true,
        requirement: 'CONDITIONAL',
        priority: 30,
        flowAlias: 'Direct Grant - Conditional OTP',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'docker auth',
    description: 'Used by Docker clients to authenticate against the IDP',
    providerId: 'basic-flow',
    topLevel: true,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'docker-http-basic-authenticator',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'first broker login',
    description:
      'Actions taken after first broker login with identity provider account, which is not yet linked to any Keycloak account',
    providerId: 'basic-flow',
    topLevel: true,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticatorConfig: 'review profile config',
        authenticator: 'idp-review-profile',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticatorFlow: true,
        requirement: 'REQUIRED',
        priority: 20,
        flowAlias: 'User creation or linking',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'forms',
    description: 'Username, password, otp and other auth forms.',
    providerId: 'basic-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'auth-username-password-form',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticatorFlow: true,
        requirement: 'CONDITIONAL',
        priority: 20,
        flowAlias: 'Browser - Conditional OTP',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'registration',
    description: 'registration flow',
    providerId: 'basic-flow',
    topLevel: true,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'registration-page-form',
        authenticatorFlow: true,
        requirement: 'REQUIRED',
        priority: 10,
        flowAlias: 'registration form',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'registration form',
    description: 'registration form',
    providerId: 'form-flow',
    topLevel: false,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'registration-user-creation',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 20,
        userSetupAllowed: false,
      },
      {
        authenticator: 'registration-password-action',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 50,
        userSetupAllowed: false,
      },
      {
        authenticator: 'registration-recaptcha-action',
        authenticatorFlow: false,
        requirement: 'DISABLED',
        priority: 60,
        userSetupAllowed: false,
      },
      {
        authenticator: 'registration-terms-and-conditions',
        authenticatorFlow: false,
        requirement: 'DISABLED',
        priority: 70,
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'reset credentials',
    description: 'Reset credentials for a user if they forgot their password or something',
    providerId: 'basic-flow',
    topLevel: true,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'reset-credentials-choose-user',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
      {
        authenticator: 'reset-credential-email',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 20,
        userSetupAllowed: false,
      },
      {
        authenticator: 'reset-password',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 30,
        userSetupAllowed: false,
      },
      {
        authenticatorFlow: true,
        requirement: 'CONDITIONAL',
        priority: 40,
        flowAlias: 'Reset - Conditional OTP',
        userSetupAllowed: false,
      },
    ],
  },
  {
    alias: 'saml ecp',
    description: 'SAML ECP Profile Authentication Flow',
    providerId: 'basic-flow',
    topLevel: true,
    builtIn: true,
    authenticationExecutions: [
      {
        authenticator: 'http-basic-authenticator',
        authenticatorFlow: false,
        requirement: 'REQUIRED',
        priority: 10,
        userSetupAllowed: false,
      },
    ],
  },
];

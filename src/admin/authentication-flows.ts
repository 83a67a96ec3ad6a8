/**
 * Authentication flows, read only (Keycloak's AuthenticationManagementResource):
 * `GET /admin/realms/{realm}/authentication/flows` (the top-level flows as
 * AuthenticationFlowRepresentation: id, alias, description, providerId, topLevel, builtIn,
 * authenticationExecutions) and `GET .../flows/{flowAlias}/executions` (the executions of a flow
 * and, below each sub-flow, its executions, as AuthenticationExecutionInfoRepresentation with
 * level and index). The flows are the realm's as its file gave them, else Keycloak's built-in
 * ones (builtin-flows.ts). This server's login does not run them, so nothing here changes them.
 */
import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import type { RealmDocument } from '../model/representation.ts';
import { notFound } from './errors.ts';
import { realmScope, type AdminDeps } from './context.ts';
import { BUILTIN_FLOWS, type AuthenticationFlow } from './builtin-flows.ts';

/** A stable UUID-shaped id for `name` in realm `realmId` (SHA-256 of both). */
function derivedId(realmId: string, name: string): string {
  const h = createHash('sha256').update(`${realmId}\u0000${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The realm's flows (its file's `authenticationFlows`, else the built-in ones), each with an id. */
export function realmFlows(doc: RealmDocument): AuthenticationFlow[] {
  const own = (doc as unknown as { authenticationFlows?: unknown }).authenticationFlows;
  const flows = Array.isArray(own) && own.length ? (own as AuthenticationFlow[]) : BUILTIN_FLOWS;
  return flows.map((f) => ({ ...f, id: f.id ?? derivedId(doc.id ?? doc.realm, f.alias) }));
}

/** Display names of Keycloak's authenticator factories (getDisplayType), for the executions list. */
const DISPLAY: Record<string, string> = {
  'auth-cookie': 'Cookie',
  'auth-spnego': 'Kerberos',
  'identity-provider-redirector': 'Identity Provider Redirector',
  'auth-username-password-form': 'Username Password Form',
  'auth-otp-form': 'OTP Form',
  'conditional-user-configured': 'Condition - user configured',
  'direct-grant-validate-username': 'Username Validation',
  'direct-grant-validate-password': 'Password',
  'direct-grant-validate-otp': 'OTP',
  'registration-page-form': 'Registration Page',
  'registration-user-creation': 'Registration User Profile Creation',
  'registration-password-action': 'Password Validation',
  'registration-recaptcha-action': 'Recaptcha',
  'registration-terms-and-conditions': 'Terms and conditions',
  'reset-credentials-choose-user': 'Choose User',
  'reset-credential-email': 'Send Reset Email',
  'reset-password': 'Reset Password',
  'reset-otp': 'Reset OTP',
  'client-secret': 'Client Id and Secret',
  'client-jwt': 'Signed Jwt',
  'client-secret-jwt': 'Signed Jwt with Client Secret',
  'client-x509': 'X509 Certificate',
  'docker-http-basic-authenticator': 'Docker Authenticator',
  'http-basic-authenticator': 'HTTP Basic Authentication',
  'idp-review-profile': 'Review Profile',
  'idp-create-user-if-unique': 'Create User If Unique',
  'idp-confirm-link': 'Confirm link existing account',
  'idp-email-verification': 'Verify existing account by Email',
  'idp-username-password-form': 'Username Password Form for identity provider reauthentication',
};

/** AuthenticationManagementResource.recurseExecutions: the executions of `flow`, sub-flows expanded below their execution. */
function executionInfos(
  doc: RealmDocument,
  flows: AuthenticationFlow[],
  flow: AuthenticationFlow,
  level: number,
  seen: Set<string>,
): Record<string, unknown>[] {
  if (seen.has(flow.alias)) return [];
  const realmId = doc.id ?? doc.realm;
  return [...flow.authenticationExecutions]
    .sort((a, b) => a.priority - b.priority)
    .flatMap((e, index) => {
      const sub = e.authenticatorFlow ? flows.find((f) => f.alias === e.flowAlias) : undefined;
      const info: Record<string, unknown> = {
        id: derivedId(realmId, `${flow.alias}\u0000${index}`),
        requirement: e.requirement,
        displayName: sub ? sub.alias : (DISPLAY[e.authenticator ?? ''] ?? e.authenticator),
        requirementChoices: sub
          ? ['REQUIRED', 'ALTERNATIVE', 'DISABLED', 'CONDITIONAL']
          : e.authenticator?.startsWith('conditional-')
            ? ['REQUIRED', 'DISABLED']
            : ['REQUIRED', 'ALTERNATIVE', 'DISABLED'],
        configurable: Boolean(e.authenticatorConfig),
        level,
        index,
        priority: e.priority,
        ...(sub
          ? {
              authenticationFlow: true,
              flowId: sub.id,
              providerId: sub.providerId,
              ...(sub.description ? { description: sub.description } : {}),
            }
          : { providerId: e.authenticator }),
        ...(e.authenticatorConfig ? { alias: e.authenticatorConfig } : {}),
      };
      return [
        info,
        ...(sub ? executionInfos(doc, flows, sub, level + 1, new Set([...seen, flow.alias])) : []),
      ];
    });
}

export function authenticationFlowRoutes(router: Router, deps: AdminDeps): void {
  router.get('/:realm/authentication/flows', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    ctx.body = realmFlows(realm.doc).filter((f) => f.topLevel);
  });
  router.get('/:realm/authentication/flows/:flowAlias/executions', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const flows = realmFlows(realm.doc);
    const flow = flows.find((f) => f.alias === ctx.params.flowAlias);
    if (!flow) throw notFound('Flow not found');
    ctx.body = executionInfos(realm.doc, flows, flow, 0, new Set());
  });
}

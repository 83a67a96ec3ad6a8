/**
 * The admin API's emails (Keycloak UserResource.executeActionsEmail / sendVerifyEmail,
 * RealmAdminResource.testSMTPConnection):
 * - `PUT /{realm}/users/{id}/execute-actions-email` (body: the actions; query `client_id`,
 *   `redirect_uri`, `lifespan` in seconds, default `actionTokenGeneratedByAdminLifespan`),
 * - `PUT /{realm}/users/{id}/send-verify-email` (query `client_id`, `redirect_uri`, `lifespan`),
 * - `POST /{realm}/testSMTPConnection` (body: the smtpServer settings being edited; a masked
 *   password means the stored one; the test message goes to the calling administrator's address).
 * Keycloak's refusals: 400 "User email missing", "User is disabled", "Client id missing",
 * "Client doesn't exist", "Client is not enabled", "Invalid redirect uri.", "Provided invalid
 * required actions"; a failed send 500 "Failed to send execute actions email" / "Failed to send
 * verify email" with the reason (no secret in it); an SMTP host the operator did not allow 400.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { findUserById, type StoredUser } from '../store/users.ts';
import type { RealmContext } from '../oidc/realm-context.ts';
import { matchesRedirect } from '../oidc/redirect-uri.ts';
import { redirectPatterns } from '../oidc/clients.ts';
import { EmailError, sendMail, smtpSettings, SmtpNotAllowedError } from '../email/smtp.ts';
import { testMessage } from '../email/templates.ts';
import { sendExecuteActions, sendVerifyEmail } from '../email/user-emails.ts';
import { actionTokenLifespan } from '../tokens/action-token.ts';
import { AdminError, badRequest, notFound } from './errors.ts';
import { noContent, realmScope, type AdminDeps } from './context.ts';
import { COUNT, one, TEXT } from './query-params.ts';
import { SECRET_MASK } from './realms.ts';

/** Keycloak's required actions an administrator may send (RequiredActionProvider ids). */
const KNOWN_ACTIONS = new Set([
  'UPDATE_PASSWORD',
  'VERIFY_EMAIL',
  'CONFIGURE_TOTP',
  'UPDATE_PROFILE',
  'TERMS_AND_CONDITIONS',
]);

const failed = (message: string) => new AdminError(500, { errorMessage: message });

async function runtimeOf(deps: AdminDeps, name: string): Promise<RealmContext> {
  const runtime = await deps.registry.get(name);
  if (!runtime) throw notFound('Realm not found.');
  return runtime.rc;
}

/** The user checks and the client / redirect / lifespan of both user emails. */
function linkFor(
  rc: RealmContext,
  ctx: Context,
  user: StoredUser,
  typ: 'execute-actions' | 'verify-email',
) {
  if (!user.email) throw badRequest('User email missing');
  if (user.enabled === false) throw badRequest('User is disabled');
  const redirectUri = one(ctx.query, 'redirect_uri', TEXT);
  let clientId = one(ctx.query, 'client_id', TEXT);
  if (redirectUri !== undefined && clientId === undefined) throw badRequest('Client id missing');
  clientId ??= rc.realm.client('account') ? 'account' : undefined;
  if (clientId !== undefined) {
    const client = rc.realm.client(clientId);
    if (!client) throw badRequest("Client doesn't exist");
    if (client.enabled === false) throw badRequest('Client is not enabled');
    if (
      redirectUri !== undefined &&
      !matchesRedirect(redirectUri, redirectPatterns(client, rc.baseUrl))
    )
      throw badRequest('Invalid redirect uri.');
  }
  const lifespan =
    one(ctx.query, 'lifespan', COUNT) ?? actionTokenLifespan(rc.realm.rep, typ, true);
  if (lifespan <= 0) throw badRequest('lifespan must be a positive number of seconds');
  return { clientId, redirectUri, lifespan };
}

const sendError = (err: unknown, what: string) => {
  if (err instanceof SmtpNotAllowedError) return badRequest(err.message);
  if (err instanceof EmailError) return failed(`${what}: ${err.message}`);
  return err;
};

/** The admin email routes (router.ts adds them in one block). */
export function userEmailRoutes(router: Router, deps: AdminDeps): void {
  const loadUser = async (realmId: string, id: string) => {
    const user = await findUserById(deps.db, realmId, id);
    if (!user || user.serviceAccountClientId) throw notFound('User not found');
    return user;
  };

  router.put('/:realm/users/:id/execute-actions-email', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const body = (ctx.request as unknown as { body?: unknown }).body;
    const actions = Array.isArray(body) ? body : [];
    if (!actions.every((a): a is string => typeof a === 'string' && KNOWN_ACTIONS.has(a)))
      throw badRequest('Provided invalid required actions');
    const user = await loadUser(realm.id, ctx.params.id);
    const rc = await runtimeOf(deps, realm.name);
    const link = linkFor(rc, ctx, user, 'execute-actions');
    try {
      await sendExecuteActions(rc, user, [...new Set(actions)], link, link.lifespan);
    } catch (err) {
      throw sendError(err, 'Failed to send execute actions email');
    }
    noContent(ctx);
  });

  router.put('/:realm/users/:id/send-verify-email', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const user = await loadUser(realm.id, ctx.params.id);
    const rc = await runtimeOf(deps, realm.name);
    const link = linkFor(rc, ctx, user, 'verify-email');
    try {
      await sendVerifyEmail(rc, user, link, link.lifespan);
    } catch (err) {
      throw sendError(err, 'Failed to send verify email');
    }
    noContent(ctx);
  });

  router.post('/:realm/testSMTPConnection', async (ctx) => {
    const { realm, admin } = await realmScope(deps, ctx);
    const body = (ctx.request as unknown as { body?: unknown }).body;
    const settings = {
      ...((body && typeof body === 'object' ? body : {}) as Record<string, unknown>),
    };
    const stored = (realm.doc as { smtpServer?: Record<string, unknown> }).smtpServer ?? {};
    if (settings.password === SECRET_MASK) settings.password = stored.password;
    const caller = admin.authDetails.userId
      ? await findUserById(deps.db, admin.authDetails.realmId, admin.authDetails.userId)
      : undefined;
    if (!caller?.email) throw badRequest('Logged in user does not have an e-mail.');
    const rc = await runtimeOf(deps, realm.name);
    try {
      await sendMail(smtpSettings({ smtpServer: settings }), rc.mail, testMessage(caller.email));
    } catch (err) {
      throw sendError(err, 'Failed to send email');
    }
    noContent(ctx);
  });
}

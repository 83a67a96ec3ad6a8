/**
 * A user's credentials in the admin API, Keycloak's UserResource: `GET /users/{id}/credentials`
 * (CredentialRepresentation: id, type, userLabel, createdDate, credentialData; never
 * `secretData`) and `DELETE /users/{id}/credentials/{credentialId}` (404 "Credential not found").
 * Deleting the last OTP credential clears the user's `totp` flag, as Keycloak derives it from the
 * credentials.
 */
import type Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import {
  deleteCredential,
  hasOtpCredential,
  listCredentials,
  OTP,
  setCredentialLabel,
} from '../store/credentials.ts';
import { findUserById, updateUser } from '../store/users.ts';
import { AdminError, notFound } from './errors.ts';
import { commit, noContent, realmScope, type AdminDeps } from './context.ts';

/**
 * The admin router parses JSON only and leaves a text/plain body unread (as `{}`); this route
 * takes the label as text/plain (UserResource.setCredentialUserLabel @Consumes TEXT_PLAIN).
 */
async function unparsedText(ctx: Context, next: Next): Promise<void> {
  if (ctx.is('text/plain')) (ctx.request as unknown as { body?: unknown }).body = undefined;
  await next();
}
const textBody = bodyParser({ enableTypes: ['text'], textLimit: '8kb', encoding: 'utf-8' });

export function userCredentialRoutes(router: Router, deps: AdminDeps): void {
  // UserResource.setCredentialUserLabel: requireResetPassword(user); "Credential not found";
  // a blank label: ErrorResponseException("missingCredentialLabel", "Credential label must not
  // be empty", 400). The Admin Console labels the password it has just set.
  router.put(
    '/:realm/users/:id/credentials/:credentialId/userLabel',
    unparsedText,
    textBody,
    async (ctx) => {
      const { realm } = await realmScope(deps, ctx);
      const body = (ctx.request as unknown as { body?: unknown }).body;
      const label = typeof body === 'string' ? body : '';
      const user = await findUserById(deps.db, realm.id, ctx.params.id);
      if (!user) throw notFound('User not found');
      if (label.trim() === '')
        throw new AdminError(400, {
          error: 'missingCredentialLabel',
          error_description: 'Credential label must not be empty',
        });
      await commit(deps, realm.name, async (tx) => {
        if (!(await setCredentialLabel(tx, user.id, ctx.params.credentialId, label)))
          throw notFound('Credential not found');
      });
      noContent(ctx);
    },
  );
  router.get('/:realm/users/:id/credentials', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    const user = await findUserById(deps.db, realm.id, ctx.params.id);
    if (!user) throw notFound('User not found');
    ctx.body = await listCredentials(deps.db, user.id);
  });
  router.delete('/:realm/users/:id/credentials/:credentialId', async (ctx) => {
    const { realm } = await realmScope(deps, ctx);
    await commit(deps, realm.name, async (tx) => {
      const user = await findUserById(tx, realm.id, ctx.params.id);
      if (!user) throw notFound('User not found');
      const type = await deleteCredential(tx, user.id, ctx.params.credentialId);
      if (!type) throw notFound('Credential not found');
      if (type === OTP && !(await hasOtpCredential(tx, user.id)))
        await updateUser(tx, realm.id, { ...user, totp: false });
    });
    noContent(ctx);
  });
}

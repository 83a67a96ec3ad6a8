/**
 * A user's credentials in the admin API, Keycloak's UserResource: `GET /users/{id}/credentials`
 * (CredentialRepresentation: id, type, userLabel, createdDate, credentialData; never
 * `secretData`) and `DELETE /users/{id}/credentials/{credentialId}` (404 "Credential not found").
 * Deleting the last OTP credential clears the user's `totp` flag, as Keycloak derives it from the
 * credentials.
 */
import type Router from '@koa/router';
import { deleteCredential, hasOtpCredential, listCredentials, OTP } from '../store/credentials.ts';
import { findUserById, updateUser } from '../store/users.ts';
import { notFound } from './errors.ts';
import { commit, noContent, realmScope, type AdminDeps } from './context.ts';

export function userCredentialRoutes(router: Router, deps: AdminDeps): void {
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

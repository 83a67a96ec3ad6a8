/**
 * UPDATE_PASSWORD: Keycloak's login-update-password.ftl (fields `password-new`,
 * `password-confirm`) and UpdatePassword.processAction: an empty password "Please specify
 * password.", a different confirmation "Passwords don't match.", the realm's password policy
 * (realm/password-update.ts preparePassword: the first failing rule's messages_en text, history
 * and hashing as the policy says), then the password stored and the action removed in one
 * transaction, and an UPDATE_PASSWORD event. Set by an admin (`requiredActions`), a temporary
 * password (reset-password `temporary: true`, or a realm file's `temporary` credential).
 */
import { preparePassword, storePassword } from '../../realm/password-update.ts';
import { completeAction } from './complete.ts';
import { stepPage, type RequiredActionStep, type UserStepContext } from './types.ts';

export const updatePassword: RequiredActionStep = {
  alias: 'UPDATE_PASSWORD',
  async show(sc: UserStepContext, error?: string) {
    stepPage(
      sc,
      'login-update-password',
      {
        action: `${sc.base}/required-action/UPDATE_PASSWORD`,
        username: sc.user.username,
        // FreeMarkerLoginFormsProvider.createResponse(UPDATE_PASSWORD): the activation text only
        // while the user holds the required action (isRequestedByAdmin), else resetPasswordMessage
        // (an application-initiated action, kc_action=UPDATE_PASSWORD).
        info: (sc.user.requiredActions ?? []).includes('UPDATE_PASSWORD')
          ? 'updatePasswordMessage'
          : 'resetPasswordMessage',
        error,
      },
      error ? 400 : 200,
    );
  },
  async submit(sc, form) {
    const password = form['password-new'] ?? '';
    if (!password) return shown(sc, 'Please specify password.');
    if (password !== (form['password-confirm'] ?? '')) return shown(sc, "Passwords don't match.");
    const prepared = await preparePassword(sc.rc.db, sc.rc.realm.rep, sc.user, password);
    if (!prepared.ok) return shown(sc, prepared.messages[0].text);
    await sc.rc.db.transaction(async (tx) => {
      await storePassword(tx, sc.user.id, prepared);
      sc.user = await completeAction(tx, sc.rc.realmId, sc.user, 'UPDATE_PASSWORD');
    });
    sc.rc.loginEvent('UPDATE_PASSWORD', {
      clientId: sc.clientId,
      userId: sc.user.id,
      ipAddress: sc.ctx.ip,
      details: { auth_method: 'openid-connect', username: sc.user.username },
    });
    return 'done';
  },
};

async function shown(sc: UserStepContext, error: string): Promise<'shown'> {
  await updatePassword.show(sc, error);
  return 'shown';
}

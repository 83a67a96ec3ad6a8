/**
 * TERMS_AND_CONDITIONS: Keycloak's terms.ftl and TermsAndConditions required action: the terms
 * (messages_en termsText "Terms and conditions to be defined", or the realm's
 * `localizationTexts.en.termsText`), Accept (`accept`) or Decline (`cancel`). Accepting records
 * the user attribute `terms_and_conditions` = [epoch seconds] (Keycloak's USER_ATTRIBUTE) and
 * removes the action; declining ends the login with access_denied, as Keycloak's
 * context.failure does.
 */
import { completeAction } from './complete.ts';
import { stepPage, type RequiredActionStep, type UserStepContext } from './types.ts';

function termsText(sc: UserStepContext): string {
  const texts = (sc.rc.realm.rep as Record<string, unknown>).localizationTexts as
    Record<string, Record<string, unknown>> | undefined;
  const custom = texts?.en?.termsText;
  return typeof custom === 'string' && custom ? custom : 'Terms and conditions to be defined';
}

export const termsAndConditions: RequiredActionStep = {
  alias: 'TERMS_AND_CONDITIONS',
  async show(sc: UserStepContext) {
    stepPage(sc, 'terms', {
      action: `${sc.base}/required-action/TERMS_AND_CONDITIONS`,
      terms: termsText(sc),
    });
  },
  async submit(sc, form) {
    if (form.accept === undefined) {
      sc.rc.loginEvent('CUSTOM_REQUIRED_ACTION_ERROR', {
        clientId: sc.clientId,
        userId: sc.user.id,
        ipAddress: sc.ctx.ip,
        error: 'rejected_by_user',
        details: { custom_required_action: 'TERMS_AND_CONDITIONS' },
      });
      return 'rejected';
    }
    const attributes = {
      ...sc.user.attributes,
      terms_and_conditions: [String(Math.floor(Date.now() / 1000))],
    };
    sc.user = await completeAction(sc.rc.db, sc.rc.realmId, sc.user, 'TERMS_AND_CONDITIONS', {
      attributes,
    });
    sc.rc.loginEvent('CUSTOM_REQUIRED_ACTION', {
      clientId: sc.clientId,
      userId: sc.user.id,
      ipAddress: sc.ctx.ip,
      details: { custom_required_action: 'TERMS_AND_CONDITIONS' },
    });
    return 'done';
  },
};

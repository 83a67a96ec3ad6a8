/**
 * After "Forgot Password?": the new password set through the emailed link logs the user in to the
 * client the reset started from, as Keycloak's reset-credentials flow does
 * (ResetCredentialsActionTokenHandler continues the flow's authentication session: ResetPassword,
 * the "Reset - Conditional OTP" step for a user with an OTP credential, then the required actions
 * and the redirect to the client). Only in the browser that started it: the link's POST redirects
 * to `{uid}/reset-credentials?key={token}` of the login it came from (the token's `asid`), and the
 * login goes on only when that browser holds the interaction's KC_INTERACTION cookie, the token
 * names this interaction and was used (the reset was done), and its user is still enabled
 * (Keycloak's LoginActionsService checks the token's authentication session against the
 * browser's). Someone else's browser, or the same link opened elsewhere, gets "Your password has
 * been updated." and logs in as usual, so a reset requested from an attacker's login page and
 * completed by the account's owner never logs the attacker's browser in.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { RealmContext } from '../oidc/realm-context.ts';
import { hasOtpCredential } from '../store/credentials.ts';
import { findUserById } from '../store/users.ts';
import { actionTokenUsed, verifyActionToken } from '../tokens/action-token.ts';
import { saveState } from './steps/state.ts';
import { infoPage, interactionBase } from './forms.ts';

export const PASSWORD_UPDATED = 'Your password has been updated.';

/** The continuation address the link's page sends the browser to. */
export const resetContinueUrl = (rc: RealmContext, asid: string, key: string) =>
  `${interactionBase(rc, asid)}/reset-credentials?key=${encodeURIComponent(key)}`;

async function thisBrowsersInteraction(ctx: Context, provider: Provider, uid: string) {
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    return details.uid === uid && details.prompt.name === 'login' ? details : undefined;
  } catch {
    return undefined; // no interaction cookie here, or it expired
  }
}

/** `GET {uid}/reset-credentials?key=`: continues the login, or says the password was updated. */
export async function continueAfterReset(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
  uid: string,
  key: string,
): Promise<void> {
  const updated = () =>
    infoPage(ctx, rc, { title: 'Update Your Account', message: PASSWORD_UPDATED });
  const interaction = await thisBrowsersInteraction(ctx, provider, uid);
  const verified = interaction ? await verifyActionToken(rc, key) : undefined;
  if (!interaction || !verified?.ok) return updated();
  const { token } = verified;
  if (token.typ !== 'reset-credentials' || token.asid !== uid) return updated();
  if (!(await actionTokenUsed(rc.db, rc.realmId, token.jti))) return updated();
  const user = await findUserById(rc.db, rc.realmId, token.sub);
  if (!user?.enabled) return updated();
  await saveState(interaction, {
    userId: user.id,
    stage: (await hasOtpCredential(rc.db, user.id)) ? 'otp' : 'actions',
    amr: ['pwd'],
    authTime: Math.floor(Date.now() / 1000),
  });
  ctx.status = 303;
  ctx.redirect(interactionBase(rc, uid));
}

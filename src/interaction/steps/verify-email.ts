/**
 * VERIFY_EMAIL: Keycloak's login-verify-email.ftl and VerifyEmail required action. The first
 * display in a login sends the mail (through `RealmContext.verifyEmail`, oidc/verify-email-sender.ts)
 * and says "An email with instructions to verify your email address has been sent to your address
 * {email}.", with "Click here to re-send the email."; the login goes on once the mail's link has
 * verified the address (the page's "continue" re-reads the user). A user whose email is already
 * verified is done without a page; a user without an email skips it (as Keycloak's
 * VerifyEmail, which cannot send one). A mail that cannot be sent: "Failed to send email, please
 * try again later." (emailSendErrorMessage), nothing else changes.
 */
import { saveState } from './state.ts';
import { stepPage, type RequiredActionStep, type UserStepContext } from './types.ts';

const SEND_ERROR = 'Failed to send email, please try again later.';

async function send(sc: UserStepContext): Promise<string | undefined> {
  const sender = sc.rc.verifyEmail;
  if (!sender) return SEND_ERROR;
  try {
    await sender.sendVerifyEmail({
      user: sc.user,
      clientId: sc.clientId,
      redirectUri:
        typeof sc.interaction.params.redirect_uri === 'string'
          ? sc.interaction.params.redirect_uri
          : undefined,
      resume: `${sc.rc.baseUrl}${sc.base}`,
      ipAddress: sc.ctx.ip,
    });
  } catch (err) {
    sc.rc.log.warn({ err: { message: (err as Error).message } }, 'verification email not sent');
    return SEND_ERROR;
  }
  sc.rc.loginEvent('SEND_VERIFY_EMAIL', {
    clientId: sc.clientId,
    userId: sc.user.id,
    ipAddress: sc.ctx.ip,
    details: { email: sc.user.email ?? '' },
  });
  sc.state = { ...sc.state, verifyEmailSent: true };
  await saveState(sc.interaction, sc.state);
  return undefined;
}

function page(sc: UserStepContext, error?: string): void {
  stepPage(
    sc,
    'login-verify-email',
    {
      action: `${sc.base}/required-action/VERIFY_EMAIL`,
      info: 'You need to verify your email address to activate your account.',
      email: sc.user.email,
      sent: sc.state.verifyEmailSent === true,
      error,
    },
    error ? 503 : 200,
  );
}

export const verifyEmail: RequiredActionStep = {
  alias: 'VERIFY_EMAIL',
  precheck(sc) {
    if (!sc.user.email) return 'skip';
    return sc.user.emailVerified === true ? 'complete' : 'show';
  },
  async show(sc: UserStepContext) {
    page(sc, sc.state.verifyEmailSent ? undefined : await send(sc));
  },
  async submit(sc, form) {
    // "Click here" re-sends; any other post re-reads the user (the dispatcher moves on once the
    // link has removed the action).
    page(sc, form.resend !== undefined ? await send(sc) : undefined);
    return 'shown';
  },
};

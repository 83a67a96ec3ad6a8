/**
 * The mailer's side of the VERIFY_EMAIL seam (oidc/verify-email-sender.ts): the login's
 * VERIFY_EMAIL page asks for the mail, which carries a `verify-email` action token
 * (tokens/action-token.ts, Keycloak's VerifyEmailActionToken) bound to this login's
 * interaction, so that the confirmed link leads back to the login and its next step.
 */
import type { RealmContext } from '../oidc/realm-context.ts';
import type { VerifyEmailSender } from '../oidc/verify-email-sender.ts';
import { sendVerifyEmail } from './user-emails.ts';

/** The interaction uid of a `.../login-actions/{uid}` URL, or undefined for another URL. */
export function interactionUidOf(resume: string): string | undefined {
  const match = /\/login-actions\/([^/?#]+)\/?$/.exec(new URL(resume).pathname);
  return match ? decodeURIComponent(match[1]) : undefined;
}

/** A sender for the realm `rc` (SMTP through email/smtp.ts; throws EmailError when not sent). */
export function mailVerifyEmailSender(rc: RealmContext): VerifyEmailSender {
  return {
    sendVerifyEmail: (request) =>
      sendVerifyEmail(rc, request.user, {
        clientId: request.clientId,
        redirectUri: request.redirectUri,
        interactionUid: interactionUidOf(request.resume),
      }),
  };
}

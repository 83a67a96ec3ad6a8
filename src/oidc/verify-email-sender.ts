/**
 * The seam between the VERIFY_EMAIL page and the mailer: how the login asks for the verification
 * mail. The implementation (SMTP through nodemailer, a signed single-use action token whose link
 * marks the email verified and removes VERIFY_EMAIL, Keycloak's VerifyEmailActionToken) lives with
 * the mailer and is given to each realm as `RealmContext.verifyEmail` by the realm registry;
 * without one the page says the mail could not be sent.
 */
import type { StoredUser } from '../store/users.ts';

export interface VerifyEmailRequest {
  user: StoredUser;
  /** The client the login is for (Keycloak's action token `azp`). */
  clientId: string;
  /** The login's redirect_uri, for the link's "back to application". */
  redirectUri?: string;
  /**
   * Absolute URL of this login's page (`.../login-actions/{uid}`): after the link verifies the
   * email, sending the browser here continues the login with the next step.
   */
  resume: string;
  ipAddress?: string;
}

export interface VerifyEmailSender {
  /**
   * Sends the verification mail to `request.user.email`.
   * @throws any error when the mail cannot be sent (SMTP down, refused, timed out); the page then
   *   shows Keycloak's "Failed to send email, please try again later." and nothing changes.
   */
  sendVerifyEmail(request: VerifyEmailRequest): Promise<void>;
}

/**
 * The emails Keycloak's base theme sends, with its English texts (themes/.../email/messages/
 * messages_en.properties: emailVerification*, passwordReset*, executeActions*, emailTest*), as
 * plain text and HTML (views/email/message.eta, HTML-escaped by Eta). `{2}` is the realm's display
 * name, the expiry is LinkExpirationFormatterMethod's ("5 minutes", "12 hours", "1 day").
 */
import path from 'node:path';
import { Eta } from 'eta';
import { VIEWS_DIR } from '../views-dir.ts';
import type { MailMessage } from './smtp.ts';

const eta = new Eta({ views: path.join(VIEWS_DIR, 'email'), cache: true, autoEscape: true });

/** Keycloak's required-action names in emails (requiredAction.* of the email messages). */
const ACTION_NAMES: Record<string, string> = {
  CONFIGURE_TOTP: 'Configure OTP',
  TERMS_AND_CONDITIONS: 'Terms and Conditions',
  UPDATE_PASSWORD: 'Update Password',
  UPDATE_PROFILE: 'Update Profile',
  VERIFY_EMAIL: 'Verify Email',
  CONFIGURE_RECOVERY_AUTHN_CODES: 'Generate Recovery Codes',
};

/** LinkExpirationFormatterMethod: the largest whole unit (days, hours, minutes, else seconds). */
export function formatExpiry(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units)
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

interface Parts {
  subject: string;
  intro: string;
  linkText: string;
  expiry: string;
  outro: string;
}

function build(to: string, link: string, parts: Parts): MailMessage {
  const { subject, intro, linkText, expiry, outro } = parts;
  return {
    to,
    subject,
    text: `${intro}\n\n${link}\n\n${expiry}\n\n${outro}`,
    html: eta.render('message', { intro, link, linkText, expiry, outro }),
  };
}

/** emailVerificationSubject / emailVerificationBody. */
export function verifyEmailMessage(to: string, link: string, realm: string, lifespan: number) {
  return build(to, link, {
    subject: 'Verify email',
    intro: `Someone has created a ${realm} account with this email address. If this was you, click the link below to verify your email address`,
    linkText: 'Link to e-mail address verification',
    expiry: `This link will expire within ${formatExpiry(lifespan)}.`,
    outro: "If you didn't create this account, just ignore this message.",
  });
}

/** passwordResetSubject / passwordResetBody. */
export function passwordResetMessage(to: string, link: string, realm: string, lifespan: number) {
  return build(to, link, {
    subject: 'Reset password',
    intro: `Someone just requested to change your ${realm} account's credentials. If this was you, click on the link below to reset them.`,
    linkText: 'Link to reset credentials',
    expiry: `This link and code will expire within ${formatExpiry(lifespan)}.`,
    outro:
      "If you don't want to reset your credentials, just ignore this message and nothing will be changed.",
  });
}

/** executeActionsSubject / executeActionsBody; actions by Keycloak's names, comma-separated. */
export function executeActionsMessage(
  to: string,
  link: string,
  realm: string,
  actions: string[],
  lifespan: number,
) {
  const names = actions.map((a) => ACTION_NAMES[a] ?? a).join(', ');
  return build(to, link, {
    subject: 'Update Your Account',
    intro: `Your administrator has just requested that you update your ${realm} account by performing the following action(s): ${names}. Click on the link below to start this process.`,
    linkText: 'Link to account update',
    expiry: `This link will expire within ${formatExpiry(lifespan)}.`,
    outro:
      'If you are unaware that your administrator has requested this, just ignore this message and nothing will be changed.',
  });
}

/** emailTestSubject / emailTestBody (the admin console's "Test connection"). */
export function testMessage(to: string): MailMessage {
  return {
    to,
    subject: '[KEYCLOAK] - SMTP test message',
    text: 'This is a test message',
    html: '<p>This is a test message</p>',
  };
}

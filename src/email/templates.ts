/**
 * The emails Keycloak's base theme sends (themes/.../email/messages/messages_*.properties:
 * emailVerification*, passwordReset*, executeActions*, emailTest*), as plain text and HTML
 * (views/email/message.eta, HTML-escaped by Eta), in the locale of the messages given (i18n/; English
 * by default; FreeMarkerEmailTemplateProvider resolves the user's locale). The realm's display
 * name goes into the text, the expiry is LinkExpirationFormatterMethod's ("5 minutes", "1 day").
 */
import path from 'node:path';
import { Eta } from 'eta';
import { VIEWS_DIR } from '../views-dir.ts';
import type { MailMessage } from './smtp.ts';
import { messagesFor, type Messages, type Msg } from '../i18n/messages.ts';

const ENGLISH = messagesFor('en');

const eta = new Eta({ views: path.join(VIEWS_DIR, 'email'), cache: true, autoEscape: true });

/** Keycloak's required-action names in emails (requiredAction.* of the email messages). */
const actionName = (msg: Msg, alias: string) => {
  const key = `requiredAction.${alias}`;
  const name = msg(key);
  return name === key ? alias : name;
};

/**
 * LinkExpirationFormatterMethod: the largest whole unit (days, hours, minutes, else seconds), as
 * `linkExpirationFormatter.timePeriodUnit.{unit}` (`.1` for one).
 */
export function formatExpiry(seconds: number, msg: Msg = ENGLISH.msg): string {
  const units: [number, string][] = [
    [86_400, 'days'],
    [3_600, 'hours'],
    [60, 'minutes'],
  ];
  const unit = (n: number, name: string) =>
    msg(`linkExpirationFormatter.timePeriodUnit.${name}${n === 1 ? '.1' : ''}`, n);
  for (const [size, name] of units)
    if (seconds >= size && seconds % size === 0) return unit(seconds / size, name);
  return unit(seconds, 'seconds');
}

interface Parts {
  subject: string;
  intro: string;
  linkText: string;
  expiry: string;
  outro: string;
}

function build(to: string, link: string, parts: Parts, lang = 'en'): MailMessage {
  const { subject, intro, linkText, expiry, outro } = parts;
  return {
    to,
    subject,
    text: `${intro}\n\n${link}\n\n${expiry}\n\n${outro}`,
    html: eta.render('message', { intro, link, linkText, expiry, outro, lang }),
  };
}

/** emailVerificationSubject / emailVerificationBody. */
export function verifyEmailMessage(
  to: string,
  link: string,
  realm: string,
  lifespan: number,
  { msg, locale }: Messages = ENGLISH,
) {
  return build(
    to,
    link,
    {
      subject: msg('emailVerificationSubject'),
      intro: msg('emailVerificationBodyIntro', realm),
      linkText: msg('emailVerificationLinkText'),
      expiry: msg('linkExpiry', formatExpiry(lifespan, msg)),
      outro: msg('emailVerificationBodyOutro'),
    },
    locale,
  );
}

/** passwordResetSubject / passwordResetBody. */
export function passwordResetMessage(
  to: string,
  link: string,
  realm: string,
  lifespan: number,
  { msg, locale }: Messages = ENGLISH,
) {
  return build(
    to,
    link,
    {
      subject: msg('passwordResetSubject'),
      intro: msg('passwordResetBodyIntro', realm),
      linkText: msg('passwordResetLinkText'),
      expiry: msg('passwordResetBodyExpiry', formatExpiry(lifespan, msg)),
      outro: msg('passwordResetBodyOutro'),
    },
    locale,
  );
}

/** executeActionsSubject / executeActionsBody; actions by Keycloak's names, comma-separated. */
export function executeActionsMessage(
  to: string,
  link: string,
  realm: string,
  actions: string[],
  lifespan: number,
  { msg, locale }: Messages = ENGLISH,
) {
  const names = actions.map((a) => actionName(msg, a)).join(', ');
  return build(
    to,
    link,
    {
      subject: msg('executeActionsSubject'),
      intro: msg('executeActionsBodyIntro', realm, names),
      linkText: msg('executeActionsLinkText'),
      expiry: msg('linkExpiry', formatExpiry(lifespan, msg)),
      outro: msg('executeActionsBodyOutro'),
    },
    locale,
  );
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

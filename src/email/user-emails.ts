/**
 * The emails that carry an action token (Keycloak's EmailTemplateProvider: sendVerifyEmail,
 * sendPasswordReset, sendExecuteActions): each makes the token, the link
 * (`/realms/{realm}/login-actions/action-token?key=...`) and the message, and sends it through the
 * realm's SMTP server. Nothing is stored: an unsent link is just never used.
 */
import type { RealmContext } from '../oidc/realm-context.ts';
import { actionTokenLifespan, actionTokenUrl, createActionToken } from '../tokens/action-token.ts';
import { EmailError, sendMail, smtpSettings } from './smtp.ts';
import { executeActionsMessage, passwordResetMessage, verifyEmailMessage } from './templates.ts';
import { localeSettings } from '../i18n/page-locale.ts';
import { selectLocale } from '../i18n/locale-select.ts';
import { messagesFor } from '../i18n/messages.ts';

/** The user an email goes to (`attributes.locale`: the language of the mail). */
export interface MailUser {
  id: string;
  email?: string;
  attributes?: Record<string, string[]>;
}

/**
 * The user's messages: FreeMarkerEmailTemplateProvider uses the locale DefaultLocaleSelectorProvider
 * resolves for the user, here without the request's hints (an email is not a page of the
 * browser that asked): the user's `locale` attribute, else the realm's default, else English.
 */
function userMessages(rc: RealmContext, user: MailUser) {
  const settings = localeSettings(rc);
  const locale = selectLocale(settings, { userAttribute: user.attributes?.locale?.[0] });
  return messagesFor(locale, settings.localizationTexts);
}

/** Where the link leads back to: the client, its redirect, the login the user came from. */
export interface LinkContext {
  clientId?: string;
  redirectUri?: string;
  /** The oidc-provider interaction uid of the login page the request came from. */
  interactionUid?: string;
}

const realmName = (rc: RealmContext) => rc.realm.rep.displayName || rc.realm.name;

function recipient(user: MailUser): string {
  if (!user.email) throw new EmailError('User has no email address');
  return user.email;
}

async function send(rc: RealmContext, message: Parameters<typeof sendMail>[2]) {
  try {
    await sendMail(smtpSettings(rc.realm.rep), rc.mail, message);
  } catch (err) {
    rc.log.warn(
      { realm: rc.realm.name, err: { message: (err as Error).message } },
      'email not sent',
    );
    throw err;
  }
}

/**
 * VERIFY_EMAIL: a `verify-email` token for the user's current address (the link verifies only
 * that address). Called by the VERIFY_EMAIL required action and `send-verify-email`.
 * @throws EmailError when the mail was not sent
 */
export async function sendVerifyEmail(
  rc: RealmContext,
  user: MailUser,
  link: LinkContext = {},
  lifespan = actionTokenLifespan(rc.realm.rep, 'verify-email'),
): Promise<void> {
  const to = recipient(user);
  const token = await createActionToken(
    rc,
    {
      typ: 'verify-email',
      sub: user.id,
      eml: to,
      azp: link.clientId,
      reduri: link.redirectUri,
      asid: link.interactionUid,
    },
    lifespan,
  );
  await send(
    rc,
    verifyEmailMessage(
      to,
      actionTokenUrl(rc, token),
      realmName(rc),
      lifespan,
      userMessages(rc, user),
    ),
  );
}

/**
 * Reset credentials ("Forgot Password?"): a `reset-credentials` token.
 * @throws EmailError when the mail was not sent
 */
export async function sendPasswordReset(
  rc: RealmContext,
  user: MailUser,
  link: LinkContext = {},
): Promise<void> {
  const to = recipient(user);
  const lifespan = actionTokenLifespan(rc.realm.rep, 'reset-credentials');
  const token = await createActionToken(
    rc,
    { typ: 'reset-credentials', sub: user.id, azp: link.clientId, asid: link.interactionUid },
    lifespan,
  );
  await send(
    rc,
    passwordResetMessage(
      to,
      actionTokenUrl(rc, token),
      realmName(rc),
      lifespan,
      userMessages(rc, user),
    ),
  );
}

/**
 * `execute-actions-email`: an `execute-actions` token naming the actions.
 * @throws EmailError when the mail was not sent
 */
export async function sendExecuteActions(
  rc: RealmContext,
  user: MailUser,
  actions: string[],
  link: LinkContext,
  lifespan: number,
): Promise<void> {
  const to = recipient(user);
  const token = await createActionToken(
    rc,
    {
      typ: 'execute-actions',
      sub: user.id,
      rqac: actions,
      azp: link.clientId,
      reduri: link.redirectUri,
    },
    lifespan,
  );
  await send(
    rc,
    executeActionsMessage(
      to,
      actionTokenUrl(rc, token),
      realmName(rc),
      actions,
      lifespan,
      userMessages(rc, user),
    ),
  );
}

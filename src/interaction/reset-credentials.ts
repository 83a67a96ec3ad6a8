/**
 * "Forgot Password?" (Keycloak's reset-credentials flow: ResetCredentialChooseUser,
 * ResetCredentialEmail; page login-reset-password.ftl), when the realm has
 * `resetPasswordAllowed`: `GET /realms/{realm}/login-actions/{uid}/reset-credentials` shows the
 * form, its POST sends a `reset-credentials` action token to the user's address. Whether or not
 * the user exists, has an address or is enabled, the answer is Keycloak's "You should receive an
 * email shortly with further instructions." (no account enumeration); only an SMTP failure for a
 * real user answers "Failed to send email, please try again later." (as Keycloak does).
 * The link's page (the new password) is interaction/action-token-handler.ts.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { RealmContext } from '../oidc/realm-context.ts';
import { findUserForLogin } from '../store/users.ts';
import { sendPasswordReset } from '../email/user-emails.ts';
import { realmDisplayName, renderStandaloneError, sendPage } from '../pages.ts';
import { continueAfterReset } from './reset-continue.ts';
import { browserInteraction, infoPage, interactionBase, MAX_FIELD, readForm } from './forms.ts';

export const EMAIL_SENT = 'You should receive an email shortly with further instructions.';
export const EMAIL_SEND_ERROR = 'Failed to send email, please try again later.';

function labels(rc: RealmContext) {
  const rep = rc.realm.rep;
  if (rep.registrationEmailAsUsername)
    return {
      usernameLabel: 'Email',
      instruction:
        'Enter your username or email address and we will send you instructions on how to create a new password.',
    };
  return rep.loginWithEmailAllowed
    ? {
        usernameLabel: 'Username or email',
        instruction:
          'Enter your username or email address and we will send you instructions on how to create a new password.',
      }
    : {
        usernameLabel: 'Username',
        instruction:
          'Enter your username and we will send you instructions on how to create a new password.',
      };
}

function form(ctx: Context, rc: RealmContext, uid: string, username: string, error?: string) {
  const base = interactionBase(rc, uid);
  sendPage(
    ctx,
    'login-reset-password',
    {
      realmDisplayName: realmDisplayName(rc),
      action: `${base}/reset-credentials`,
      backToLogin: base,
      username,
      error,
      ...labels(rc),
    },
    error ? 400 : 200,
  );
}

/**
 * Sends the reset email when the login names an enabled user with an address.
 * @throws EmailError when that user's mail could not be sent
 */
async function sendFor(rc: RealmContext, login: string, clientId: string, uid: string) {
  const withEmail = rc.realm.rep.loginWithEmailAllowed || rc.realm.rep.registrationEmailAsUsername;
  const user = await findUserForLogin(rc.db, rc.realmId, login, Boolean(withEmail));
  if (!user || user.serviceAccountClientId || user.enabled === false || !user.email) return false;
  await sendPasswordReset(rc, user, { clientId, interactionUid: uid });
  return true;
}

/** Handles `GET` and `POST {uid}/reset-credentials`. */
export async function handleResetCredentials(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
  uid: string,
): Promise<void> {
  if (!rc.realm.rep.resetPasswordAllowed) {
    renderStandaloneError(ctx, 'Reset Credential not allowed', 400, realmDisplayName(rc));
    return;
  }
  // The emailed link's page sends the browser back here once the password is set.
  if (ctx.method === 'GET' && typeof ctx.query.proof === 'string')
    return continueAfterReset(ctx, rc, provider, uid, ctx.query.proof);
  const details = await browserInteraction(ctx, rc, provider, uid);
  if (!details) return;
  if (ctx.method === 'GET') {
    form(ctx, rc, uid, '');
    return;
  }
  if (ctx.method !== 'POST') {
    ctx.status = 405;
    return;
  }
  const body = await readForm(ctx);
  const login = (body.username ?? '').trim();
  if (!login || login.length > MAX_FIELD) {
    form(ctx, rc, uid, '', 'Please specify username.');
    return;
  }
  const clientId = String(details.params.client_id ?? '');
  try {
    const sent = await sendFor(rc, login, clientId, uid);
    rc.loginEvent(sent ? 'SEND_RESET_PASSWORD' : 'RESET_PASSWORD_ERROR', {
      clientId,
      ipAddress: ctx.ip,
      ...(sent ? {} : { error: 'user_not_found' }),
      details: { username: login },
    });
  } catch {
    rc.loginEvent('SEND_RESET_PASSWORD_ERROR', {
      clientId,
      ipAddress: ctx.ip,
      error: 'email_send_failed',
      details: { username: login },
    });
    form(ctx, rc, uid, login, EMAIL_SEND_ERROR);
    return;
  }
  infoPage(ctx, rc, {
    title: 'Forgot Your Password?',
    message: EMAIL_SENT,
    link: { href: interactionBase(rc, uid), text: '« Back to Login' },
  });
}

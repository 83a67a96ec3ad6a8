/**
 * `GET|POST /realms/{realm}/login-actions/action-token?key={token}`: what an emailed link does
 * (Keycloak's LoginActionsService.executeActionToken and the handlers
 * ResetCredentialsActionTokenHandler, VerifyEmailActionTokenHandler,
 * ExecuteActionsActionTokenHandler). A GET never changes anything (mail scanners fetch links): it
 * shows the new-password form or a confirmation; the POST performs the action and records the
 * token as used in one transaction, so a replayed link, or a second tab, changes nothing.
 *
 * Refusals, in Keycloak's words: an expired or used token "Action expired." (expiredActionToken
 * NoSessionMessage); a bad one "An error occurred, please login again through your application."
 * (invalidCodeMessage); a verify link for an address the user no longer has staleEmailVerification
 * Link; a disabled user accountDisabledMessage. execute-actions performs UPDATE_PASSWORD and
 * VERIFY_EMAIL here and leaves the other actions as the user's required actions for the next login.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { RealmContext } from '../oidc/realm-context.ts';
import { findUserById, updateUser, type StoredUser } from '../store/users.ts';
import { preparePassword, storePassword, type PreparedPassword } from '../realm/password-update.ts';
import { realmDisplayName, renderStandaloneError, sendPage } from './pages.ts';
import { infoPage, interactionBase, MAX_FIELD, readForm } from './forms.ts';
import { resetContinuation } from './reset-continue.ts';
import { setLocaleSource } from '../i18n/page-locale.ts';
import {
  actionTokenUrl,
  actionTokenUsed,
  consumeActionToken,
  verifyActionToken,
  type ActionToken,
} from '../tokens/action-token.ts';

const MESSAGES = {
  expired: 'Action expired.',
  invalid: 'An error occurred, please login again through your application.',
  disabled: 'Account is disabled, contact your administrator.',
  stale:
    'The link you clicked is an old stale link and is no longer valid.  Maybe you have already verified your email.',
  verified: 'Your email address has been verified.',
  alreadyVerified: 'Your email address has been verified already.',
  passwordUpdated: 'Your password has been updated.',
  accountUpdated: 'Your account has been updated.',
  missingPassword: 'Please specify password.',
  notMatch: "Passwords don't match.",
} as const;

const ACTION_NAMES: Record<string, string> = {
  UPDATE_PASSWORD: 'Update Password',
  VERIFY_EMAIL: 'Verify Email',
  CONFIGURE_TOTP: 'Configure OTP',
  UPDATE_PROFILE: 'Update Profile',
  TERMS_AND_CONDITIONS: 'Terms and Conditions',
};

type Loaded = { token: ActionToken; user: StoredUser; url: string };

/** The token and its user, or undefined after answering the refusal page. */
async function load(ctx: Context, rc: RealmContext): Promise<Loaded | undefined> {
  const key = typeof ctx.query.key === 'string' ? ctx.query.key : '';
  const fail = (message: string) => {
    renderStandaloneError(ctx, message, 400, realmDisplayName(rc));
    return undefined;
  };
  const verified = await verifyActionToken(rc, key);
  if (!verified.ok) return fail(MESSAGES[verified.reason]);
  const { token } = verified;
  if (await actionTokenUsed(rc.db, rc.realmId, token.jti)) return fail(MESSAGES.expired);
  const user = await findUserById(rc.db, rc.realmId, token.sub);
  if (!user || user.serviceAccountClientId) return fail(MESSAGES.invalid);
  if (user.enabled === false) return fail(MESSAGES.disabled);
  if (token.typ === 'verify-email' && (user.email ?? '').toLowerCase() !== token.eml?.toLowerCase())
    return fail(MESSAGES.stale);
  return { token, user, url: actionTokenUrl(rc, key).replace(rc.baseUrl, '') };
}

function passwordForm(ctx: Context, rc: RealmContext, l: Loaded, error?: string) {
  const actions = l.token.typ === 'execute-actions' ? (l.token.rqac ?? []) : [];
  sendPage(
    ctx,
    'action-password',
    {
      realmDisplayName: realmDisplayName(rc),
      action: l.url,
      error,
      info: actions.length
        ? `Perform the following action(s): ${actions.map((a) => ACTION_NAMES[a] ?? a).join(', ')}`
        : undefined,
    },
    error ? 400 : 200,
  );
}

const needsPassword = (t: ActionToken) =>
  t.typ === 'reset-credentials' ||
  (t.typ === 'execute-actions' && (t.rqac ?? []).includes('UPDATE_PASSWORD'));

/** Where the finished page links to: the token's redirect, or the login the user came from. */
function onwardLink(rc: RealmContext, token: ActionToken) {
  if (token.reduri) return { href: token.reduri, text: '« Back to Application' };
  if (token.asid) return { href: interactionBase(rc, token.asid), text: '» Click here to proceed' };
  return undefined;
}

/** GET: the form or the confirmation; nothing changes. */
function show(ctx: Context, rc: RealmContext, l: Loaded) {
  if (needsPassword(l.token)) return passwordForm(ctx, rc, l);
  if (l.token.typ === 'verify-email') {
    if (l.user.emailVerified)
      return infoPage(ctx, rc, {
        title: 'Email verification',
        message: MESSAGES.alreadyVerified,
        link: onwardLink(rc, l.token),
      });
    return infoPage(ctx, rc, {
      title: 'Email verification',
      message: `Confirm validity of e-mail address ${l.user.email}.`,
      form: { action: l.url, button: '» Click here to proceed' },
    });
  }
  infoPage(ctx, rc, {
    title: 'Update Your Account',
    message: 'Perform the following action(s)',
    items: (l.token.rqac ?? []).map((a) => ACTION_NAMES[a] ?? a),
    form: { action: l.url, button: '» Click here to proceed' },
  });
}

/** The user after the token's action: verified email, the actions left for the next login. */
function updatedUser(user: StoredUser, token: ActionToken): StoredUser {
  const done = new Set<string>();
  let emailVerified = user.emailVerified;
  const actions = new Set(user.requiredActions ?? []);
  if (needsPassword(token)) done.add('UPDATE_PASSWORD');
  if (token.typ === 'verify-email' || (token.rqac ?? []).includes('VERIFY_EMAIL')) {
    emailVerified = true;
    done.add('VERIFY_EMAIL');
  }
  for (const a of token.rqac ?? []) actions.add(a);
  for (const a of done) actions.delete(a);
  return { ...user, emailVerified, requiredActions: [...actions] };
}

/** POST: checks the new password (when one is asked), then acts and consumes in one transaction. */
async function perform(ctx: Context, rc: RealmContext, provider: Provider, l: Loaded) {
  let prepared: PreparedPassword | undefined;
  if (needsPassword(l.token)) {
    const form = await readForm(ctx);
    const password = form['password-new'] ?? '';
    if (!password || password.length > MAX_FIELD)
      return passwordForm(ctx, rc, l, MESSAGES.missingPassword);
    if (password !== form['password-confirm']) return passwordForm(ctx, rc, l, MESSAGES.notMatch);
    const result = await preparePassword(rc.db, rc.realm.rep, l.user, password);
    if (!result.ok) return passwordForm(ctx, rc, l, result.messages[0].text);
    prepared = result;
  }
  const done = await rc.db.transaction(async (tx) => {
    if (!(await consumeActionToken(tx, rc.realmId, l.token))) return false;
    const current = await findUserById(tx, rc.realmId, l.user.id);
    if (!current) return false;
    if (prepared) await storePassword(tx, current.id, prepared);
    await updateUser(tx, rc.realmId, updatedUser(current, l.token));
    return true;
  });
  if (!done) return renderStandaloneError(ctx, MESSAGES.expired, 400, realmDisplayName(rc));
  const event = { reset: 'RESET_PASSWORD', verify: 'VERIFY_EMAIL', exec: 'EXECUTE_ACTIONS' };
  rc.loginEvent(
    l.token.typ === 'reset-credentials'
      ? event.reset
      : l.token.typ === 'verify-email'
        ? event.verify
        : event.exec,
    { clientId: l.token.azp, userId: l.user.id, ipAddress: ctx.ip },
  );
  // A reset started from a login page continues that login (reset-continue.ts).
  const onward = await resetContinuation(rc, provider, l.token);
  if (onward) {
    ctx.status = 303;
    return ctx.redirect(onward);
  }
  infoPage(ctx, rc, {
    title: l.token.typ === 'verify-email' ? 'Email verification' : 'Update Your Account',
    message:
      l.token.typ === 'reset-credentials'
        ? MESSAGES.passwordUpdated
        : l.token.typ === 'verify-email'
          ? MESSAGES.verified
          : MESSAGES.accountUpdated,
    link: onwardLink(rc, l.token),
  });
}

type InteractionModel = {
  find(uid: string): Promise<{ params?: Record<string, unknown> } | undefined>;
};

/**
 * The page's locale: the token's user (their `locale` attribute) and the `ui_locales` of the
 * login the link was sent from (the token's `asid`), as Keycloak's LoginActionsService renders
 * the handler's pages for the token's user in the authentication session it continues
 * (DefaultLocaleSelectorProvider: the user's attribute, then CLIENT_REQUEST_LOCALE).
 */
async function tokenLocaleSource(ctx: Context, provider: Provider, l: Loaded): Promise<void> {
  const login = l.token.asid
    ? await (provider.Interaction as unknown as InteractionModel).find(l.token.asid)
    : undefined;
  const uiLocales = login?.params?.ui_locales;
  setLocaleSource(ctx, {
    user: l.user,
    uiLocales: typeof uiLocales === 'string' ? uiLocales : undefined,
  });
}

/** Handles the action-token path (`rest` after `/login-actions/` is `action-token`). */
export async function handleActionToken(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
): Promise<void> {
  if (ctx.method !== 'GET' && ctx.method !== 'POST') {
    ctx.status = 405;
    return;
  }
  const loaded = await load(ctx, rc);
  if (!loaded) return;
  await tokenLocaleSource(ctx, provider, loaded);
  if (ctx.method === 'GET') show(ctx, rc, loaded);
  else await perform(ctx, rc, provider, loaded);
}

/**
 * The locale of a login's pages. The user's pick (`kc_locale`) is kept in the interaction for the
 * rest of the login, as Keycloak keeps it in the authentication session's USER_REQUEST_LOCALE
 * note (DefaultLocaleSelectorProvider.getUserSelectedLocale); the authorization request's
 * `ui_locales` is the client's wish (CLIENT_REQUEST_LOCALE). Once the user is known, Keycloak's
 * UpdateUserLocaleAction (required action `update_user_locale`, evaluateTriggers) stores a pick in
 * the user's `locale` attribute (DefaultLocaleUpdaterProvider.updateUsersLocale), or, without a
 * pick, renews the KEYCLOAK_LOCALE cookie from the attribute.
 */
import type { Context } from 'koa';
import type { RealmContext } from '../oidc/realm-context.ts';
import { updateUser, type StoredUser } from '../store/users.ts';
import {
  LOCALE_COOKIE,
  setLocaleCookie,
  localeSettings,
  requestedLocale,
  setLocaleSource,
} from '../i18n/page-locale.ts';
import { findLocale, i18nEnabled, isLocaleTag, supportedLocales } from '../i18n/locale-select.ts';
import type { Interaction } from './steps/state.ts';

const NOTE = 'qsignLocale';

/** The locale picked in this login: this request's `kc_locale`, else the one kept. */
function pickedLocale(interaction: Interaction): string | undefined {
  const value = (interaction.result as Record<string, unknown> | undefined)?.[NOTE];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The authorization request's own `kc_locale` (Keycloak's AuthorizationEndpoint calls
 * LocaleUtil.processLocaleParam: the USER_REQUEST_LOCALE note and the KEYCLOAK_LOCALE cookie),
 * when it names a supported locale of a realm with internationalisation on.
 */
function authorizationLocale(rc: RealmContext, interaction: Interaction): string | undefined {
  const wanted = interaction.params.kc_locale;
  const rep = localeSettings(rc);
  if (typeof wanted !== 'string' || !i18nEnabled(rep)) return undefined;
  return findLocale(supportedLocales(rep), wanted);
}

/**
 * Names the realm, the pick and `ui_locales` for the pages of this request; keeps a new pick in
 * the interaction (this request's `kc_locale`, else on the first page the authorization URL's).
 * `base` is the page (GET) the chooser's links lead to after a POST.
 */
export async function loginLocaleSource(
  ctx: Context,
  rc: RealmContext,
  interaction: Interaction,
  base: string,
): Promise<void> {
  const kept = pickedLocale(interaction);
  const fromAuthorization = kept ? undefined : authorizationLocale(rc, interaction);
  const picked = requestedLocale(ctx, rc) ?? fromAuthorization;
  if (picked && picked !== kept) {
    interaction.result = { ...(interaction.result ?? {}), [NOTE]: picked } as never;
    await interaction.persist();
    // pageLocale sets the cookie for this request's kc_locale; the authorization URL's is set here.
    if (picked === fromAuthorization && !requestedLocale(ctx, rc))
      setLocaleCookie(ctx, rc.realm.name, picked);
  }
  const uiLocales = interaction.params.ui_locales;
  setLocaleSource(ctx, {
    rc,
    requested: picked ?? pickedLocale(interaction),
    uiLocales: typeof uiLocales === 'string' ? uiLocales : undefined,
    chooserBase: base,
  });
}

/**
 * UpdateUserLocaleAction for the user of the login: returns the user as stored afterwards.
 */
export async function updateUserLocale(
  ctx: Context,
  rc: RealmContext,
  interaction: Interaction,
  user: StoredUser,
): Promise<StoredUser> {
  if (!i18nEnabled(localeSettings(rc))) return user;
  const picked = pickedLocale(interaction);
  const current = user.attributes?.locale?.[0];
  let result = user;
  if (picked && picked !== current) {
    result = { ...user, attributes: { ...user.attributes, locale: [picked] } };
    await updateUser(rc.db, rc.realmId, result);
  } else if (!picked && isLocaleTag(current) && ctx.cookies.get(LOCALE_COOKIE) !== current) {
    setLocaleCookie(ctx, rc.realm.name, current);
  }
  setLocaleSource(ctx, { user: result });
  return result;
}

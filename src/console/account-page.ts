/**
 * The Account Console page at `/realms/{realm}/account/` and its deep links
 * (`/realms/{realm}/account/account-security/signing-in`, ...), for a browser request that does not
 * ask for JSON (account/router.ts AccountLoader's split; the REST client keeps its JSON). As
 * Keycloak's AccountConsole.getMainPage renders the account theme's index.ftl
 * (js/apps/account-ui/maven-resources/theme/keycloak.v3/account/index.ftl): the built entry
 * script and styles, and the environment document the account-ui reads (serverBaseUrl, authUrl,
 * baseUrl, realm, clientId `account-console`, resourceUrl, locale, features), with CONSOLE_CSP.
 * `GET /realms/{realm}/account` redirects to the trailing slash and `.../account/index.html` to
 * the console (AccountConsole.getIndexHtmlRedirect). Where Keycloak redirects a browser without an
 * SSO cookie to the login first, this page is sent as is and keycloak-js (`login-required`) does
 * that redirect; the features that depend on the user (`isViewGroupsEnabled`, `deleteAccountAllowed`)
 * are therefore off (docs/keycloak-compatibility.md).
 */
import type { Context } from 'koa';
import type { RealmRuntime } from '../runtime/registry.ts';
import type { AccountHtmlHook } from '../account/router.ts';
import { CONSOLE_RESOURCES, type ConsoleBuild } from './assets.ts';
import { sendConsolePage } from './page.ts';

const NOT_BUILT = 'The consoles are not built: run `npm run build:console` (npm install runs it).';

/**
 * The account-ui's AccountEnvironment as index.ftl writes it. `serverBaseUrl` without a trailing
 * slash, `authUrl` with one, `baseUrl` the console's root ending in `/`.
 */
export function accountEnvironment(serverBaseUrl: string, runtime: RealmRuntime) {
  const base = serverBaseUrl.replace(/\/+$/, '');
  const realm = runtime.rc.realm;
  const rep = realm.rep as typeof realm.rep & Record<string, unknown>;
  return {
    serverBaseUrl: base,
    authUrl: `${base}/`,
    authServerUrl: `${base}/`,
    realm: realm.name,
    clientId: 'account-console',
    resourceUrl: CONSOLE_RESOURCES,
    logo: '',
    logoUrl: '',
    baseUrl: `${base}/realms/${encodeURIComponent(realm.name)}/account/`,
    locale: typeof rep.defaultLocale === 'string' && rep.defaultLocale ? rep.defaultLocale : 'en',
    referrerName: '',
    referrerUrl: '',
    features: {
      isRegistrationEmailAsUsername: rep.registrationEmailAsUsername === true,
      isEditUserNameAllowed: rep.editUsernameAllowed === true,
      isInternationalizationEnabled: rep.internationalizationEnabled === true,
      // No identity brokering, no User-Managed Access, no organizations, no OID4VCI here.
      isLinkedAccountsEnabled: false,
      isMyResourcesEnabled: false,
      isViewOrganizationsEnabled: false,
      isOid4VciEnabled: false,
      // delete_account is a required action this server does not perform in the browser.
      deleteAccountAllowed: false,
      // Keycloak's UPDATE_EMAIL is a preview feature, off by default.
      updateEmailFeatureEnabled: false,
      updateEmailActionEnabled: false,
      isViewGroupsEnabled: false,
      isViewApplicationsEnabled: true,
    },
    scope: '',
  };
}

function redirect(ctx: Context, location: string): void {
  ctx.status = 302;
  ctx.redirect(location);
}

/**
 * The `html` hook of accountApi: GET (and HEAD) below `/account` answer the console page; other
 * methods are left to the rest of the server (resolves false).
 */
export function accountConsolePage(serverBaseUrl: string, build: ConsoleBuild): AccountHtmlHook {
  return async (ctx, runtime, rest) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
    const root = `/realms/${encodeURIComponent(runtime.rc.realm.name)}/account/`;
    if (rest === '/account' || rest === '/account/index.html') {
      redirect(ctx, `${root}${ctx.querystring ? `?${ctx.querystring}` : ''}`);
      return true;
    }
    const entry = build.entries.account;
    if (!entry) {
      ctx.status = 404;
      ctx.body = { error: NOT_BUILT };
      return true;
    }
    sendConsolePage(ctx, 'account', entry, accountEnvironment(serverBaseUrl, runtime));
    return true;
  };
}

/**
 * The consoles' HTML pages, as Keycloak's server renders them: the Admin Console at
 * `/admin/{realm}/console/` (AdminConsole.getMainPage with theme keycloak.v2 admin/index.ftl) and
 * the Account Console at `/realms/{realm}/account/` (AccountConsole.getMainPage, account index.ftl).
 * Each page names the built entry script and styles and carries the environment document,
 * `<script id="environment" type="application/json">`, that @keycloak/keycloak-ui-shared's
 * getInjectedEnvironment reads. Sent with a strict Content-Security-Policy: scripts, styles,
 * fonts, images and requests from this origin only, no eval.
 */
import type { Context } from 'koa';
import { sendPage } from '../pages.ts';
import { CONSOLE_RESOURCES, type ConsoleEntry, type ConsoleType } from './assets.ts';

/**
 * The consoles' CSP. `style-src 'unsafe-inline'`: PatternFly's popovers and the console's
 * components write `style` attributes; scripts stay 'self' only, without 'unsafe-eval'.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** The environment of the Admin Console (Keycloak's AdminConsole.getMainPage map, admin-ui Environment). */
export function adminEnvironment(baseUrl: string, realm: string, resourceVersion: string) {
  return {
    serverBaseUrl: baseUrl,
    adminBaseUrl: baseUrl,
    authUrl: baseUrl,
    authServerUrl: baseUrl,
    realm,
    clientId: 'security-admin-console',
    resourceUrl: CONSOLE_RESOURCES,
    logo: '/logo.svg',
    logoUrl: '',
    consoleBaseUrl: `/admin/${encodeURIComponent(realm)}/console/`,
    masterRealm: 'master',
    resourceVersion,
    darkMode: false,
  };
}

/** JSON safe inside a `<script>` element: `<` written as `\u003c`, so no `</script>` can end it. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const TEXTS: Record<ConsoleType, { title: string; loading: string; noscript: string }> = {
  admin: {
    title: 'Keycloak Administration Console',
    loading: 'Loading the Administration Console',
    noscript: 'JavaScript is required to use the Administration Console.',
  },
  account: {
    title: 'Account Management',
    loading: 'Loading the Account Console',
    noscript: 'JavaScript is required to use the Account Console.',
  },
};

/** Renders a console's page (200, no-store, CONSOLE_CSP). */
export function sendConsolePage(
  ctx: Context,
  type: ConsoleType,
  entry: ConsoleEntry,
  environment: Record<string, unknown>,
): void {
  sendPage(
    ctx,
    'console',
    {
      ...TEXTS[type],
      resourceUrl: CONSOLE_RESOURCES,
      entry,
      environmentJson: scriptJson(environment),
    },
    200,
    CONSOLE_CSP,
  );
  // The page frames its own login-status iframe (keycloak-js); it may itself be framed by this origin only.
  ctx.set('X-Frame-Options', 'SAMEORIGIN');
}

/**
 * The Account Console: Keycloak's own pages (@keycloak/keycloak-account-ui), mounted as Keycloak's
 * js/apps/account-ui does it (main.tsx, routes.tsx RootRoute, root/Root.tsx): a browser router
 * whose root route is the console's base path (`/realms/{realm}/account/`), its element
 * KeycloakProvider (keycloak-js login with PKCE S256 on `account-console`) around PatternFly's
 * Page with the console's Header and PageNav (the menu is `{resourceUrl}/content.json`), and the
 * library's routes as children. The environment comes from the `<script id="environment">`
 * document the server renders (src/console/account-page.ts).
 */
import '@patternfly/patternfly/patternfly-addons.css';
import '@patternfly/react-core/dist/styles/base.css';
import '@keycloak/keycloak-account-ui/styles.css';
import '../loading.css';

import { StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Outlet, RouterProvider } from 'react-router-dom';
import { Page, Spinner } from '@patternfly/react-core';
import { getInjectedEnvironment } from '@keycloak/keycloak-ui-shared';
// KeycloakProvider from the account-ui package: its pages read the environment context of the
// ui-shared copy bundled into it, which the one exported by @keycloak/keycloak-ui-shared is not.
import {
  Header,
  KeycloakProvider,
  PageNav,
  routes,
  type AccountEnvironment,
} from '@keycloak/keycloak-account-ui';
import { initI18n } from '../i18n';

const environment = getInjectedEnvironment<AccountEnvironment>();
await initI18n(environment.serverBaseUrl, environment.realm, 'account');

const router = createBrowserRouter([
  {
    path: decodeURIComponent(new URL(environment.baseUrl).pathname),
    element: (
      <KeycloakProvider environment={environment}>
        <Page header={<Header />} sidebar={<PageNav />} isManagedSidebar>
          <Suspense fallback={<Spinner />}>
            <Outlet />
          </Suspense>
        </Page>
      </KeycloakProvider>
    ),
    children: routes,
  },
]);

createRoot(document.getElementById('app')!).render(
  <StrictMode>
    <RouterProvider router={router} />
  </StrictMode>,
);

/**
 * The Admin Console: Keycloak's own pages (@keycloak/keycloak-admin-ui), mounted as Keycloak's
 * js/apps/admin-ui does it (main.tsx, routes.tsx RootRoute, Root.tsx): a hash router whose root
 * element is KeycloakProvider (keycloak-js login with PKCE S256 on `security-admin-console`) around
 * the console's App, with the library's routes as children. The environment comes from the
 * `<script id="environment">` document the server renders (src/console/pages.ts).
 */
import '@patternfly/patternfly/patternfly-addons.css';
import '@patternfly/react-core/dist/styles/base.css';
import '@keycloak/keycloak-admin-ui/styles.css';
import '../loading.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createHashRouter, RouterProvider } from 'react-router-dom';
import { getInjectedEnvironment } from '@keycloak/keycloak-ui-shared';
// KeycloakProvider from the admin-ui package: its pages read the environment context of the
// ui-shared copy bundled into it, which the one exported by @keycloak/keycloak-ui-shared is not.
import {
  AdminUi,
  KeycloakProvider,
  routes,
  type AdminEnvironment,
} from '@keycloak/keycloak-admin-ui';
import { initI18n } from '../i18n';
import { keepRouteAcrossLogin } from '../deep-link';

keepRouteAcrossLogin();
const environment = getInjectedEnvironment<AdminEnvironment>();
await initI18n(environment.serverBaseUrl, environment.realm, 'admin');

const router = createHashRouter([
  {
    path: '/',
    element: (
      <KeycloakProvider environment={environment}>
        <AdminUi />
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

// keycloak-js as applications configure it, with the options the protocol tests vary (query):
// client, onLoad, flow (standard | implicit), generic=1 (oidcProvider: discovery instead of
// {url, realm}), logout=POST. Hash routes (#/...) are the application's own.
import Keycloak from '/keycloak.js';

const params = new URLSearchParams(location.search);
const clientId = params.get('client') ?? 'plain';
const config = params.get('generic')
  ? { oidcProvider: `${window.IDP_URL}/realms/${window.IDP_REALM}`, clientId }
  : { url: window.IDP_URL, realm: window.IDP_REALM, clientId };
const kc = new Keycloak(config);
window.kc = kc;
const flow = params.get('flow') ?? 'standard';
window.ready = kc
  .init({
    onLoad: params.get('onLoad') ?? 'login-required',
    flow,
    ...(flow === 'standard' ? { pkceMethod: 'S256' } : {}),
    checkLoginIframe: true,
    logoutMethod: params.get('logout') ?? 'GET',
    silentCheckSsoRedirectUri: `${location.origin}/silent-check-sso.html`,
  })
  .then(
    (authenticated) => {
      document.getElementById('status').textContent = authenticated
        ? `signed in as ${kc.tokenParsed.preferred_username}`
        : 'signed out';
      return authenticated;
    },
    (err) => {
      window.initError = String(err && (err.message || err.error || err));
      return false;
    },
  );

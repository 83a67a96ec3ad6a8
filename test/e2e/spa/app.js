// A minimal single-page app using keycloak-js exactly as applications do: {url, realm, clientId}.
import Keycloak from '/keycloak.js';

const params = new URLSearchParams(location.search);
const kc = new Keycloak({
  url: window.IDP_URL,
  realm: window.IDP_REALM,
  clientId: params.get('client') ?? 'spa',
});
window.kc = kc;
window.ready = kc
  .init({
    onLoad: params.get('onLoad') ?? 'login-required',
    pkceMethod: 'S256',
    silentCheckSsoRedirectUri: `${location.origin}/silent-check-sso.html`,
  })
  .then(
    (authenticated) => {
      window.authenticated = authenticated;
      document.getElementById('status').textContent = authenticated
        ? `signed in as ${kc.tokenParsed.preferred_username}`
        : 'signed out';
      return authenticated;
    },
    (err) => {
      window.initError = String(err && (err.message || err.error || err));
      document.getElementById('status').textContent = `error: ${window.initError}`;
      return false;
    },
  );

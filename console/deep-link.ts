/**
 * Keeps a console deep link (`/admin/master/console/#/master/clients`) across the login redirect.
 * The consoles route by the URL's fragment, and keycloak-js sends `location.href` as the
 * redirect_uri; this server refuses a redirect_uri with a fragment in response_mode=query
 * (RFC 6749 §3.1.2; docs/protocol-security.md). So before keycloak-js starts, the route is put
 * aside (sessionStorage) and the fragment removed; on the way back (`?code=`), it is put back
 * before keycloak-js reads the callback (it strips the OAuth parameters and keeps the fragment).
 */
const KEY = 'qsign.console.route';

export function keepRouteAcrossLogin(): void {
  const saved = sessionStorage.getItem(KEY);
  const callback = new URLSearchParams(location.search).has('code');
  if (callback) {
    sessionStorage.removeItem(KEY);
    if (saved && !location.hash)
      history.replaceState(history.state, '', `${location.pathname}${location.search}${saved}`);
  } else if (location.hash.length > 1) {
    sessionStorage.setItem(KEY, location.hash);
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  }
}

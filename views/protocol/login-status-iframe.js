// Keycloak's session-status iframe protocol (keycloak-js "checkLoginIframe"): the app posts
// "{clientId} {sessionId}"; the answer is "unchanged", "changed" or "error". The first message is
// checked with /init (client and origin, against the client's webOrigins); the session's id for
// that client comes from /session, read with this origin's cookies.
(function () {
  'use strict';
  var base = location.href.split('?')[0];
  var init;
  function ask(path, query) {
    return fetch(base + '/' + path + '?' + new URLSearchParams(query).toString(), { credentials: 'same-origin', cache: 'no-store' });
  }
  function check(clientId, origin, sessionState) {
    var ready = init && init.clientId === clientId && init.origin === origin
      ? Promise.resolve(true)
      : ask('init', { client_id: clientId, origin: origin }).then(function (res) {
        if (res.status !== 204) return false;
        init = { clientId: clientId, origin: origin };
        return true;
      });
    return ready.then(function (ok) {
      if (!ok) return 'error';
      return ask('session', { client_id: clientId }).then(function (res) { return res.status === 200 ? res.json() : {}; }).then(function (body) {
        var sid = body && body.sid ? body.sid : '';
        return sid === sessionState ? 'unchanged' : 'changed';
      });
    }).catch(function () { return 'error'; });
  }
  window.addEventListener('message', function (event) {
    if (typeof event.data !== 'string') return;
    var data = event.data.split(' ');
    if (data.length !== 2) return;
    check(data[0], event.origin, data[1]).then(function (result) { event.source.postMessage(result, event.origin); });
  }, false);
})();

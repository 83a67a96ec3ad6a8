// RP-initiated logout with a valid id_token_hint needs no question (Keycloak's behaviour):
// confirm at once.
(function () {
  'use strict';
  var form = document.getElementById('op.logoutForm');
  if (!form) return;
  var input = document.createElement('input');
  input.type = 'hidden';
  input.name = 'logout';
  input.value = 'yes';
  form.appendChild(input);
  form.submit();
})();

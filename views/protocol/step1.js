// keycloak-js third-party cookie check, step 1: set test cookies, then load step 2, which reads them.
document.cookie = 'KEYCLOAK_3P_COOKIE_SAMESITE=supported; Max-Age=60; SameSite=None; Secure';
document.cookie = 'KEYCLOAK_3P_COOKIE=supported; Max-Age=60';
window.location = 'step2.html';

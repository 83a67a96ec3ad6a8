/** The device verification form (RFC 8628 §3.3) posted without the browser session. */
import type Provider from 'oidc-provider';
import { COOKIE_NAMES, KEYCLOAK_ROUTES } from '../../routes.ts';
import type { RealmContext } from '../realm-context.ts';

export function installDeviceFormRecovery(provider: Provider, rc: RealmContext): void {
  // A device code form posted without the browser session (cookie gone, or no page shown first)
  // cannot pass the XSRF check, and oidc-provider fails (500) re-rendering it on a new session:
  // send the browser back to the verification page instead.
  provider.use(async (ctx, next) => {
    if (
      ctx.method === 'POST' &&
      ctx.path === KEYCLOAK_ROUTES.code_verification &&
      !ctx.cookies.get(COOKIE_NAMES.session)
    ) {
      ctx.status = 303;
      ctx.redirect(`${rc.issuer}${KEYCLOAK_ROUTES.code_verification}`);
      return;
    }
    await next();
  });
}

/**
 * OpenID Connect Front-Channel Logout 1.0 as Keycloak renders it (frontchannel-logout.ftl): when
 * a browser session ends at the logout endpoint, every client of the session with
 * `frontchannelLogout: true` and a `frontchannel.logout.url` attribute gets an invisible iframe of
 * that URL on a "Logging out" page, with `iss` and `sid` (§2, unless the client's
 * `frontchannel.logout.session.required` is "false"); a Continue link then goes where the logout
 * would have redirected. The page's Content-Security-Policy allows frames from exactly those
 * URLs' origins. oidc-provider 9 has no front-channel feature: this runs after its logout
 * confirmation (route `end_session_confirm`), whose session object still lists the clients.
 */
import type { Context } from 'koa';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { realmDisplayName, sendPage } from '../pages.ts';
import type { RealmContext } from './realm-context.ts';

type Authorizations = Record<string, { sid?: string }>;

/** The iframe URLs for the clients of `authorizations` (see the module comment). */
export function frontchannelUrls(rc: RealmContext, authorizations: Authorizations): URL[] {
  const urls: URL[] = [];
  for (const [clientId, { sid }] of Object.entries(authorizations)) {
    const client = rc.realm.client(clientId) as
      (ReturnType<RealmContext['realm']['client']> & { frontchannelLogout?: boolean }) | undefined;
    const target = client?.attributes['frontchannel.logout.url'];
    if (!client || client.frontchannelLogout !== true || !target) continue;
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      continue;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') continue;
    if (client.attributes['frontchannel.logout.session.required'] !== 'false') {
      url.searchParams.set('iss', rc.issuer);
      if (sid) url.searchParams.set('sid', sid);
    }
    urls.push(url);
  }
  return urls;
}

/** The page's CSP: the pages' policy with `frame-src` of exactly the iframes' origins. */
const pageCsp = (urls: URL[]) =>
  `default-src 'none'; style-src 'self'; img-src 'self'; frame-src ${[
    ...new Set(urls.map((u) => u.origin)),
  ].join(' ')}; frame-ancestors 'none'; base-uri 'none'`;

/** Adds the front-channel logout page after oidc-provider's logout confirmation (module comment). */
export function installFrontchannelLogout(provider: Provider, rc: RealmContext): void {
  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    if (oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
    const authorizations = (oidc.session as unknown as { authorizations?: Authorizations })
      ?.authorizations;
    const urls = frontchannelUrls(rc, authorizations ?? {});
    if (!urls.length) return;
    const location = ctx.response.get('location');
    ctx.remove('location');
    sendPage(
      ctx as unknown as Context,
      'frontchannel-logout',
      { realmDisplayName: realmDisplayName(rc), frames: urls.map(String), continueTo: location },
      200,
      pageCsp(urls),
    );
  });
}

/**
 * Records the device a browser signs in from, as Keycloak's DeviceActivityManager.attachDevice
 * does at login: after an authorization that completed a login (oidc-provider's
 * `authorization.success` with an interaction result holding `login`), the session's uid gets
 * the request's IP address and User-Agent (left out when over 512 characters, as Keycloak's
 * DeviceRepresentationProviderImpl), kept as long as the session can live
 * (`ssoSessionMaxLifespan`). The account API's device activity reads it (account/sessions.ts).
 * A failed write is logged and does not fail the login.
 */
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { recordSessionDevice } from '../store/sessions.ts';
import type { RealmContext } from './realm-context.ts';

const USER_AGENT_MAX_LENGTH = 512;

export function installSessionDevices(provider: Provider, rc: RealmContext): void {
  provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
    const session = ctx.oidc.session as { uid?: string; accountId?: string } | undefined;
    const result = (ctx.oidc as unknown as { result?: { login?: unknown } }).result;
    if (!session?.uid || !session.accountId || !result?.login) return;
    const ua = ctx.get('user-agent');
    const ttl = (rc.realm.rep as { ssoSessionMaxLifespan?: number }).ssoSessionMaxLifespan ?? 36000;
    recordSessionDevice(
      rc.db,
      rc.realmId,
      session.uid,
      { ipAddress: ctx.ip, ...(ua && ua.length <= USER_AGENT_MAX_LENGTH ? { userAgent: ua } : {}) },
      ttl,
    ).catch((err: Error) =>
      rc.log.warn(
        { realm: rc.realm.name, err: { message: err.message } },
        'session device not recorded',
      ),
    );
  });
}

/**
 * Ending a Keycloak user session on oidc-provider's models (Keycloak
 * AuthenticationManager.backchannelLogout): the tokens of every grant in the session are revoked
 * (but offline ones, oidc-provider's `persistsLogout`), clients with a back-channel logout URL are
 * told, and the session is destroyed. Used by the refresh-token logout (logout.ts) and the admin
 * sessions API (admin/sessions.ts). Failures to reach a client are logged, not fatal (Keycloak's).
 */
import type { Provider } from 'oidc-provider';
import type { Logger } from 'pino';

export type EndableSession = {
  accountId?: string;
  authorizations?: Record<string, { grantId?: string; sid?: string; persistsLogout?: boolean }>;
  destroy(): Promise<void>;
};
type TokenModel = { revokeByGrantId(grantId: string): Promise<void> };
const GRANT_TOKENS = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode'];

/** Revokes every token of grant `grantId` and the grant itself. */
export async function revokeGrant(provider: Provider, grantId: string): Promise<void> {
  const models = GRANT_TOKENS.map(
    (name) => (provider as unknown as Record<string, TokenModel>)[name],
  );
  await Promise.all(models.map((model) => model.revokeByGrantId(grantId)));
  await (await provider.Grant.find(grantId))?.destroy();
}

/** Ends `session` (see the module comment); `realm` names it in log lines. */
export async function endUserSession(
  provider: Provider,
  log: Logger,
  realm: string,
  session: EndableSession,
): Promise<void> {
  for (const [clientId, { grantId, sid, persistsLogout }] of Object.entries(
    session.authorizations ?? {},
  )) {
    if (grantId && !persistsLogout) await revokeGrant(provider, grantId);
    const client = (await provider.Client.find(clientId)) as unknown as
      | {
          backchannelLogoutUri?: string;
          backchannelLogout(sub: string, sid?: string): Promise<void>;
        }
      | undefined;
    if (client?.backchannelLogoutUri && session.accountId) {
      await client
        .backchannelLogout(session.accountId, sid)
        .catch((err: Error) =>
          log.warn(
            { realm, clientId, err: { message: err.message } },
            'back-channel logout delivery failed',
          ),
        );
    }
  }
  await session.destroy();
}

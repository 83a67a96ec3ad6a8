/**
 * Ends one browser session of a realm, as Keycloak's AuthenticationManager.backchannelLogout of a
 * user session (what the account console's "Sign out" and the admin session delete do): every
 * token of every client in it is revoked (access and refresh tokens, codes; offline grants stay,
 * as Keycloak keeps offline sessions), each grant is destroyed, clients with a back-channel
 * logout URL are told (a client that cannot be reached is logged, not fatal), and the session is
 * destroyed, so its cookie no longer signs anyone in. The same steps as the refresh-token logout
 * (oidc/logout.ts), driven by the session's uid instead of a token.
 */
import type { Provider } from 'oidc-provider';
import type { RealmContext } from '../oidc/realm-context.ts';

type SessionModel = {
  accountId?: string;
  authorizations?: Record<string, { grantId?: string; sid?: string; persistsLogout?: boolean }>;
  destroy(): Promise<void>;
};
type TokenModel = { revokeByGrantId(grantId: string): Promise<void> };
type LogoutClient = {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid?: string): Promise<void>;
};

/**
 * Ends the session with this uid if it is `accountId`'s. Returns whether it did.
 * @throws StoreUnavailableError
 */
export async function endBrowserSession(
  provider: Provider,
  rc: RealmContext,
  uid: string,
  accountId: string,
): Promise<boolean> {
  const Session = provider.Session as unknown as {
    findByUid(uid: string): Promise<SessionModel | undefined>;
  };
  const session = await Session.findByUid(uid);
  if (!session || session.accountId !== accountId) return false;
  const models = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode'].map(
    (name) => (provider as unknown as Record<string, TokenModel>)[name],
  );
  const notify: [LogoutClient, string | undefined, string][] = [];
  for (const [clientId, { grantId, sid, persistsLogout }] of Object.entries(
    session.authorizations ?? {},
  )) {
    if (grantId && !persistsLogout) {
      await Promise.all(models.map((model) => model.revokeByGrantId(grantId)));
      await (await provider.Grant.find(grantId))?.destroy();
    }
    const client = (await provider.Client.find(clientId)) as unknown as LogoutClient | undefined;
    if (client?.backchannelLogoutUri) notify.push([client, sid, clientId]);
  }
  await session.destroy();
  for (const [client, sid, clientId] of notify)
    await client
      .backchannelLogout(accountId, sid)
      .catch((err: Error) =>
        rc.log.warn(
          { realm: rc.realm.name, clientId, err: { message: err.message } },
          'back-channel logout delivery failed',
        ),
      );
  return true;
}

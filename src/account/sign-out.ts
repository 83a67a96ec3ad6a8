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
import { endUserSession, type EndableSession } from '../oidc/end-session.ts';

/**
 * Ends the session with this uid if it is `accountId`'s (oidc/end-session.ts endUserSession).
 * Returns whether it did.
 * @throws StoreUnavailableError
 */
export async function endBrowserSession(
  provider: Provider,
  rc: RealmContext,
  uid: string,
  accountId: string,
): Promise<boolean> {
  const Session = provider.Session as unknown as {
    findByUid(uid: string): Promise<EndableSession | undefined>;
  };
  const session = await Session.findByUid(uid);
  if (!session || session.accountId !== accountId) return false;
  await endUserSession(provider, rc.log, rc.realm.name, session);
  return true;
}

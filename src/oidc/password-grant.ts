/**
 * The OAuth 2.0 Resource Owner Password Credentials grant (RFC 6749 §4.3), which Keycloak offers
 * to clients with `directAccessGrantsEnabled`. oidc-provider does not ship it; it is registered
 * through the public `registerGrantType` API. Errors are Keycloak's
 * (ResourceOwnerPasswordCredentialsGrantType): 400 invalid_grant "Invalid user credentials",
 * "Account disabled", "Account is not fully set up".
 */
import { randomBytes } from 'node:crypto';
import { errors, type Provider, type KoaContextWithOIDC } from 'oidc-provider';
import { checkPassword, LOGIN_ERROR_EVENT, toAccount } from './account.ts';
import type { RealmContext } from './realm-context.ts';

export const PASSWORD_GRANT = 'password';

const REASONS = {
  invalid_credentials: 'Invalid user credentials',
  disabled: 'Account disabled',
  not_set_up: 'Account is not fully set up',
} as const;

class InvalidGrantKc extends errors.CustomOIDCProviderError {
  constructor(description: string) {
    super('invalid_grant', description);
  }
}

export function registerPasswordGrant(provider: Provider, rc: RealmContext): void {
  provider.registerGrantType(PASSWORD_GRANT, async (ctx: KoaContextWithOIDC) => {
    const { client, params } = ctx.oidc as unknown as { client: NonNullable<KoaContextWithOIDC['oidc']['client']>; params: Record<string, string | undefined> };
    if (!params.username) throw new errors.InvalidRequest('Missing parameter: username');
    const result = await checkPassword(rc, params.username, params.password ?? '', ctx.ip);
    if (!result.ok) {
      rc.loginEvent('LOGIN_ERROR', { clientId: client.clientId, ipAddress: ctx.ip, error: LOGIN_ERROR_EVENT[result.reason], details: { grant_type: 'password', username: params.username } });
      throw new InvalidGrantKc(REASONS[result.reason]);
    }
    rc.loginEvent('LOGIN', { clientId: client.clientId, userId: result.user.id, ipAddress: ctx.ip, details: { grant_type: 'password', username: result.user.username } });

    const account = toAccount(result.user);
    ctx.oidc.entity('Account', account);
    const requested = new Set((params.scope ?? '').split(' ').filter(Boolean));
    const allowed = new Set(['openid', 'offline_access', 'profile', 'email', 'roles', 'web-origins', 'acr', 'basic', 'address', 'phone']);
    const scope = [...requested].filter((s) => allowed.has(s)).join(' ') || undefined;
    // Keycloak creates a user session for direct grants; its id is the token's `sid`.
    const sid = randomBytes(18).toString('base64url');
    const authTime = Math.floor(Date.now() / 1000);

    const grant = new provider.Grant({ clientId: client.clientId, accountId: account.accountId });
    if (scope) grant.addOIDCScope(scope);
    const grantId = await grant.save();

    const at = new provider.AccessToken({ accountId: account.accountId, client, grantId, gty: PASSWORD_GRANT, scope, sid });
    ctx.oidc.entity('AccessToken', at);
    const accessToken = await at.save();

    let refreshToken: string | undefined;
    if (client.grantTypeAllowed('refresh_token')) {
      const rt = new provider.RefreshToken({
        accountId: account.accountId, client, grantId, gty: PASSWORD_GRANT, scope, sid, authTime, acr: '1', rotations: 0,
      } as ConstructorParameters<Provider['RefreshToken']>[0]);
      ctx.oidc.entity('RefreshToken', rt);
      refreshToken = await rt.save();
    }

    let idToken: string | undefined;
    if (requested.has('openid')) {
      const IdToken = provider.IdToken as unknown as new (claims: Record<string, unknown>, options: { ctx: KoaContextWithOIDC }) => { scope: string; set(k: string, v: unknown): void; issue(o: { use: string }): Promise<string> };
      const token = new IdToken({ ...(await account.claims('id_token', scope ?? 'openid', {}, [])), acr: '1', auth_time: authTime }, { ctx });
      token.scope = scope ?? 'openid';
      token.set('sid', sid);
      idToken = await token.issue({ use: 'idtoken' }) as string;
    }

    ctx.body = {
      access_token: accessToken,
      expires_in: at.expiration,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      id_token: idToken,
      scope,
    };
  }, ['username', 'password', 'scope']);
}

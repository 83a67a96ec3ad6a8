/**
 * The pages under `/realms/{realm}/login-actions/` besides the login form itself: the emailed
 * action-token links (`action-token?key=`), and the registration and reset-credentials pages of a
 * login interaction (`{uid}/registration`, `{uid}/reset-credentials`: under the interaction's path,
 * so its KC_INTERACTION cookie comes along). Called by server.ts before the login handler.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { RealmContext } from '../oidc/realm-context.ts';
import { handleActionToken } from './action-token-handler.ts';
import { handleRegistration } from './registration.ts';
import { handleResetCredentials } from './reset-credentials.ts';

/** Answers `rest` (the path after `/login-actions/`) when it is one of these pages. */
export async function handleFlowAction(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
  rest: string,
): Promise<boolean> {
  if (rest === 'action-token') {
    await handleActionToken(ctx, rc, provider);
    return true;
  }
  const [uid, action, extra] = rest.split('/');
  if (extra !== undefined || !uid) return false;
  if (action === 'registration') {
    await handleRegistration(ctx, rc, provider, uid);
    return true;
  }
  if (action === 'reset-credentials') {
    await handleResetCredentials(ctx, rc, provider, uid);
    return true;
  }
  return false;
}

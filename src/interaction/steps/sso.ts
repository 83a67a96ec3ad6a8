/**
 * The login of a user who already has an SSO session but a pending required action
 * (oidc/required-actions-check.ts asked for it): Keycloak authenticates them by the cookie and
 * goes straight to the required actions (AuthenticationManager.nextActionAfterAuthentication →
 * actionRequired), so no password is asked. The state starts at the actions stage with the
 * session's methods and login time (the login's `auth_time` stays the session's), and is marked
 * `sso` so the login ends with Keycloak's acr "0" of a re-used session.
 */
import { REQUIRED_ACTIONS_REASON } from '../../oidc/required-actions-check.ts';
import { findUserById } from '../../store/users.ts';
import { saveState, type LoginState } from './state.ts';
import type { StepContext, UserStepContext } from './types.ts';

type SessionModel = {
  findByUid(uid: string): Promise<{ loginTs?: number; transient?: boolean } | undefined>;
};

/**
 * The stored SSO session of the interaction's browser: its login time (epoch seconds, the id
 * token's auth_time: Keycloak's AUTH_TIME user-session note) and whether its cookie is a
 * browser-session one (no remember me). Undefined without a session.
 */
export async function storedSession(sc: StepContext) {
  const uid = sc.interaction.session?.uid;
  return uid ? await (sc.provider.Session as unknown as SessionModel).findByUid(uid) : undefined;
}

/** The step context of the session's user, or undefined when this interaction is not that case. */
export async function ssoActionsStep(sc: StepContext): Promise<UserStepContext | undefined> {
  const { interaction } = sc;
  const session = interaction.session;
  if (!session?.accountId || !interaction.prompt.reasons.includes(REQUIRED_ACTIONS_REASON))
    return undefined;
  const user = await findUserById(sc.rc.db, sc.rc.realmId, session.accountId);
  if (!user?.enabled) return undefined;
  const stored = await storedSession(sc);
  const state: LoginState = {
    userId: user.id,
    stage: 'actions',
    amr: session.amr ?? ['pwd'],
    authTime: stored?.loginTs ?? Math.floor(Date.now() / 1000),
    // The session keeps its kind: a persistent (remember me) cookie stays persistent.
    rememberMe: stored !== undefined && stored.transient !== true,
    sso: true,
  };
  await saveState(interaction, state);
  return { ...sc, user, state };
}

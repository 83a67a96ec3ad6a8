/**
 * What every step of the login gets (the request, the realm, the provider, the interaction and
 * its state) and the shape of a required-action step. A step renders its page (views/*.eta) and
 * handles its form; the dispatcher (interaction/login.ts) decides which step runs.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { RealmContext } from '../../oidc/realm-context.ts';
import type { StoredUser } from '../../store/users.ts';
import { LOGIN_ACTIONS } from '../../routes.ts';
import { realmDisplayName, sendPage, PAGE_CSP } from '../../pages.ts';
import type { Interaction, LoginState } from './state.ts';

export interface StepContext {
  ctx: Context;
  rc: RealmContext;
  provider: Provider;
  interaction: Interaction;
  /** `/realms/{realm}/login-actions/{uid}`: the steps' forms post below it. */
  base: string;
  clientId: string;
}

/** A step once the password is known: the user (read fresh from the store) and the state. */
export interface UserStepContext extends StepContext {
  user: StoredUser;
  state: LoginState;
}

/** The form fields of a POST (strings only; anything else is dropped). */
export type Form = Record<string, string>;

/** One of Keycloak's required actions (alias as in RequiredActionProviderRepresentation). */
export interface RequiredActionStep {
  alias: string;
  /**
   * Before the page: 'show' it, 'complete' the action without a page (already satisfied, e.g. a
   * verified email), or 'skip' it in this login (it stays on the user). Default 'show'.
   */
  precheck?(sc: UserStepContext): 'show' | 'complete' | 'skip';
  /** Shows the action's page, with an error message (and the values sent) after a refused submission. */
  show(sc: UserStepContext, error?: string, values?: Form): Promise<void>;
  /**
   * Handles the page's form. Returns 'done' once the user record is updated and the action
   * removed from it, 'shown' when the page was shown again (with an error), or 'rejected' when
   * the user declined (the login ends with access_denied).
   */
  submit(sc: UserStepContext, form: Form): Promise<'done' | 'shown' | 'rejected'>;
}

/** The login-actions path of an interaction. */
export const interactionBase = (rc: RealmContext, uid: string) =>
  `/realms/${encodeURIComponent(rc.realm.name)}${LOGIN_ACTIONS}/${encodeURIComponent(uid)}`;

/** Renders a login page with the fields every template uses (realm name, cancel link). */
export function stepPage(
  sc: StepContext,
  template: string,
  data: Record<string, unknown>,
  status = 200,
  csp = PAGE_CSP,
): void {
  sendPage(
    sc.ctx,
    template,
    { realmDisplayName: realmDisplayName(sc.rc), abort: `${sc.base}/abort`, ...data },
    status,
    csp,
  );
}

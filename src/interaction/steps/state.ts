/**
 * The login's progress between pages, kept in oidc-provider's Interaction (stored server-side,
 * bound to the browser by its interaction cookie): which user gave the right password, whether the
 * OTP step is passed, what a TOTP enrolment is showing. Nothing here travels through the browser,
 * so a form cannot skip a step: each POST is checked against this state.
 */
import type { Provider } from 'oidc-provider';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The stages after the password: the OTP code, then the pending required actions. */
export interface LoginState {
  userId: string;
  stage: 'otp' | 'actions';
  /** RFC 8176 methods so far: `pwd`, then `otp`. */
  amr: string[];
  /** Epoch seconds of the password step. */
  authTime: number;
  /** CONFIGURE_TOTP: the secret shown on the page, sealed (store/credentials.ts sealPending). */
  enrolment?: string;
  /** VERIFY_EMAIL: the mail went out once in this login (Keycloak sends it on the first challenge). */
  verifyEmailSent?: boolean;
  /** The login form's "Remember me" was ticked (only offered when the realm sets `rememberMe`). */
  rememberMe?: boolean;
  /** The user came with an SSO session and only runs required actions (steps/sso.ts). */
  sso?: boolean;
}

const KEY = 'qsignLogin';

/** The state of this interaction, or undefined before the password step. */
export function loadState(interaction: Interaction): LoginState | undefined {
  const value = (interaction.result as Record<string, unknown> | undefined)?.[KEY];
  return value && typeof value === 'object' ? (value as LoginState) : undefined;
}

/**
 * Stores the state in the interaction (its result, which oidc-provider reads only once the login
 * is finished, and then replaced by the login's outcome).
 */
export async function saveState(interaction: Interaction, state: LoginState): Promise<void> {
  // Merged: the result also keeps the login's locale pick (interaction/login-locale.ts).
  interaction.result = { ...(interaction.result ?? {}), [KEY]: state } as never;
  await interaction.persist();
}

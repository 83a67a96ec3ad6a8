/**
 * After "Forgot Password?": the new password set through the emailed link logs the user in to the
 * client the reset started from, as Keycloak's reset-credentials flow does
 * (ResetCredentialsActionTokenHandler continues the flow's authentication session: ResetPassword,
 * the "Reset - Conditional OTP" step for a user with an OTP credential, then the required actions
 * and the redirect to the client).
 *
 * Only in the browser that started it and did the reset: the link's POST stores a one-time proof
 * (its SHA-256) in the login interaction the token names (`asid`) and redirects to
 * `{uid}/reset-credentials?proof=...`; the login goes on only for a browser that holds that
 * interaction's KC_INTERACTION cookie and brings the proof (Keycloak's LoginActionsService checks
 * the token's authentication session against the browser's). A reset asked from an attacker's
 * login page and completed by the account's owner thus logs neither browser in (the owner's has no
 * cookie, the attacker's no proof), and the emailed key alone continues nothing. Every other case
 * gets "Your password has been updated." and logs in as usual.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { RealmContext } from '../oidc/realm-context.ts';
import { hasOtpCredential } from '../store/credentials.ts';
import { findUserById } from '../store/users.ts';
import type { ActionToken } from '../tokens/action-token.ts';
import { saveState } from './steps/state.ts';
import { infoPage, interactionBase } from './forms.ts';

export const PASSWORD_UPDATED = 'Your password has been updated.';

const PROOF = 'qsignResetProof';
const sha256 = (text: string) => createHash('sha256').update(text).digest();

type InteractionModel = {
  find(
    uid: string,
  ): Promise<
    { prompt: { name: string }; result?: unknown; persist(): Promise<unknown> } | undefined
  >;
};

/**
 * After the reset: the continuation address for the login the token came from, with a new proof
 * stored in that interaction; undefined when the token names no login that is still waiting.
 */
export async function resetContinuation(
  rc: RealmContext,
  provider: Provider,
  token: ActionToken,
): Promise<string | undefined> {
  if (token.typ !== 'reset-credentials' || !token.asid) return undefined;
  const Interaction = provider.Interaction as unknown as InteractionModel;
  const interaction = await Interaction.find(token.asid);
  if (!interaction || interaction.prompt.name !== 'login') return undefined;
  const proof = randomBytes(32).toString('base64url');
  const hash = sha256(proof).toString('base64url');
  interaction.result = { [PROOF]: { sha256: hash, userId: token.sub } };
  await interaction.persist();
  return `${interactionBase(rc, token.asid)}/reset-credentials?proof=${proof}`;
}

async function thisBrowsersInteraction(ctx: Context, provider: Provider, uid: string) {
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    return details.uid === uid && details.prompt.name === 'login' ? details : undefined;
  } catch {
    return undefined; // no interaction cookie here, or it expired
  }
}

/** The user id the interaction's stored proof is for, when `proof` matches it. */
function provenUser(result: unknown, proof: string): string | undefined {
  const stored = (result as Record<string, { sha256?: unknown; userId?: unknown }> | undefined)?.[
    PROOF
  ];
  if (typeof stored?.sha256 !== 'string' || typeof stored.userId !== 'string') return undefined;
  const expected = Buffer.from(stored.sha256, 'base64url');
  const given = sha256(proof);
  return expected.length === given.length && timingSafeEqual(expected, given)
    ? stored.userId
    : undefined;
}

/** `GET {uid}/reset-credentials?proof=`: continues the login, or says the password was updated. */
export async function continueAfterReset(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
  uid: string,
  proof: string,
): Promise<void> {
  const updated = () =>
    infoPage(ctx, rc, { title: 'Update Your Account', message: PASSWORD_UPDATED });
  const interaction = await thisBrowsersInteraction(ctx, provider, uid);
  const userId = interaction && provenUser(interaction.result, proof);
  if (!interaction || !userId) return updated();
  const user = await findUserById(rc.db, rc.realmId, userId);
  if (!user?.enabled) return updated();
  // saveState replaces the interaction's result: the proof is used up.
  await saveState(interaction, {
    userId: user.id,
    stage: (await hasOtpCredential(rc.db, user.id)) ? 'otp' : 'actions',
    amr: ['pwd'],
    authTime: Math.floor(Date.now() / 1000),
  });
  ctx.status = 303;
  ctx.redirect(interactionBase(rc, uid));
}

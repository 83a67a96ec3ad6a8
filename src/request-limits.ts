/**
 * Which rate-limit counters (rate-limit.ts) a request counts against, and when:
 * - token endpoint: `token.perIp`, counted on arrival; `token.perClient` for the client the
 *   request names (HTTP Basic credentials, else `client_id` in the form), checked on arrival and
 *   counted once answered, only when the answer shows the client authenticated (`clientAuthenticated`).
 *   So a caller that only knows a confidential client's id cannot use up that client's budget
 *   with wrong or malformed credentials; guessing secrets is held back by the per-IP limit. A
 *   public client's id is its only credential: anyone can spend its budget.
 * - login form (`POST .../login-actions/{uid}/login`): `login.perIp`, and `login.perClient` for the
 *   client of the interaction, both counted on arrival (a login attempt proves nothing about the
 *   client).
 * Keycloak has no request rate limits of its own; these are this server's (README, "Rate limits").
 */
import type { Context } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { RateLimits } from './rate-limit.ts';
import type { RealmRuntime } from './runtime/registry.ts';

/** The token endpoint's form parser (64 KB), shared with introspection and revocation. */
export const parseTokenForm = bodyParser({ enableTypes: ['form'], formLimit: '64kb' });

/**
 * The client id of an HTTP Basic credential (RFC 6749 §2.3.1: form-urlencoded, then base64), or
 * undefined when it does not decode; oidc-provider then refuses the credential itself.
 */
function basicClientId(credential: string): string | undefined {
  try {
    return (
      decodeURIComponent(Buffer.from(credential, 'base64').toString().split(':')[0] ?? '') ||
      undefined
    );
  } catch {
    return undefined;
  }
}

/** The client a token request names: Basic credentials, else `client_id` in the form (parsed here, handed on to oidc-provider). */
async function tokenClientId(ctx: Context): Promise<string | undefined> {
  const basic = /^Basic\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
  const fromBasic = basic ? basicClientId(basic) : undefined;
  if (fromBasic || !ctx.is('application/x-www-form-urlencoded')) return fromBasic;
  await parseTokenForm(ctx, async () => undefined);
  const id = (ctx.request as unknown as { body?: Record<string, unknown> }).body?.client_id;
  return typeof id === 'string' ? id : undefined;
}

/** The client of the login interaction `uid`, or undefined when there is no such interaction. */
async function loginClientId(runtime: RealmRuntime, uid: string): Promise<string | undefined> {
  const Interaction = (
    runtime.provider as unknown as {
      Interaction: { find(uid: string): Promise<{ params?: { client_id?: unknown } } | undefined> };
    }
  ).Interaction;
  const id = (await Interaction.find(uid))?.params?.client_id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Errors oidc-provider's token endpoint gives only after the client authenticated (its client
 * authentication runs first; RFC 6749 §5.2). `invalid_request` is left out: malformed credentials
 * get it before.
 */
const AFTER_CLIENT_AUTHENTICATION = new Set([
  'unsupported_grant_type',
  'unauthorized_client',
  'invalid_grant',
  'invalid_scope',
  'invalid_target',
  'invalid_authorization_details',
]);

/** Whether a token endpoint answer shows that its client authenticated: tokens, or a refusal of the grant itself. */
function clientAuthenticated(ctx: Context): boolean {
  if (ctx.status === 200) return true;
  const error = (ctx.body as { error?: unknown } | undefined)?.error;
  return ctx.status === 400 && typeof error === 'string' && AFTER_CLIENT_AUTHENTICATION.has(error);
}

export interface LimitDecision {
  /** Seconds to wait (answer 429 with Retry-After), when over a limit. */
  wait?: number;
  /** Counts the request once answered (call after the response is set). */
  answered?: (ctx: Context) => Promise<void>;
}

/**
 * Applies the realm's limits to a request of `endpoint`; `uid` is the login interaction's.
 * Never throws for a limiter that fails (the request is let through).
 */
export async function applyRequestLimits(
  ctx: Context,
  limits: RateLimits,
  runtime: RealmRuntime,
  endpoint: 'token' | 'login',
  uid?: string,
): Promise<LimitDecision> {
  const doc = runtime.rc.realm.rep;
  if (endpoint === 'login') {
    const byIp = await limits.consume(doc, 'login.perIp', ctx.ip);
    if (byIp !== undefined || !uid || !RateLimits.limits(doc, 'login.perClient'))
      return { wait: byIp };
    const clientId = await loginClientId(runtime, uid);
    return { wait: clientId ? await limits.consume(doc, 'login.perClient', clientId) : undefined };
  }
  const byIp = await limits.consume(doc, 'token.perIp', ctx.ip);
  if (byIp !== undefined || !RateLimits.limits(doc, 'token.perClient')) return { wait: byIp };
  const clientId = await tokenClientId(ctx);
  if (!clientId) return {};
  const wait = await limits.check(doc, 'token.perClient', clientId);
  if (wait !== undefined) return { wait };
  return {
    answered: async (answeredCtx) => {
      if (clientAuthenticated(answeredCtx)) await limits.consume(doc, 'token.perClient', clientId);
    },
  };
}

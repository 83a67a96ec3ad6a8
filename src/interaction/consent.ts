/**
 * The consent step of the login interaction (oidc-provider's `consent` prompt), as Keycloak's
 * login-oauth-grant.ftl: "Grant Access to {client}", "Do you grant these access privileges?",
 * the client scopes the request applies with their `consent.screen.text` (else their name), and
 * Yes / No. Yes stores the consent (store/consents.ts: the listed scopes added to the user's
 * consent for the client), so a later login with the same scopes asks nothing
 * (oidc/consent-check.ts); No answers the client `access_denied` (Keycloak's CONSENT_DENIED,
 * event LOGIN_ERROR `rejected_by_user`). A client without `consentRequired` never sees the page:
 * its `prompt=consent` (which oidc-provider needs to keep `offline_access`) is answered at once,
 * so the browser is not sent back to the login page.
 */
import type { Context } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type { Provider } from 'oidc-provider';
import { grantConsent } from '../store/consents.ts';
import type { RealmContext } from '../oidc/realm-context.ts';
import { LOGIN_ACTIONS } from '../routes.ts';
import { realmDisplayName, sendPage } from '../pages.ts';

const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

/** Keycloak's messages_en.properties texts of the built-in scopes' `${...}` consent keys. */
const CONSENT_TEXTS: Record<string, string> = {
  profileScopeConsentText: 'User profile',
  emailScopeConsentText: 'Email address',
  addressScopeConsentText: 'Address',
  phoneScopeConsentText: 'Phone number',
  offlineAccessScopeConsentText: 'Offline Access',
  rolesScopeConsentText: 'User roles',
  organizationScopeConsentText: 'Organization',
  samlRoleListScopeConsentText: 'My Roles',
};

/** A `${key}` text as Keycloak's advancedMsg shows it: the message, else the key itself. */
export function consentText(text: string): string {
  const key = /^\$\{(.+)\}$/.exec(text)?.[1];
  return key === undefined ? text : (CONSENT_TEXTS[key] ?? key);
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
type ConsentScope = { name: string; text: string };

async function finish(ctx: Context, provider: Provider, result: Record<string, unknown>) {
  // Merged with the login of this flow, if any: its tokens keep the fresh login's acr "1".
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: true,
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

function consentPage(ctx: Context, rc: RealmContext, details: Details, scopes: ConsentScope[]) {
  const base = `/realms/${encodeURIComponent(rc.realm.name)}${LOGIN_ACTIONS}/${encodeURIComponent(details.uid)}`;
  const client = rc.realm.client(String(details.params.client_id ?? ''));
  sendPage(ctx, 'consent', {
    realmDisplayName: realmDisplayName(rc),
    action: `${base}/consent`,
    clientName: client?.attributes['consent.screen.text'] || client?.name || client?.clientId || '',
    scopes: scopes.map((s) => consentText(s.text)),
  });
}

/**
 * Handles the interaction when its prompt is `consent`: `GET {uid}` shows the page,
 * `POST {uid}/consent` with `accept` or `cancel` answers it. `action` is the path segment after
 * the uid.
 */
export async function handleConsentAction(
  ctx: Context,
  rc: RealmContext,
  provider: Provider,
  details: Details,
  action: string | undefined,
): Promise<void> {
  const clientId = String(details.params.client_id ?? '');
  const client = rc.realm.client(clientId);
  if (!client?.consentRequired) {
    await finish(ctx, provider, { consent: {} });
    return;
  }
  const scopes = ((details.prompt.details as { consentScopes?: ConsentScope[] }).consentScopes ??
    []) as ConsentScope[];
  if (ctx.method === 'GET' && !action) {
    consentPage(ctx, rc, details, scopes);
    return;
  }
  if (ctx.method !== 'POST' || action !== 'consent') {
    ctx.status = 405;
    ctx.body = { error: 'invalid_request', error_description: 'Method not allowed' };
    return;
  }
  await parseForm(ctx, async () => undefined);
  const form = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
  const accountId = details.session?.accountId;
  if (!('accept' in form) || !accountId) {
    rc.loginEvent('LOGIN_ERROR', {
      clientId,
      userId: accountId,
      ipAddress: ctx.ip,
      error: 'rejected_by_user',
      details: { auth_method: 'openid-connect', consent: 'consent_denied' },
    });
    await finish(ctx, provider, { error: 'access_denied' });
    return;
  }
  await grantConsent(
    rc.db,
    rc.realmId,
    accountId,
    clientId,
    scopes.map((s) => s.name),
  );
  await finish(ctx, provider, { consent: {} });
}

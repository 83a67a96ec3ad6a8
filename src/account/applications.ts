/**
 * Applications, consents, groups, linked accounts and locales of the account API
 * (AccountRestService, LinkedAccountsResource, Keycloak 26):
 * - `GET .../account/applications` (manage-account or view-applications; `?name=` filters by
 *   client name): the clients the user has a browser session with (`inUse`), an offline token
 *   for (`offlineAccess`) or a consent to, and those with `alwaysDisplayInConsole`; never
 *   bearer-only ones. ClientRepresentation `{clientId, clientName, description,
 *   userConsentRequired, inUse, offlineAccess, rootUrl, baseUrl, effectiveUrl, consent?,
 *   logoUri?, policyUri?, tosUri?}` (the last three with a consent, as Keycloak).
 * - `GET .../applications/{clientId}/consent` (manage-account, view-consent or manage-consent):
 *   ConsentRepresentation `{grantedScopes: [{id, name, displayText}], createdDate,
 *   lastUpdatedDate}`, 204 without one; `DELETE` (manage-account or manage-consent): revokes it
 *   (UserConsentManager.revokeConsentToClient: the offline tokens always; with a consent, every
 *   grant of the client, so its sessions' tokens stop working), 204; an unknown client is 404
 *   `{"errorMessage":"No client with clientId: X found."}`. A consent here is the user's live
 *   grant (refresh tokens) to a client with `consentRequired`, its scopes those of the tokens.
 * - `GET .../account/groups` (manage-account or view-groups): the user's groups `{id, name, path}`.
 * - `GET .../account/linked-accounts` (manage-account or view-profile): `[]`, this server has no
 *   identity providers.
 * - `GET .../account/supportedLocales`: the realm's `supportedLocales`.
 */
import type { Context } from 'koa';
import type { ClientRepresentation } from '../model/representation.ts';
import { listUserGrants, listUserSessions, type UserGrant } from '../store/sessions.ts';
import { requireOneOf, type AccountCaller } from './auth.ts';
import { errorResponse } from './errors.ts';

type ClientScope = { id?: string; name?: string; attributes?: Record<string, unknown> };

/** ResolveRelative.resolveRelativeUri: a relative baseUrl against the root URL or the server. */
function effectiveUrl(caller: AccountCaller, c: ClientRepresentation): string | undefined {
  const { baseUrl } = c;
  const server = caller.runtime.rc.baseUrl.replace(/\/$/, '');
  if (!baseUrl || !baseUrl.startsWith('/')) return baseUrl;
  const root = c.rootUrl?.replace('${authBaseUrl}', server).replace('${authAdminUrl}', server);
  return root ? `${root}${baseUrl}` : `${new URL(server).origin}${baseUrl}`;
}

/** ConsentRepresentation of a consent grant: its scopes that are client scopes of the realm. */
function consentRep(caller: AccountCaller, grants: UserGrant[]) {
  const scopes = ((caller.runtime.rc.realm.rep as { clientScopes?: ClientScope[] }).clientScopes ??
    []) as ClientScope[];
  const names = new Set(grants.flatMap((g) => g.scope.split(' ').filter(Boolean)));
  const grantedScopes = scopes
    .filter((s) => s.name && names.has(s.name))
    .map((s) => {
      const text = s.attributes?.['consent.screen.text'];
      const consentText = typeof text === 'string' && text ? text : undefined;
      return { id: s.id ?? s.name, name: consentText ?? s.name, displayText: consentText };
    });
  const times = grants.map((g) => g.createdAt * 1000);
  return {
    grantedScopes,
    createdDate: Math.min(...times),
    lastUpdatedDate: Math.max(...times),
  };
}

function applicationRep(
  caller: AccountCaller,
  c: ClientRepresentation,
  inUse: Set<string>,
  grants: UserGrant[],
) {
  const consents = c.consentRequired ? grants.filter((g) => g.clientId === c.clientId) : [];
  const attr = (name: string) => (c.attributes[name] as string | undefined) || undefined;
  return {
    clientId: c.clientId,
    clientName: c.name,
    description: (c as { description?: string }).description,
    userConsentRequired: c.consentRequired,
    inUse: inUse.has(c.clientId),
    offlineAccess: grants.some((g) => g.clientId === c.clientId && g.offline),
    rootUrl: c.rootUrl,
    baseUrl: c.baseUrl,
    effectiveUrl: effectiveUrl(caller, c),
    ...(consents.length
      ? {
          consent: consentRep(caller, consents),
          logoUri: attr('logoUri'),
          policyUri: attr('policyUri'),
          tosUri: attr('tosUri'),
        }
      : {}),
  };
}

export async function getApplications(ctx: Context, caller: AccountCaller): Promise<void> {
  requireOneOf(caller, 'manage-account', 'view-applications');
  const { db, realmId, realm } = caller.runtime.rc;
  const sessions = await listUserSessions(db, realmId, caller.user.id);
  const grants = await listUserGrants(db, realmId, caller.user.id);
  const inUse = new Set(sessions.flatMap((s) => Object.keys(s.authorizations)));
  const wanted = new Set([
    ...inUse,
    ...grants
      .filter((g) => g.offline || realm.client(g.clientId)?.consentRequired)
      .map((g) => g.clientId),
    ...realm.clients
      .filter((c) => (c as { alwaysDisplayInConsole?: boolean }).alwaysDisplayInConsole === true)
      .map((c) => c.clientId),
  ]);
  const name = typeof ctx.query.name === 'string' ? ctx.query.name.toLowerCase() : undefined;
  ctx.body = [...wanted]
    .map((id) => realm.client(id))
    .filter((c): c is ClientRepresentation => !!c && !c.bearerOnly && c.clientId !== '')
    .filter((c) => name === undefined || (c.name ?? '').toLowerCase().includes(name))
    .map((c) => applicationRep(caller, c, inUse, grants));
}

function namedClient(caller: AccountCaller, clientId: string): ClientRepresentation {
  const client = caller.runtime.rc.realm.client(clientId);
  if (!client) throw errorResponse(404, `No client with clientId: ${clientId} found.`);
  return client;
}

export async function getConsent(ctx: Context, caller: AccountCaller): Promise<void> {
  requireOneOf(caller, 'manage-account', 'view-consent', 'manage-consent');
  const client = namedClient(caller, String(ctx.params.clientId));
  const { db, realmId } = caller.runtime.rc;
  const grants = client.consentRequired
    ? (await listUserGrants(db, realmId, caller.user.id)).filter(
        (g) => g.clientId === client.clientId,
      )
    : [];
  if (!grants.length) {
    ctx.status = 204;
    ctx.body = null;
    return;
  }
  ctx.body = consentRep(caller, grants);
}

export async function revokeConsent(ctx: Context, caller: AccountCaller): Promise<void> {
  requireOneOf(caller, 'manage-account', 'manage-consent');
  const client = namedClient(caller, String(ctx.params.clientId));
  const { runtime } = caller;
  const { db, realmId } = runtime.rc;
  const grants = (await listUserGrants(db, realmId, caller.user.id)).filter(
    (g) => g.clientId === client.clientId && (client.consentRequired || g.offline),
  );
  const provider = runtime.provider as unknown as Record<
    string,
    { revokeByGrantId(id: string): Promise<void> }
  >;
  for (const grant of grants) {
    for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode'])
      await provider[model].revokeByGrantId(grant.id);
    await (await runtime.provider.Grant.find(grant.id))?.destroy();
  }
  runtime.rc.loginEvent('REVOKE_GRANT', {
    clientId: caller.clientId,
    userId: caller.user.id,
    ipAddress: ctx.ip,
    details: { revoked_client: client.clientId },
  });
  ctx.status = 204;
  ctx.body = null;
}

export function getGroups(ctx: Context, caller: AccountCaller): void {
  requireOneOf(caller, 'manage-account', 'view-groups');
  const { realm } = caller.runtime.rc;
  ctx.body = (caller.user.groups ?? []).flatMap((path) => {
    const group = realm.group(path);
    const full = path.startsWith('/') ? path : `/${path}`;
    return group ? [{ id: group.id, name: group.name, path: full }] : [];
  });
}

export function getLinkedAccounts(ctx: Context, caller: AccountCaller): void {
  requireOneOf(caller, 'manage-account', 'view-profile');
  ctx.body = [];
}

export function getSupportedLocales(ctx: Context, caller: AccountCaller): void {
  const locales = (caller.runtime.rc.realm.rep as { supportedLocales?: unknown }).supportedLocales;
  ctx.body = Array.isArray(locales) ? locales.filter((l) => typeof l === 'string') : [];
}

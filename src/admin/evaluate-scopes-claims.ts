/**
 * What Keycloak 26's ClientScopeEvaluateResource computes, from the same mapper pipeline the token
 * endpoint uses (oidc/claims.ts createRealmClaims, mappers/pipeline.ts), so an example equals the
 * claims of a real token for the same client, user and `scope`:
 * - exampleToken: the payload of an access token, id token, or the userinfo claims, for a fresh
 *   example user session (Keycloak creates one, "example-auth", and removes it afterwards): a new
 *   `sid`, acr "1", no AUTH_TIME note (no login happened, so no `auth_time`);
 * - evaluatedMappers: ProtocolMapperEvaluationRepresentation[] of the requested client scopes and
 *   of the client (TokenManager.getRequestedClientScopes order: default scopes, the client, the
 *   optional scopes named in `scope`);
 * - grantedRoles: ClientScopeEvaluateScopeMappingsResource.getGrantedRoles (all the container's
 *   roles with fullScopeAllowed, else those in the client's role scope for the requested scopes).
 * Scope names the client has not got are ignored, as getRequestedClientScopes ignores them (the
 * evaluate endpoints never answer invalid_scope).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import type {
  ClientRepresentation,
  RealmDocument,
  RoleRepresentation,
} from '../model/representation.ts';
import type { RealmModel } from '../model/model.ts';
import type { StoredUser } from '../store/users.ts';
import { createRealmClaims } from '../oidc/claims.ts';
import { userSession } from '../oidc/token-claims.ts';
import { accessTokenTarget } from '../mappers/token-target.ts';
import {
  clientScopeLists,
  isValidScope,
  parseScopeParameter,
  requestedClientScopes,
} from '../mappers/client-scopes.ts';
import type { RealmIndex } from '../mappers/realm-index.ts';
import { roleScope } from '../mappers/role-scope.ts';
import { clientRoleKey, realmRoleKey } from '../mappers/role-graph.ts';
import type { Claims, ClientScopeRep } from '../mappers/types.ts';
import { readMappers, realmScopes } from './realm-client-scopes.ts';

export type ExampleKind = 'access' | 'id' | 'userinfo';

/** Keycloak's ProtocolMapperEvaluationRepresentation. */
export interface MapperEvaluation {
  mapperId?: string;
  mapperName: string;
  containerId?: string;
  containerName: string;
  containerType: 'client' | 'client-scope';
  protocolMapper: string;
}

/**
 * The scope parameter without the names the client has not got (`openid` kept); undefined stays
 * undefined (no parameter).
 */
export function knownScopeParam(
  index: RealmIndex,
  client: ClientRepresentation,
  scopeParam: string | undefined,
): string | undefined {
  if (scopeParam === undefined) return undefined;
  return parseScopeParameter(scopeParam)
    .filter((s) => s === 'openid' || isValidScope(index.scopes, client, s))
    .join(' ');
}

/**
 * The example token or userinfo of `kind` for `user` through `client`: the pipeline's claims with
 * the issuer's own fields as a real token has them (access token: exp, iat, jti first, as
 * oidc/keycloak-tokens.ts signs it; id token: exp, iat, jti; userinfo: the claims only).
 * Lifetimes: the realm's accessTokenLifespan (seconds), as for real access and id tokens.
 */
export function exampleToken(
  realm: RealmModel,
  log: Logger,
  issuer: string,
  client: ClientRepresentation,
  user: StoredUser,
  scopeParam: string | undefined,
  kind: ExampleKind,
): Claims {
  const rcClaims = createRealmClaims(realm, log, issuer);
  const scope = knownScopeParam(rcClaims.index, client, scopeParam);
  const session = userSession({ sid: randomUUID(), acr: '1' });
  const target = kind === 'access' ? accessTokenTarget(client) : kind;
  const { claims } = rcClaims.claims({
    client,
    user,
    session,
    scopeParam: scope === '' ? undefined : scope,
    target,
  });
  if (kind === 'userinfo') return { ...claims };
  const iat = Math.floor(Date.now() / 1000);
  const lifespan =
    typeof realm.rep.accessTokenLifespan === 'number' ? realm.rep.accessTokenLifespan : 300;
  const { aud, sub, auth_time: authTime, iss, ...rest } = claims;
  const head: Claims = { exp: iat + lifespan, iat };
  if (authTime !== undefined) head.auth_time = authTime;
  head.jti = randomUUID();
  head.iss = iss ?? issuer;
  if (aud !== undefined) head.aud = aud;
  if (sub !== undefined) head.sub = sub;
  return { ...head, ...rest };
}

type MapperFields = { id?: string; name: string; protocol: string; protocolMapper: string };
const mapperRows = (
  mappers: readonly MapperFields[],
  protocol: string,
  container: Omit<MapperEvaluation, 'mapperId' | 'mapperName' | 'protocolMapper'>,
): MapperEvaluation[] =>
  mappers
    .filter((m) => m.protocol === protocol)
    .map((m) => ({
      mapperId: m.id,
      mapperName: m.name,
      ...container,
      protocolMapper: m.protocolMapper,
    }));

/**
 * The protocol mappers tokens of `client` get for `scopeParam` (see the module comment), with the
 * scope and mapper ids the admin API gives them (realm-client-scopes.ts).
 */
export function evaluatedMappers(
  doc: RealmDocument,
  index: RealmIndex,
  client: ClientRepresentation,
  scopeParam: string | undefined,
): MapperEvaluation[] {
  const protocol = client.protocol ?? 'openid-connect';
  const scopes = requestedClientScopes(
    index.scopes,
    client,
    knownScopeParam(index, client, scopeParam),
  );
  const { defaults } = clientScopeLists(index.scopes, client);
  const stored = new Map(realmScopes(doc).clientScopes.map((s) => [s.name, s]));
  const scopeRows = (list: readonly ClientScopeRep[]) =>
    list.flatMap((s) => {
      const admin = stored.get(s.name);
      return mapperRows(admin?.protocolMappers ?? s.protocolMappers, protocol, {
        containerId: admin?.id ?? s.id,
        containerName: s.name,
        containerType: 'client-scope',
      });
    });
  const own = client.id
    ? readMappers((client as Record<string, unknown>).protocolMappers, client.id)
    : (index.clientMappers.get(client.clientId) ?? []);
  return [
    ...scopeRows(scopes.filter((s) => defaults.includes(s.name))),
    ...mapperRows(own, protocol, {
      containerId: client.id,
      containerName: '',
      containerType: 'client',
    }),
    ...scopeRows(scopes.filter((s) => !defaults.includes(s.name))),
  ];
}

/**
 * The roles of a container (the realm, or the client `roleClientId`) that tokens of `client` may
 * carry for `scopeParam` (`granted`), or the others (`not-granted`), in the container's order.
 */
export function scopeEvaluatedRoles(
  index: RealmIndex,
  client: ClientRepresentation,
  scopeParam: string | undefined,
  roles: readonly RoleRepresentation[],
  roleClientId: string | undefined,
  granted: boolean,
): RoleRepresentation[] {
  const scope = roleScope(
    index,
    client,
    requestedClientScopes(index.scopes, client, knownScopeParam(index, client, scopeParam)),
  );
  const key = (role: RoleRepresentation) =>
    roleClientId === undefined ? realmRoleKey(role.name) : clientRoleKey(roleClientId, role.name);
  return roles.filter((role) => (scope === 'full' || scope.has(key(role))) === granted);
}

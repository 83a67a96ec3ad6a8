/**
 * Keycloak-shaped tokens on top of oidc-provider's stored (opaque) tokens.
 *
 * oidc-provider keeps access tokens, client-credentials tokens and refresh tokens as stored
 * records with random ids, which is what makes them revocable, introspectable and usable at
 * userinfo. Keycloak clients, though, expect JWTs: keycloak-js decodes the access AND the refresh
 * token. So the value handed to the client is a JWT wrapping the record id:
 * - access tokens: signed with the client's access-token alg (the realm's defaultSignatureAlgorithm unless the client names one), Keycloak's
 *   claims, `jti` = `{session type}{token type}{grant}:{record id}` (Keycloak 26.2+ format);
 * - refresh tokens: HS512 with the realm's HMAC key (Keycloak signs refresh tokens so too),
 *   `typ` "Refresh" or "Offline", `jti` = record id.
 * Looking a token up verifies the JWT against the realm's keys, then finds the record by id;
 * revocation of the record revokes the JWT.
 *
 * This is done by wrapping two methods of oidc-provider's token model classes
 * (`getValueAndPayload`, static `find`) through upstream/models.ts, whose contract test
 * (test/unit/oidc-upstream-contract.test.ts) fails when an upgrade moves them.
 */
import type { Provider } from 'oidc-provider';
import { signJws, verifyOwnJws } from '../signer/jws.ts';
import { SignerUnavailableError } from '../signer/signer.ts';
import type { RealmClaims } from './claims.ts';
import { applyMappedClaims, installMappedUserinfo, type IdTokenLike } from './mapped-claims.ts';
import { counterFor } from '../metrics.ts';
import { issueWithMappedAudience } from './id-token-audience.ts';
import { accessTokenAlg, type RealmContext } from './realm-context.ts';
import {
  replaceDestroy,
  replaceFind,
  tokenModel,
  wrapGetValueAndPayload,
  wrapIdTokenIssue,
  type TokenModel,
} from './upstream/models.ts';
import { currentContext } from './upstream/context.ts';

const GRANT_SHORTCUT: Record<string, string> = {
  authorization_code: 'ac',
  client_credentials: 'cc',
  refresh_token: 'rt',
  password: 'ro',
  'urn:ietf:params:oauth:grant-type:device_code': 'dg',
};

type TokenPayload = Record<string, unknown> & {
  exp: number;
  iat: number;
  accountId?: string;
  clientId: string;
  scope?: string;
  extra?: Record<string, unknown>;
  gty?: string;
  sid?: string;
};
type IdTokenInstance = IdTokenLike & {
  client: { clientId: string; idTokenSignedResponseAlg: string };
  set(key: string, value: unknown): void;
  issue(options: { use?: string }): Promise<unknown>;
};

/** The JWT a token model instance was issued as, for the id token's `at_hash`. */
const ISSUED_VALUE = Symbol('qsign.issuedValue');

function jtiPrefix(kind: string, gty: string | undefined, scope: string | undefined): string {
  const grant =
    kind === 'ClientCredentials'
      ? 'cc'
      : (GRANT_SHORTCUT[(gty ?? '').split(' ').pop() ?? ''] ?? 'ac');
  const session =
    kind === 'ClientCredentials'
      ? 'tr'
      : scope?.split(' ').includes('offline_access')
        ? 'of'
        : 'on';
  return `${session}rt${grant}`;
}

/**
 * The access token JWT: exp, iat, the pipeline's auth_time, jti, iss, the pipeline's aud and
 * sub (Keycloak 26: `sub` only from the `basic` scope's mapper, or for a client_credentials
 * token), then the other claims of the pipeline (oidc/token-claims.ts) in their order.
 */
async function signAccessToken(
  rc: RealmContext,
  kind: string,
  id: string,
  p: TokenPayload,
): Promise<string> {
  const { aud, sub, auth_time: authTime, iss: _iss, ...claims } = p.extra ?? {};
  const body: Record<string, unknown> = { exp: p.exp, iat: p.iat };
  if (authTime !== undefined) body.auth_time = authTime;
  body.jti = `${jtiPrefix(kind, p.gty, p.scope)}:${id}`;
  body.iss = rc.issuer;
  if (aud !== undefined) body.aud = aud;
  if (sub !== undefined) body.sub = sub;
  Object.assign(body, claims);
  // RFC 9449 §6.1: a DPoP-bound token names its key's thumbprint (oidc-provider records `jkt`).
  if (typeof p.jkt === 'string') body.cnf = { jkt: p.jkt };
  const alg = accessTokenAlg(rc, p.clientId);
  const signer = rc.keys.activeFor(alg);
  if (!signer)
    throw new SignerUnavailableError('keys', `(no active ${alg} key in realm ${rc.realm.name})`);
  const jwt = await signJws(signer, body);
  counterFor(rc.metrics.tokensIssued, rc.realm.name, alg, 'access').inc();
  return jwt;
}

/**
 * The refresh token JWT. Its `scope` is the access token's (Keycloak RefreshToken keeps the
 * client session's scope string): the applied scopes with include.in.token.scope.
 */
async function signRefreshToken(
  rc: RealmContext,
  rcClaims: RealmClaims,
  id: string,
  p: TokenPayload,
): Promise<string> {
  const client = rc.realm.client(p.clientId);
  const scope = client ? rcClaims.scopeOf(client, p.scope) : (p.scope ?? '');
  const body: Record<string, unknown> = {
    exp: p.exp,
    iat: p.iat,
    jti: id,
    iss: rc.issuer,
    aud: rc.issuer,
    sub: p.accountId,
    typ: scope.split(' ').includes('offline_access') ? 'Offline' : 'Refresh',
    azp: p.clientId,
  };
  if (p.sid) body.sid = p.sid;
  if (p.nonce) body.nonce = p.nonce;
  body.scope = scope;
  // A public client's refresh token bound to its DPoP key (RFC 9449 §5), as Keycloak marks it.
  if (typeof p.jkt === 'string') body.cnf = { jkt: p.jkt };
  const signer = rc.keys.activeFor('HS512');
  if (!signer)
    throw new SignerUnavailableError('keys', `(no active HS512 key in realm ${rc.realm.name})`);
  const jwt = await signJws(signer, body);
  counterFor(rc.metrics.tokensIssued, rc.realm.name, 'HS512', 'refresh').inc();
  return jwt;
}

type VerifiedToken = { id: string; typ: 'Bearer' | 'Refresh'; payload: Record<string, unknown> };

/**
 * The record id, kind and claims of a token JWT of ours from this realm (signature, `iss`, `typ`
 * checked), or undefined. `typ` "Refresh" and "Offline" are refresh tokens, "Bearer" access tokens.
 */
async function verifiedToken(rc: RealmContext, value: unknown): Promise<VerifiedToken | undefined> {
  if (typeof value !== 'string' || value.split('.').length !== 3) return undefined;
  try {
    const { payload } = await verifyOwnJws(value, (kid) => rc.keys.byKid(kid));
    const typ =
      payload.typ === 'Bearer'
        ? 'Bearer'
        : payload.typ === 'Refresh' || payload.typ === 'Offline'
          ? 'Refresh'
          : undefined;
    if (!typ || payload.iss !== rc.issuer || typeof payload.jti !== 'string') return undefined;
    return {
      id: typ === 'Bearer' ? payload.jti.slice(payload.jti.indexOf(':') + 1) : payload.jti,
      typ,
      payload,
    };
  } catch {
    return undefined;
  }
}

/** Introspection and revocation: the token verified earlier in the request, by record id. */
const VERIFIED_TOKEN = Symbol('qsign.verifiedToken');

/**
 * A model's lookup value as a verified token of kind `typ`: the JWT itself, or the raw record id
 * `unwrapForTokenEndpoint` verified earlier in this request.
 */
async function lookupToken(
  ProviderClass: unknown,
  rc: RealmContext,
  value: unknown,
  typ: VerifiedToken['typ'],
): Promise<VerifiedToken | undefined> {
  const earlier = (
    currentContext(ProviderClass)?.state as Record<PropertyKey, unknown> | undefined
  )?.[VERIFIED_TOKEN] as VerifiedToken | undefined;
  const token = earlier && earlier.id === value ? earlier : await verifiedToken(rc, value);
  return token?.typ === typ ? token : undefined;
}

/**
 * client_credentials tokens are transient, as in Keycloak 26 (jti prefix `tr`): nothing is stored
 * when one is issued (no database write on the hot path); looking one up rebuilds the token from
 * its verified claims, and revoking one records its jti in `revoked_tokens` until it expires.
 */
function installTransientClientCredentials(
  Model: TokenModel<TokenPayload>,
  rc: RealmContext,
  ProviderClass: unknown,
): void {
  wrapGetValueAndPayload(Model, async function (this: { [ISSUED_VALUE]?: string }, original) {
    const { value: id, payload } = original;
    const value = await signAccessToken(rc, 'ClientCredentials', id, payload!);
    this[ISSUED_VALUE] = value;
    return { value };
  });
  replaceFind(Model, async (value: unknown) => {
    const token = await lookupToken(ProviderClass, rc, value, 'Bearer');
    if (!token || !String(token.payload.jti).startsWith('tr')) return undefined;
    const { iss: _iss, exp, iat, jti: _jti, scope, azp, cnf, ...extra } = token.payload;
    if (typeof exp !== 'number' || exp <= Math.floor(Date.now() / 1000)) return undefined;
    // A DPoP-bound token stays bound (RFC 9449 §6.1: its `cnf.jkt`).
    const jkt = (cnf as { jkt?: unknown } | undefined)?.jkt;
    const [revoked] = await rc.db.query(
      'SELECT 1 FROM revoked_tokens WHERE realm_id = $1 AND jti = $2',
      [rc.realmId, token.id],
    );
    if (revoked) return undefined;
    return Model.instantiate({
      kind: 'ClientCredentials',
      jti: token.id,
      iat,
      exp,
      clientId: azp,
      scope,
      extra,
      ...(typeof jkt === 'string' ? { jkt } : {}),
    });
  });
  replaceDestroy(Model, async function destroy(this: { jti?: string; exp?: number }) {
    await rc.db.query(
      'INSERT INTO revoked_tokens (realm_id, jti, expires_at) VALUES ($1, $2, to_timestamp($3)) ON CONFLICT DO NOTHING',
      [rc.realmId, this.jti, this.exp ?? Math.floor(Date.now() / 1000) + 3600],
    );
  });
}

/**
 * Verifies a token JWT once for introspection/revocation (either kind, whatever the
 * token_type_hint says); returns the record id to hand oidc-provider, whose lookups in this request
 * then take the id as verified.
 */
export async function unwrapForTokenEndpoint(
  rc: RealmContext,
  value: string,
  state: Record<PropertyKey, unknown>,
): Promise<string | undefined> {
  const token = await verifiedToken(rc, value);
  if (token) state[VERIFIED_TOKEN] = token;
  return token?.id;
}

export function installKeycloakTokens(
  provider: Provider,
  ProviderClass: unknown,
  rc: RealmContext,
  rcClaims: RealmClaims,
): void {
  const wrap = (
    Model: TokenModel<TokenPayload>,
    kind: string,
    typ: 'Bearer' | 'Refresh',
    sign: (id: string, p: TokenPayload) => Promise<string>,
  ) => {
    wrapGetValueAndPayload(Model, async function (this: { [ISSUED_VALUE]?: string }, original) {
      const { value: id, payload } = original;
      if (!payload) throw new Error(`${kind} must use the opaque (stored) format`);
      const value = await sign(id, payload);
      this[ISSUED_VALUE] = value;
      return { value, payload };
    });
    replaceFind(Model, async (value, options, find) => {
      const token = await lookupToken(ProviderClass, rc, value, typ);
      return token === undefined ? undefined : find(token.id, options);
    });
  };
  // Keycloak id tokens carry `typ: "ID"`, `azp` and `at_hash` (OIDC Core §3.1.3.6; oidc-provider
  // only adds at_hash for implicit/hybrid responses). The hash follows the id token's alg.
  wrapIdTokenIssue<IdTokenInstance>(
    provider,
    function issueKeycloakIdToken(this: IdTokenInstance, options: { use?: string }, issue) {
      if (options?.use === 'userinfo') applyMappedClaims(this, 'userinfo', rc, rcClaims);
      if (options?.use === 'idtoken') {
        const at = this.ctx?.oidc?.entities?.AccessToken as
          { [ISSUED_VALUE]?: string; extra?: { sid?: string } } | undefined;
        if (at?.[ISSUED_VALUE] && this.extra.at_hash === undefined)
          this.set('at_hash', at[ISSUED_VALUE]);
        // The access token's `sid` when the grant had none recorded (a session older than includeSid).
        if (this.extra.sid === undefined && at?.extra?.sid) this.set('sid', at.extra.sid);
        applyMappedClaims(this, 'idtoken', rc, rcClaims);
        this.set('typ', 'ID');
        this.set('azp', this.client.clientId);
        return issueWithMappedAudience(this, () => issue.call(this, options)).then((token) => {
          counterFor(
            rc.metrics.tokensIssued,
            rc.realm.name,
            this.client.idTokenSignedResponseAlg,
            'id',
          ).inc();
          return token;
        });
      }
      return issue.call(this, options);
    },
  );

  wrap(tokenModel(provider, 'AccessToken'), 'AccessToken', 'Bearer', (id, payload) =>
    signAccessToken(rc, 'AccessToken', id, payload),
  );
  installTransientClientCredentials(tokenModel(provider, 'ClientCredentials'), rc, ProviderClass);
  wrap(tokenModel(provider, 'RefreshToken'), 'RefreshToken', 'Refresh', (id, payload) =>
    signRefreshToken(rc, rcClaims, id, payload),
  );
  installMappedUserinfo(provider, rc, rcClaims);
}

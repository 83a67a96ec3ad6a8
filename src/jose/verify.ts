/**
 * `qsign-oidc/verify`: token verification for the services that receive qsign-oidc tokens.
 *
 * - Keys come from a KeySource (createRemoteJWKSet on the issuer's `/certs`, cached, refetched
 *   on an unknown kid).
 * - The caller MUST pass the algorithms it accepts; a token whose header `alg` is not in that
 *   list is rejected before any key is used (RFC 8725 §3.1), `none` always.
 * - The key must fit the alg: its kty (AKP, OQS, RSA, EC...), its `alg` member when present, and
 *   its size. Standard algorithms (RS*, PS*, ES*, EdDSA, ML-DSA-44/65/87) are verified by `jose`;
 *   DILITHIUM3 and the composites by the registry in jose/algorithms.ts.
 * - Claims (RFC 7519 §4.1): `exp` and `nbf` always (with `clockTolerance` seconds), `iss`, `aud`,
 *   the Keycloak `typ` claim ("Bearer", "ID", ...) and `azp` when asked for.
 *
 * - The signature's size fits the alg and key before it is verified (jose/signature-size.ts), and
 *   a wrong one is named: expected and actual bytes, and a foreign post-quantum family by name
 *   ("ML-DSA-65 signature under DILITHIUM3", "DILITHIUM3 (round 3) signature under ML-DSA-65").
 * - Structure, the same for every alg (jose/compact-jws.ts): canonical base64url parts, JSON
 *   objects, `crit` per RFC 7515 §4.1.11 (only `b64`, RFC 7797, is understood, and only as true).
 *
 * Every failure throws TokenVerificationError with a code and a reason fit for a log line.
 */
import {
  compactVerify,
  importJWK,
  type JWK,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { jwsAlgorithm, isSupportedAlg, JwkError } from './algorithms.ts';
import { TokenVerificationError } from './verify-errors.ts';
import { parseCompactJws, type CompactJws } from './compact-jws.ts';
import { signatureSizeProblem } from './signature-size.ts';
import { createRemoteJWKSet, type KeySource } from './remote-jwks.ts';

export { TokenVerificationError } from './verify-errors.ts';
export type { VerificationCode } from './verify-errors.ts';
export {
  createRemoteJWKSet,
  createLocalJWKSet,
  type KeySource,
  type RemoteJwksOptions,
} from './remote-jwks.ts';

export interface VerifyOptions {
  /** The JWS algorithms accepted, e.g. ["ML-DSA-65"]. Required: there is no default. */
  algorithms: string[];
  /** Expected `iss` (one of). */
  issuer?: string | string[];
  /** Expected audience: at least one of these in `aud`. */
  audience?: string | string[];
  /** Expected Keycloak `typ` claim, e.g. "Bearer" for access tokens. */
  tokenType?: string;
  /** Expected `azp` (the client the token was issued to). */
  authorizedParty?: string;
  /** Allowed clock skew for exp/nbf/iat, in seconds (default 0). */
  clockTolerance?: number;
  /** Claims that must be present, e.g. ["sub", "exp"]. `exp` is always required. */
  requiredClaims?: string[];
  /** Clock for tests. */
  currentDate?: Date;
}

export interface VerifiedToken {
  payload: JWTPayload & Record<string, unknown>;
  protectedHeader: ProtectedHeaderParameters;
  key: JWK;
}

const fail = (
  code: ConstructorParameters<typeof TokenVerificationError>[0],
  message: string,
): never => {
  throw new TokenVerificationError(code, message);
};
const asList = (value: string | string[] | undefined) =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

function checkClaims(payload: JWTPayload & Record<string, unknown>, options: VerifyOptions): void {
  const now = Math.floor((options.currentDate ?? new Date()).getTime() / 1000);
  const skew = options.clockTolerance ?? 0;
  for (const claim of new Set(['exp', ...(options.requiredClaims ?? [])])) {
    if (payload[claim] === undefined)
      fail('ERR_JWT_CLAIM_VALIDATION_FAILED', `missing required "${claim}" claim`);
  }
  if (typeof payload.exp !== 'number')
    fail('ERR_JWT_CLAIM_VALIDATION_FAILED', '"exp" claim must be a number');
  if (payload.exp! <= now - skew)
    fail('ERR_JWT_EXPIRED', `token expired at ${new Date(payload.exp! * 1000).toISOString()}`);
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now + skew))
    fail('ERR_JWT_CLAIM_VALIDATION_FAILED', '"nbf" claim check failed: token not valid yet');
  if (payload.iat !== undefined && typeof payload.iat !== 'number')
    fail('ERR_JWT_CLAIM_VALIDATION_FAILED', '"iat" claim must be a number');
  const issuers = asList(options.issuer);
  if (issuers && !issuers.includes(payload.iss as string))
    fail(
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
      `unexpected "iss" claim value ${JSON.stringify(payload.iss)}`,
    );
  const audiences = asList(options.audience);
  if (audiences) {
    const aud = asList(payload.aud as string | string[] | undefined) ?? [];
    if (!aud.some((a) => audiences.includes(a)))
      fail(
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
        `unexpected "aud" claim value ${JSON.stringify(payload.aud)}`,
      );
  }
  if (options.tokenType !== undefined && payload.typ !== options.tokenType)
    fail(
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
      `unexpected "typ" claim value ${JSON.stringify(payload.typ)} (expected "${options.tokenType}")`,
    );
  if (options.authorizedParty !== undefined && payload.azp !== options.authorizedParty)
    fail(
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
      `unexpected "azp" claim value ${JSON.stringify(payload.azp)}`,
    );
}

/**
 * The signature of `jws` under `jwk`: the key is loaded first (a malformed key is ERR_JWK_INVALID),
 * then the signature's size is checked (signature-size.ts: expected and actual bytes, and the
 * family a foreign post-quantum size belongs to), then the signature, by `jose` for the standard
 * algs and by the registry (jose/algorithms.ts) for DILITHIUM3 and the composites.
 * @throws TokenVerificationError ERR_JWK_INVALID or ERR_JWS_SIGNATURE_VERIFICATION_FAILED
 */
async function verifySignature(
  token: string,
  jws: CompactJws,
  jwk: JWK,
  alg: string,
  spec: ReturnType<typeof jwsAlgorithm>,
): Promise<void> {
  if (spec.family === 'standard') {
    let key: Awaited<ReturnType<typeof importJWK>>;
    try {
      key = await importJWK({ ...jwk, alg }, alg);
    } catch (err) {
      return fail(
        'ERR_JWK_INVALID',
        `key ${jwk.kid ?? ''} is not a valid ${alg} key: ${(err as Error).message}`,
      );
    }
    sizeCheck(alg, jwk, jws.signature);
    try {
      await compactVerify(token, key, { algorithms: [alg] });
    } catch {
      fail('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'signature verification failed');
    }
    return undefined;
  }
  let verify;
  try {
    verify = spec.verifier(jwk);
  } catch (err) {
    return fail('ERR_JWK_INVALID', err instanceof JwkError ? err.message : 'malformed key');
  }
  sizeCheck(alg, jwk, jws.signature);
  const reason = await verify(jws.signingInput, jws.signature);
  if (reason) fail('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', reason);
  return undefined;
}

function sizeCheck(alg: string, jwk: JWK, signature: Uint8Array): void {
  const problem = signatureSizeProblem(alg, jwk, signature);
  if (problem) fail('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', problem);
}

/**
 * Verifies a compact JWS token and its claims.
 * @throws TypeError when `options.algorithms` is missing or empty (a programming error).
 * @throws TokenVerificationError for anything wrong with the token, its key or its claims.
 */
export async function verifyToken(
  token: string,
  keys: KeySource,
  options: VerifyOptions,
): Promise<VerifiedToken> {
  if (!Array.isArray(options?.algorithms) || options.algorithms.length === 0)
    throw new TypeError('options.algorithms must list the accepted JWS algorithms');
  // Encoding, JSON and crit: the same rules for every alg, before any key is used (jose/compact-jws.ts).
  const jws = parseCompactJws(token);
  const header = jws.header as ProtectedHeaderParameters;
  const payload = jws.payload as JWTPayload & Record<string, unknown>;
  const alg = header.alg;
  if (typeof alg !== 'string' || alg === 'none' || !options.algorithms.includes(alg))
    fail(
      'ERR_JOSE_ALG_NOT_ALLOWED',
      `alg ${JSON.stringify(alg)} is not allowed (allowed: ${options.algorithms.join(', ')})`,
    );
  if (!isSupportedAlg(alg!) || alg!.startsWith('HS'))
    fail('ERR_JOSE_ALG_NOT_ALLOWED', `alg ${alg} is not supported for verification`);
  const spec = jwsAlgorithm(alg!);
  const jwk = await keys.getKey({ kid: header.kid, alg });
  if (jwk.kty !== spec.kty)
    fail(
      'ERR_JWK_INVALID',
      `key ${jwk.kid ?? ''} has kty ${jwk.kty}, alg ${alg} needs kty ${spec.kty}`,
    );
  if (jwk.alg !== undefined && jwk.alg !== alg)
    fail('ERR_JWK_INVALID', `key ${jwk.kid ?? ''} is for alg ${jwk.alg}, the token says ${alg}`);

  await verifySignature(token, jws, jwk, alg!, spec);
  checkClaims(payload, options);
  return { payload, protectedHeader: header, key: jwk };
}

export interface BearerOptions extends VerifyOptions {
  /** The issuer's JWKS URL, e.g. `https://sso.example.com/realms/acme/protocol/openid-connect/certs`. */
  jwksUri?: string;
  /** Or a key source of your own (takes precedence over jwksUri). */
  keys?: KeySource;
}

function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)$/i.exec(authorization ?? '');
  return match?.[1];
}

function challenge(realm: string, error?: TokenVerificationError | 'missing'): string {
  if (error === 'missing' || !error) return `Bearer realm="${realm}"`;
  return `Bearer realm="${realm}", error="invalid_token", error_description="${error.message.replace(/["\\]/g, "'")}"`;
}

function sourceOf(options: BearerOptions): KeySource {
  if (options.keys) return options.keys;
  if (!options.jwksUri) throw new TypeError('bearer middleware needs jwksUri or keys');
  return createRemoteJWKSet(options.jwksUri);
}

/**
 * Koa middleware: verifies `Authorization: Bearer <token>`, puts the claims on `ctx.state.token`,
 * answers 401 with an RFC 6750 `WWW-Authenticate` challenge otherwise.
 */
export function koaBearer(options: BearerOptions) {
  const keys = sourceOf(options);
  const realm = asList(options.issuer)?.[0] ?? 'resource';
  return async (
    ctx: {
      get(name: string): string;
      set(name: string, value: string): void;
      status: number;
      body: unknown;
      state: Record<string, unknown>;
    },
    next: () => Promise<unknown>,
  ) => {
    const token = bearerToken(ctx.get('authorization'));
    if (!token) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', challenge(realm, 'missing'));
      ctx.body = { error: 'invalid_token', error_description: 'missing bearer token' };
      return;
    }
    try {
      ctx.state.token = (await verifyToken(token, keys, options)).payload;
    } catch (err) {
      if (!(err instanceof TokenVerificationError)) throw err;
      ctx.status = 401;
      ctx.set('WWW-Authenticate', challenge(realm, err));
      ctx.body = { error: 'invalid_token', error_description: err.message };
      return;
    }
    await next();
  };
}

/** The part of an Express response the middleware uses. */
export interface ExpressLikeResponse {
  status(code: number): ExpressLikeResponse;
  set(name: string, value: string): ExpressLikeResponse;
  json(body: unknown): void;
}
type Res = ExpressLikeResponse;

/** Express/Connect middleware: like koaBearer, claims on `req.auth`. */
export function expressBearer(options: BearerOptions) {
  const keys = sourceOf(options);
  const realm = asList(options.issuer)?.[0] ?? 'resource';
  return (
    req: { headers: Record<string, string | string[] | undefined>; auth?: unknown },
    res: Res,
    next: (err?: unknown) => void,
  ) => {
    const header = req.headers.authorization;
    const token = bearerToken(Array.isArray(header) ? header[0] : header);
    if (!token) {
      res
        .status(401)
        .set('WWW-Authenticate', challenge(realm, 'missing'))
        .json({ error: 'invalid_token', error_description: 'missing bearer token' });
      return;
    }
    verifyToken(token, keys, options).then(
      ({ payload }) => {
        req.auth = payload;
        next();
      },
      (err) => {
        if (!(err instanceof TokenVerificationError)) {
          next(err);
          return;
        }
        res
          .status(401)
          .set('WWW-Authenticate', challenge(realm, err))
          .json({ error: 'invalid_token', error_description: err.message });
      },
    );
  };
}

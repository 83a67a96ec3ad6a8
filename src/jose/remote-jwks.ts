/**
 * JWK Set retrieval for resource servers, in the manner of jose's `createRemoteJWKSet` but for
 * every key type qsign-oidc publishes (AKP, OQS and composite keys included): the set is fetched
 * on first use, cached for `cacheMaxAge`, and fetched again when a token names a kid the cache
 * does not have (at most once per `cooldownDuration`, so unknown kids cannot flood the issuer).
 * Times are in milliseconds.
 */
import type { JWK } from 'jose';
import { TokenVerificationError } from './verify-errors.ts';

export interface KeySource {
  /** The key a JWS header points at. @throws TokenVerificationError ERR_JWKS_NO_MATCHING_KEY / ERR_JWKS_TIMEOUT / ERR_JWKS_INVALID */
  getKey(header: { kid?: string; alg?: string }): Promise<JWK>;
}

export interface RemoteJwksOptions {
  /** How long a fetched set is used before it is fetched again (default 600,000 ms). */
  cacheMaxAge?: number;
  /** Minimum time between two fetches triggered by an unknown kid (default 30,000 ms). */
  cooldownDuration?: number;
  /** Fetch timeout (default 5,000 ms). */
  timeoutDuration?: number;
  headers?: Record<string, string>;
}

function selectKey(keys: JWK[], header: { kid?: string; alg?: string }): JWK | undefined {
  const candidates = keys.filter(
    (k) =>
      (header.kid === undefined || k.kid === header.kid) &&
      (k.use === undefined || k.use === 'sig'),
  );
  if (header.kid === undefined && candidates.length !== 1) return undefined;
  return candidates[0];
}

function parseJwks(body: unknown): JWK[] {
  const keys = (body as { keys?: unknown })?.keys;
  if (
    !Array.isArray(keys) ||
    !keys.every((k) => k && typeof k === 'object' && typeof (k as JWK).kty === 'string')
  ) {
    throw new TokenVerificationError('ERR_JWKS_INVALID', 'the JWKS is not a JSON Web Key Set');
  }
  return keys as JWK[];
}

/** A key source over a fixed JWKS (for tests, or keys distributed out of band). */
export function createLocalJWKSet(jwks: { keys: JWK[] }): KeySource {
  const keys = parseJwks(jwks);
  return {
    async getKey(header) {
      const key = selectKey(keys, header);
      if (!key)
        throw new TokenVerificationError(
          'ERR_JWKS_NO_MATCHING_KEY',
          `no key in the JWKS matches kid ${header.kid ?? '(none)'}`,
        );
      return key;
    },
  };
}

export function createRemoteJWKSet(url: URL | string, options: RemoteJwksOptions = {}): KeySource {
  const {
    cacheMaxAge = 600_000,
    cooldownDuration = 30_000,
    timeoutDuration = 5_000,
    headers,
  } = options;
  let keys: JWK[] | undefined;
  let fetchedAt = 0;
  let pending: Promise<JWK[]> | undefined;

  const reload = () => {
    pending ??= (async () => {
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { accept: 'application/json', ...headers },
          signal: AbortSignal.timeout(timeoutDuration),
          redirect: 'manual',
        });
      } catch (err) {
        throw new TokenVerificationError(
          (err as Error).name === 'TimeoutError' ? 'ERR_JWKS_TIMEOUT' : 'ERR_JWKS_INVALID',
          `fetching the JWKS from ${String(url)} failed: ${(err as Error).message}`,
        );
      }
      if (response.status !== 200)
        throw new TokenVerificationError(
          'ERR_JWKS_INVALID',
          `the JWKS endpoint ${String(url)} answered HTTP ${response.status}`,
        );
      const parsed = parseJwks(await response.json().catch(() => undefined));
      keys = parsed;
      fetchedAt = Date.now();
      return parsed;
    })().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  return {
    async getKey(header) {
      if (!keys || Date.now() - fetchedAt > cacheMaxAge) await reload();
      let key = selectKey(keys!, header);
      if (!key && Date.now() - fetchedAt >= cooldownDuration) {
        await reload();
        key = selectKey(keys!, header);
      }
      if (!key)
        throw new TokenVerificationError(
          'ERR_JWKS_NO_MATCHING_KEY',
          `no key in the JWKS matches kid ${header.kid ?? '(none)'}`,
        );
      return key;
    },
  };
}

/**
 * Compact JWS (RFC 7515) signing through a Signer, and verification against a realm's own keys.
 * Used for the tokens the provider signs itself (Keycloak-shaped access and refresh tokens);
 * oidc-provider signs id tokens through the same Signers (oidc/signing-key.ts).
 *
 * Verification rejects: a header alg different from the key's alg (alg confusion, "none"
 * included), an unknown or disabled kid, a malformed or tampered token.
 */
import { QsignError } from '../errors.ts';
import { timingSafeEqual } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { jwsAlgorithm, type Verify } from '../jose/algorithms.ts';
import type { Signer } from './signer.ts';

export class JwsVerificationError extends QsignError {
  constructor(reason: string) {
    super('ERR_JWS_VERIFICATION', reason);
    this.name = 'JwsVerificationError';
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Encoded protected headers per signer and `typ`: the same few bytes for every token. Not state
 * (issue 16): a cache keyed by the Signer object, whose alg and kid never change, so the same
 * input gives the same entry; it dies with the signer, and two servers never share a signer.
 */
const headers = new WeakMap<Signer, Map<string, string>>();
function encodedHeader(signer: Signer, typ: string): string {
  let byTyp = headers.get(signer);
  if (!byTyp) {
    byTyp = new Map();
    headers.set(signer, byTyp);
  }
  let header = byTyp.get(typ);
  if (!header) {
    header = b64({ alg: signer.alg, typ, kid: signer.kid });
    byTyp.set(typ, header);
  }
  return header;
}

/** Signs `payload` with `signer`; header = `{alg, typ, kid}` in that order (Keycloak's). */
export async function signJws(
  signer: Signer,
  payload: Record<string, unknown>,
  typ = 'JWT',
): Promise<string> {
  const input = `${encodedHeader(signer, typ)}.${b64(payload)}`;
  const signature = await signer.sign(Buffer.from(input));
  return `${input}.${Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString('base64url')}`;
}

/** Verifiers per signer: a pure cache like `headers` (a signer's public JWK never changes). */
const verifiers = new WeakMap<Signer, Verify>();

/** Symmetric keys verify by recomputing (HMAC is deterministic); the others through the registry. */
function verifierOf(signer: Signer): Verify {
  let verify = verifiers.get(signer);
  if (!verify) {
    const jwk = signer.publicJwk();
    verify = jwk
      ? jwsAlgorithm(signer.alg).verifier(jwk)
      : async (input, signature) => {
          const expected = await signer.sign(input);
          return expected.length === signature.length &&
            timingSafeEqual(Buffer.from(expected), Buffer.from(signature))
            ? undefined
            : 'signature verification failed';
        };
    verifiers.set(signer, verify);
  }
  return verify;
}

/**
 * Verifies a compact JWS signed by one of our own keys and returns its header and payload.
 * Does not check claims (exp, iss...): callers do, for their token type.
 * @throws JwsVerificationError with the reason.
 */
export async function verifyOwnJws(
  token: string,
  keyByKid: (kid: string) => Signer | undefined,
): Promise<{ header: Record<string, unknown>; payload: Record<string, unknown> }> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwsVerificationError('not a compact JWS');
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    // jose's decoders: each part must be base64url of a JSON object (not null, not an array).
    header = decodeProtectedHeader(token) as Record<string, unknown>;
    payload = decodeJwt(token) as Record<string, unknown>;
  } catch {
    throw new JwsVerificationError('malformed JWS header or payload');
  }
  if (typeof header.kid !== 'string') throw new JwsVerificationError('missing kid');
  const signer = keyByKid(header.kid);
  if (!signer) throw new JwsVerificationError('unknown or disabled kid');
  if (header.alg !== signer.alg)
    throw new JwsVerificationError(
      `alg ${String(header.alg)} does not match the key's alg ${signer.alg}`,
    );
  // One token, one spelling: Buffer's decoder skips characters outside the alphabet and ignores
  // trailing bits, so only a signature that re-encodes to itself is taken (RFC 7515 §2, §7.1).
  const signature = Buffer.from(parts[2], 'base64url');
  if (signature.toString('base64url') !== parts[2])
    throw new JwsVerificationError('signature is not canonical base64url');
  const failure = await verifierOf(signer)(Buffer.from(`${parts[0]}.${parts[1]}`), signature);
  if (failure) throw new JwsVerificationError(failure);
  return { header, payload };
}

/**
 * The structure checks a token gets before any key is used, the same for every alg (the standard
 * ones that `jose` verifies, and DILITHIUM3 and the composites that jose/algorithms.ts verifies):
 *
 * - Compact serialization, three parts (RFC 7515 §7.1), each canonical base64url: only the
 *   characters of RFC 4648 §5, no `=` padding (RFC 7515 §2), and no unused bits set, so a token has
 *   one spelling. Node's decoder skips characters outside the alphabet (`!!`, `*`) and ignores
 *   padding and trailing bits; `jose` refuses the first but takes `==` and trailing bits.
 * - Header and payload: UTF-8 JSON objects (RFC 7515 §4, RFC 7519 §7.2 step 10).
 * - `crit` (RFC 7515 §4.1.11): a non-empty list of distinct names, each present in the header,
 *   none defined by RFC 7515 or RFC 7518, and each one this verifier understands; the only one it
 *   understands is `b64` (RFC 7797).
 * - `b64` (RFC 7797 §3, §6): only `true`, listed in `crit`. `false` (unencoded payload) is refused:
 *   a JWT's payload is always base64url-encoded (RFC 7519 §7.2), as jose's jwtVerify also requires.
 */
import { TokenVerificationError } from './verify-errors.ts';

export interface CompactJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** ASCII(BASE64URL(header) || '.' || BASE64URL(payload)), the bytes the signature covers. */
  signingInput: Buffer;
  signature: Buffer;
}

/** Header Parameter names defined by RFC 7515 §4.1 and RFC 7518 §4.x (JWE ones included): never in `crit`. */
const REGISTERED = new Set([
  'alg',
  'jku',
  'jwk',
  'kid',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
  'typ',
  'cty',
  'crit',
  'enc',
  'zip',
  'epk',
  'apu',
  'apv',
  'iv',
  'tag',
  'p2s',
  'p2c',
]);
/** Extensions this verifier implements. */
const UNDERSTOOD = new Set(['b64']);
const ALPHABET = /^[A-Za-z0-9_-]*$/;
const PART_NAMES = ['header', 'payload', 'signature'] as const;

const invalid = (message: string): never => {
  throw new TokenVerificationError('ERR_JWS_INVALID', message);
};

function decodePart(part: string, name: string): Buffer {
  if (!ALPHABET.test(part))
    invalid(`the ${name} is not base64url: only A-Z a-z 0-9 - _ and no "=" padding (RFC 7515 §2)`);
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part)
    invalid(
      `the ${name} is not canonical base64url (RFC 7515 §2): its last character has unused bits set`,
    );
  return bytes;
}

function jsonObject(bytes: Buffer, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return invalid(`the ${name} is not UTF-8 JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    invalid(`the ${name} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** RFC 7515 §4.1.11 and RFC 7797 §6. @throws TokenVerificationError ERR_JWS_INVALID */
function checkCritical(header: Record<string, unknown>): void {
  const { crit, b64 } = header;
  if (crit !== undefined) {
    if (
      !Array.isArray(crit) ||
      crit.length === 0 ||
      !crit.every((name) => typeof name === 'string')
    )
      invalid('"crit" must be a non-empty array of header parameter names (RFC 7515 §4.1.11)');
    const names = crit as string[];
    if (new Set(names).size !== names.length)
      invalid('"crit" lists a name twice (RFC 7515 §4.1.11)');
    for (const name of names) {
      if (REGISTERED.has(name))
        invalid(`"crit" lists "${name}", a parameter defined by RFC 7515/7518 (RFC 7515 §4.1.11)`);
      if (!Object.hasOwn(header, name))
        invalid(`"crit" lists "${name}", which is not in the header (RFC 7515 §4.1.11)`);
      if (!UNDERSTOOD.has(name))
        invalid(`unsupported critical header parameter "${name}" (RFC 7515 §4.1.11)`);
    }
  }
  if (b64 !== undefined) {
    if (!Array.isArray(crit) || !crit.includes('b64'))
      invalid('"b64" must be listed in "crit" (RFC 7797 §6)');
    if (b64 !== true)
      invalid(
        '"b64": a JWT payload is base64url-encoded; an unencoded payload (RFC 7797) is refused',
      );
  }
}

/**
 * Splits and checks a compact JWS; does not check the signature.
 * @throws TokenVerificationError ERR_JWS_INVALID naming the part and the rule broken.
 */
export function parseCompactJws(token: unknown): CompactJws {
  if (typeof token !== 'string') return invalid('not a compact JWS (three base64url parts)');
  const parts = token.split('.');
  if (parts.length !== 3) invalid('not a compact JWS (three base64url parts)');
  const [header, payload, signature] = parts.map((part, i) => decodePart(part, PART_NAMES[i]));
  const parsed = { header: jsonObject(header, 'header'), payload: jsonObject(payload, 'payload') };
  checkCritical(parsed.header);
  return { ...parsed, signingInput: Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'), signature };
}

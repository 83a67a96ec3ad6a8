/**
 * An OTP generator independent of the code under test (which uses otplib): RFC 4226 HOTP with
 * node:crypto's HMAC, RFC 6238 TOTP over it. Checked against the RFCs' own test vectors in
 * test/unit/otp.test.ts. Secrets as Keycloak keeps them: the HMAC key is the value's UTF-8 bytes.
 */
import { createHmac } from 'node:crypto';

const HASH: Record<string, string> = {
  HmacSHA1: 'sha1',
  HmacSHA256: 'sha256',
  HmacSHA512: 'sha512',
};

/** RFC 4226 §5.3: HMAC of the 8-byte big-endian counter, dynamic truncation, mod 10^digits. */
export function hotp(key: Buffer, counter: number, digits = 6, algorithm = 'HmacSHA1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(HASH[algorithm], key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 §4: HOTP of floor(t / period). `t` in epoch seconds. */
export function totp(
  key: Buffer,
  t = Math.floor(Date.now() / 1000),
  digits = 6,
  period = 30,
  algorithm = 'HmacSHA1',
): string {
  return hotp(key, Math.floor(t / period), digits, algorithm);
}

/** A Keycloak secret value as an HMAC key. */
export const keyOf = (secret: string) => Buffer.from(secret, 'utf8');

/** RFC 4648 base32 decoding (the key as the enrolment page shows it, spaces allowed). */
export function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

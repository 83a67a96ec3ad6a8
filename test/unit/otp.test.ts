/**
 * OTP codes (src/model/otp.ts, otplib) against RFC 6238 appendix B and RFC 4226 appendix D, and an
 * independent implementation (test/helpers/otp.ts, node:crypto) checked against the same vectors;
 * the realm's OTP policy with Keycloak's defaults; the required-action lists (Keycloak's
 * DefaultRequiredActions).
 */
import { describe, expect, it } from 'vitest';
import {
  checkOtp,
  credentialDataFor,
  encodedSecret,
  otpauthUri,
  otpPolicy,
  parseCredentialData,
} from '../../src/model/otp.ts';
import {
  pendingActions,
  realmRequiredActions,
  withDefaultActions,
} from '../../src/realm/required-actions.ts';
import type { RealmDocument } from '../../src/model/representation.ts';
import { base32Decode, hotp, totp } from '../helpers/otp.ts';

// RFC 6238 appendix B: seeds of 20, 32 and 64 bytes, 8 digits, 30 s.
const SEEDS = {
  HmacSHA1: '12345678901234567890',
  HmacSHA256: '12345678901234567890123456789012',
  HmacSHA512: '1234567890123456789012345678901234567890123456789012345678901234',
};
const RFC6238: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];
// RFC 4226 appendix D: counters 0..9, 6 digits.
const RFC4226 = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];
const doc = (extra: Record<string, unknown> = {}) => ({ realm: 'r', ...extra }) as RealmDocument;

describe('the independent test implementation', () => {
  it('matches RFC 6238 appendix B and RFC 4226 appendix D', () => {
    for (const [t, sha1, sha256, sha512] of RFC6238) {
      expect(totp(Buffer.from(SEEDS.HmacSHA1), t, 8, 30, 'HmacSHA1')).toBe(sha1);
      expect(totp(Buffer.from(SEEDS.HmacSHA256), t, 8, 30, 'HmacSHA256')).toBe(sha256);
      expect(totp(Buffer.from(SEEDS.HmacSHA512), t, 8, 30, 'HmacSHA512')).toBe(sha512);
    }
    RFC4226.forEach((code, i) => expect(hotp(Buffer.from(SEEDS.HmacSHA1), i)).toBe(code));
  });
});

describe('checkOtp (otplib)', () => {
  it('accepts the RFC 6238 vectors for each algorithm, with no window', async () => {
    for (const [t, ...codes] of RFC6238) {
      for (const [i, algorithm] of (['HmacSHA1', 'HmacSHA256', 'HmacSHA512'] as const).entries()) {
        const data = { subType: 'totp' as const, digits: 8, period: 30, counter: 0, algorithm };
        expect(await checkOtp(SEEDS[algorithm], data, codes[i], { window: 0, now: t })).toEqual({
          type: 'totp',
          timeStep: Math.floor(t / 30),
        });
      }
    }
  });

  it('TOTP: a code of the neighbouring step within the window, not beyond; a used step is refused', async () => {
    const data = {
      subType: 'totp' as const,
      digits: 6,
      period: 30,
      counter: 0,
      algorithm: 'HmacSHA1',
    };
    const secret = '4Jn5HLu96t4oxRTVNO8u';
    const now = 1_700_000_000;
    const previous = totp(Buffer.from(secret), now - 30);
    expect(await checkOtp(secret, data, previous, { window: 1, now })).toBeDefined();
    expect(await checkOtp(secret, data, previous, { window: 0, now })).toBeUndefined();
    expect(
      await checkOtp(secret, data, totp(Buffer.from(secret), now - 90), { window: 1, now }),
    ).toBeUndefined();
    const step = Math.floor(now / 30);
    const current = totp(Buffer.from(secret), now);
    expect(
      await checkOtp(secret, data, current, { window: 1, now, afterTimeStep: step }),
    ).toBeUndefined();
    expect(
      await checkOtp(secret, data, current, { window: 1, now, afterTimeStep: step - 1 }),
    ).toBeDefined();
  });

  it('HOTP: the counter and the look-ahead window (RFC 4226 vectors), the next counter after the match', async () => {
    const data = {
      subType: 'hotp' as const,
      digits: 6,
      period: 30,
      counter: 3,
      algorithm: 'HmacSHA1',
    };
    expect(await checkOtp(SEEDS.HmacSHA1, data, RFC4226[3], { window: 0 })).toEqual({
      type: 'hotp',
      nextCounter: 4,
      delta: 0,
    });
    expect(await checkOtp(SEEDS.HmacSHA1, data, RFC4226[5], { window: 2 })).toEqual({
      type: 'hotp',
      nextCounter: 6,
      delta: 2,
    });
    expect(await checkOtp(SEEDS.HmacSHA1, data, RFC4226[6], { window: 2 })).toBeUndefined();
    expect(await checkOtp(SEEDS.HmacSHA1, data, RFC4226[2], { window: 2 })).toBeUndefined();
  });

  it('malformed codes are refused, never thrown', async () => {
    const data = credentialDataFor(otpPolicy(doc()));
    for (const code of ['', '12345', '1234567', 'abcdef', '12 456', '１２３４５６'])
      expect(await checkOtp('secret-secret-secret', data, code, { window: 1 })).toBeUndefined();
    expect(await checkOtp('x'.repeat(5000), data, '123456', { window: 1 })).toBeUndefined();
  });
});

describe('OTP policy and credential data', () => {
  it("Keycloak's defaults, and the realm's settings", () => {
    expect(otpPolicy(doc())).toEqual({
      type: 'totp',
      algorithm: 'HmacSHA1',
      digits: 6,
      period: 30,
      lookAheadWindow: 1,
      initialCounter: 0,
      codeReusable: false,
    });
    const p = otpPolicy(
      doc({
        otpPolicyType: 'hotp',
        otpPolicyAlgorithm: 'HmacSHA256',
        otpPolicyDigits: 8,
        otpPolicyPeriod: 60,
        otpPolicyLookAheadWindow: 3,
        otpPolicyInitialCounter: 7,
        otpPolicyCodeReusable: true,
      }),
    );
    expect(p).toEqual({
      type: 'hotp',
      algorithm: 'HmacSHA256',
      digits: 8,
      period: 60,
      lookAheadWindow: 3,
      initialCounter: 7,
      codeReusable: true,
    });
    expect(credentialDataFor(p)).toEqual({
      subType: 'hotp',
      digits: 8,
      counter: 7,
      period: 60,
      algorithm: 'HmacSHA256',
    });
  });

  it("Keycloak's OTPCredentialData parses; what cannot be verified does not", () => {
    expect(
      parseCredentialData(
        JSON.parse('{"subType":"totp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}'),
      ),
    ).toEqual({ subType: 'totp', digits: 6, counter: 0, period: 30, algorithm: 'HmacSHA1' });
    expect(parseCredentialData({ subType: 'totp', algorithm: 'HmacMD5' })).toBeUndefined();
    expect(parseCredentialData({ subType: 'push' })).toBeUndefined();
    expect(parseCredentialData({ subType: 'totp', digits: 4 })).toBeUndefined();
    expect(parseCredentialData(null)).toBeUndefined();
  });

  it('the key shown to apps is base32 of the secret bytes; the otpauth URI carries it', () => {
    const secret = 'lyQpnuN1bvtQItSlMTdk';
    expect(base32Decode(encodedSecret(secret)).toString('utf8')).toBe(secret);
    const uri = new URL(
      otpauthUri(secret, credentialDataFor(otpPolicy(doc())), 'My Realm', 'alice'),
    );
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(base32Decode(uri.searchParams.get('secret')!).toString('utf8')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('My Realm');
  });
});

describe('required actions', () => {
  it("a realm without the list has Keycloak's defaults (TERMS_AND_CONDITIONS disabled)", () => {
    const list = realmRequiredActions(doc());
    expect(list.map((a) => a.alias).slice(0, 5)).toEqual([
      'CONFIGURE_TOTP',
      'TERMS_AND_CONDITIONS',
      'UPDATE_PASSWORD',
      'UPDATE_PROFILE',
      'VERIFY_EMAIL',
    ]);
    expect(list.find((a) => a.alias === 'TERMS_AND_CONDITIONS')?.enabled).toBe(false);
    expect(list.find((a) => a.alias === 'UPDATE_PASSWORD')).toEqual({
      alias: 'UPDATE_PASSWORD',
      name: 'Update Password',
      providerId: 'UPDATE_PASSWORD',
      enabled: true,
      defaultAction: false,
      priority: 30,
      config: {},
    });
  });

  it('pending: enabled ones the user has, in priority order; defaults for new users', () => {
    const realm = doc({
      requiredActions: [
        { alias: 'UPDATE_PASSWORD', enabled: true, priority: 30 },
        { alias: 'CONFIGURE_TOTP', enabled: true, priority: 10, defaultAction: true },
        { alias: 'TERMS_AND_CONDITIONS', enabled: false, priority: 20, defaultAction: true },
      ],
    });
    expect(
      pendingActions(realm, ['UPDATE_PASSWORD', 'TERMS_AND_CONDITIONS', 'CONFIGURE_TOTP', 'X']),
    ).toEqual(['CONFIGURE_TOTP', 'UPDATE_PASSWORD']);
    expect(withDefaultActions(realm, ['UPDATE_PASSWORD'])).toEqual([
      'UPDATE_PASSWORD',
      'CONFIGURE_TOTP',
    ]);
  });
});

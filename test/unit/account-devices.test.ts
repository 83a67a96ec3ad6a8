/**
 * The device labels of the account API's device activity (account/devices.ts), in the form of
 * Keycloak's DeviceRepresentationProviderImpl: browser "Family/major.minor.patch", OS family and
 * version, `mobile` from the User-Agent, and DeviceRepresentation.unknown() without one.
 */
import { describe, expect, it } from 'vitest';
import { describeDevice } from '../../src/account/devices.ts';

describe('account device labels', () => {
  it('reads the common browsers and systems', () => {
    const cases: [string, Partial<ReturnType<typeof describeDevice>>][] = [
      [
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
        { browser: 'Edge/131.0.2903', os: 'Windows', osVersion: '10.0', mobile: false },
      ],
      [
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
        { browser: 'Safari/17.2', os: 'Mac OS X', osVersion: '10.15.7' },
      ],
      [
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
        { browser: 'Safari/17.1', os: 'iOS', osVersion: '17.1', device: 'iPhone', mobile: true },
      ],
      [
        'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
        { browser: 'Chrome/131.0.6778', os: 'Android', osVersion: '14', mobile: true },
      ],
      [
        'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
        { browser: 'Firefox/133.0', os: 'Linux', osVersion: 'Unknown' },
      ],
      ['curl/8.5.0', { browser: 'Other/Unknown', os: 'Other', osVersion: 'Unknown' }],
    ];
    for (const [ua, expected] of cases)
      expect(describeDevice({ userAgent: ua, ipAddress: '10.0.0.1' })).toMatchObject({
        ipAddress: '10.0.0.1',
        ...expected,
      });
  });

  it('is the unknown device without a User-Agent', () => {
    expect(describeDevice(undefined)).toEqual({
      ipAddress: undefined,
      os: 'Other',
      osVersion: 'Unknown',
      browser: 'Other/Unknown',
      device: 'Other',
      mobile: false,
    });
  });
});

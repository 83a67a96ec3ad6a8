/** The device grant settings' precedence, as Keycloak's: client attribute, realm, default. */
import { describe, expect, it } from 'vitest';
import { deviceGrantSeconds, grantTypesOf, DEVICE_CODE_GRANT } from '../../src/oidc/clients.ts';
import { clientSchema } from '../../src/model/representation.ts';

const client = (attributes: Record<string, string>) =>
  clientSchema.parse({
    clientId: 'tv',
    publicClient: true,
    standardFlowEnabled: false,
    attributes,
  });

describe('device authorization grant settings', () => {
  it('takes the client attribute, else the realm value, else Keycloak default', () => {
    expect(
      deviceGrantSeconds(
        client({ 'oauth2.device.polling.interval': '9' }),
        'oauth2.device.polling.interval',
        7,
      ),
    ).toBe(9);
    expect(deviceGrantSeconds(client({}), 'oauth2.device.polling.interval', 7)).toBe(7);
    expect(deviceGrantSeconds(client({}), 'oauth2.device.polling.interval', undefined)).toBe(5);
    expect(deviceGrantSeconds(undefined, 'oauth2.device.code.lifespan', undefined)).toBe(600);
    for (const bad of ['', '0', '-3', '1.5', 'soon'])
      expect(
        deviceGrantSeconds(
          client({ 'oauth2.device.code.lifespan': bad }),
          'oauth2.device.code.lifespan',
          120,
        ),
      ).toBe(120);
  });

  it('offers the grant (with refresh tokens) only to clients that switch it on', () => {
    expect(
      grantTypesOf(client({ 'oauth2.device.authorization.grant.enabled': 'true' }), 0),
    ).toEqual([DEVICE_CODE_GRANT, 'refresh_token']);
    expect(
      grantTypesOf(client({ 'oauth2.device.authorization.grant.enabled': 'false' }), 0),
    ).toEqual([]);
  });
});

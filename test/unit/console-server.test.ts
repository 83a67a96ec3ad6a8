/**
 * The server side of the Admin Console, without a browser: web origin "+" over relative redirect
 * URIs (Keycloak WebOriginsUtils.resolveValidWebOrigins with RedirectUtils.resolveValidRedirects:
 * `/admin/master/console/*` counts with the server's origin, which is how the console's own token
 * request passes CORS), the key provider types serverinfo lists for Add provider, and the
 * environment document's escaping.
 */
import { describe, expect, it } from 'vitest';
import { allowedOrigins, originAllowed } from '../../src/oidc/claims.ts';
import { clientSchema } from '../../src/model/representation.ts';
import { serverInfo } from '../../src/console/serverinfo.ts';
import { adminEnvironment, CONSOLE_CSP } from '../../src/console/page.ts';
import { displayName } from '../../src/console/whoami.ts';

describe('admin console server side', () => {
  it('web origin "+" with a relative redirect URI allows the server origin only', () => {
    const client = clientSchema.parse({
      clientId: 'security-admin-console',
      publicClient: true,
      redirectUris: ['/admin/master/console/*'],
      webOrigins: ['+'],
    });
    expect(allowedOrigins(client, 'https://sso.example.com')).toEqual(['https://sso.example.com']);
    expect(originAllowed(client, 'https://sso.example.com', 'https://sso.example.com')).toBe(true);
    expect(originAllowed(client, 'https://evil.example', 'https://sso.example.com')).toBe(false);
    // rootUrl `${authAdminUrl}` (Keycloak's own security-admin-console) is the server too.
    const withRoot = { ...client, rootUrl: '${authAdminUrl}' };
    expect(allowedOrigins(withRoot, 'https://sso.example.com')).toEqual([
      'https://sso.example.com',
    ]);
  });

  it('serverinfo offers every ML-DSA provider and algorithm to Add provider and Tokens', () => {
    const info = serverInfo();
    const types = info.componentTypes['org.keycloak.keys.KeyProvider'];
    const ids = types.map((t) => t.id);
    for (const id of [
      'rsa-generated',
      'ml-dsa-generated',
      'composite-generated',
      'vault-transit',
      'pkcs11',
      'composite',
    ])
      expect(ids).toContain(id);
    const mlDsa = types.find((t) => t.id === 'ml-dsa-generated')!;
    const algorithm = mlDsa.properties.find((p) => p.name === 'algorithm')!;
    expect(algorithm).toMatchObject({ type: 'List', defaultValue: 'ML-DSA-65' });
    expect(algorithm.options).toEqual(['ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87', 'DILITHIUM3']);
    // Keycloak's common key provider properties (keys/Attributes.java).
    expect(mlDsa.properties.map((p) => p.name).slice(0, 3)).toEqual([
      'priority',
      'enabled',
      'active',
    ]);
    expect(Object.keys(info.providers.signature.providers)).toContain('ML-DSA-65');
    expect(info.cryptoInfo.clientSignatureAsymmetricAlgorithms).toContain('ML-DSA-65-ES256');
    expect(info.cryptoInfo.clientSignatureSymmetricAlgorithms).toEqual(['HS256', 'HS384', 'HS512']);
  });

  it("the page's CSP allows no eval and no other origin; the environment names the console client", () => {
    expect(CONSOLE_CSP).not.toContain('unsafe-eval');
    expect(CONSOLE_CSP).toContain("script-src 'self';");
    expect(adminEnvironment('https://sso.example.com', 'acme', 'v1')).toMatchObject({
      clientId: 'security-admin-console',
      realm: 'acme',
      consoleBaseUrl: '/admin/acme/console/',
      masterRealm: 'master',
    });
  });

  it("whoami's display name is Keycloak's: first and last name, else the username", () => {
    expect(displayName({ username: 'jdoe', firstName: 'Jane', lastName: 'Doe' })).toBe('Jane Doe');
    expect(displayName({ username: 'jdoe', firstName: ' ', lastName: '' })).toBe('jdoe');
    expect(displayName({ username: 'jdoe', lastName: 'Doe' })).toBe('Doe');
  });
});

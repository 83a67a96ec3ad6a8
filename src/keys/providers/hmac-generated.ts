/**
 * `hmac-generated` (Keycloak's GeneratedHmacKeyProviderFactory): HS256/384/512 (default HS256);
 * HS512 signs refresh tokens. A component from a Keycloak export carries its `secret` (base64url)
 * and `kid` (Keycloak's AbstractGeneratedSecretKeyProvider keeps both in the config): they are
 * kept, so refresh tokens the old Keycloak issued keep verifying. The secret is sealed, never
 * stored in the component, never published.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ComponentError, first } from '../component-model.ts';
import { generateKey } from '../generate.ts';
import { keycloakSecret } from '../keycloak-material.ts';
import { localProvider } from './local.ts';

export const hmacGenerated = localProvider({
  id: 'hmac-generated',
  fallbackAlg: 'HS256',
  algorithms: /^HS(256|384|512)$/,
  schema: z.looseObject({}),
  secretFields: ['secret'],
  createKey: async (settings) => {
    const secret = first(settings.config, 'secret');
    if (!secret) return generateKey(settings.alg);
    const kid = first(settings.config, 'kid');
    if (kid !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(kid))
      throw new ComponentError(
        'config.kid must be 1 to 128 letters, digits, ".", "_" or "-"',
        'kid',
      );
    return {
      kid: kid || randomUUID(),
      alg: settings.alg,
      providerId: 'hmac-generated',
      privateKey: keycloakSecret(secret),
    };
  },
});

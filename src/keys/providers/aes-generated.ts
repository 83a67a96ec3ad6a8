/**
 * `aes-generated` (Keycloak's GeneratedAesKeyProviderFactory, an AbstractGeneratedSecretKeyProvider):
 * an AES secret key (algorithm "AES", KeyUse.ENC, key type OCT), `secretSize` 16, 24 or 32 bytes
 * (default 16). A component from a Keycloak export carries its `secret` (base64url) and `kid`:
 * both are kept. The secret is sealed, never stored in the component, never published, never signs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ComponentError, first } from '../component-model.ts';
import { keycloakSecret } from '../keycloak-material.ts';
import { single } from './settings.ts';
import { localProvider } from './local.ts';

/** GeneratedAesKeyProviderFactory's AES_KEY_SIZE_PROPERTY choices (bytes). */
const AES_SIZES = ['16', '24', '32'];

export const aesGenerated = localProvider({
  id: 'aes-generated',
  use: 'enc',
  fallbackAlg: 'AES',
  algorithms: /^AES$/,
  schema: z.looseObject({
    secretSize: single(
      (v) => AES_SIZES.includes(v),
      (v) => `config.secretSize must be one of ${AES_SIZES.join(', ')}, got "${v}"`,
    ),
  }),
  secretFields: ['secret'],
  createKey: async (settings) => {
    const text = first(settings.config, 'secret');
    const kid = first(settings.config, 'kid');
    if (kid !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(kid))
      throw new ComponentError(
        'config.kid must be 1 to 128 letters, digits, ".", "_" or "-"',
        'kid',
      );
    const secret = text
      ? keycloakSecret(text)
      : randomBytes(Number(first(settings.config, 'secretSize') ?? 16));
    if (![16, 24, 32].includes(secret.length))
      throw new ComponentError('config.secret must be an AES key of 16, 24 or 32 bytes', 'secret');
    return {
      kid: kid || randomUUID(),
      alg: 'AES',
      providerId: 'aes-generated',
      privateKey: secret,
      use: 'enc',
      publicJwk: null,
    };
  },
});

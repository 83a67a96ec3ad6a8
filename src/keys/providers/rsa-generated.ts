/**
 * `rsa-generated` (Keycloak's GeneratedRsaKeyProviderFactory): an RSA key made here, RS256/384/512
 * or PS256/384/512 (default RS256), `keySize` one of Keycloak's 2048, 3072, 4096 (default 2048).
 * A component from a Keycloak export carries its key (`privateKey`, `certificate`): that key is
 * kept, under Keycloak's kid (rsa-material.ts).
 */
import { z } from 'zod';
import { single } from './settings.ts';
import { localProvider } from './local.ts';
import { rsaKey } from './rsa-material.ts';

/** Keycloak's rsa-generated `keySize` choices (bits). */
export const RSA_KEY_SIZES = ['2048', '3072', '4096'];
export const RSA_ALGS = /^(RS|PS)(256|384|512)$/;
/** The `keySize` config of Keycloak's RSA providers (signing and encryption), one of RSA_KEY_SIZES. */
export const rsaKeySizeConfig = () =>
  z.looseObject({
    keySize: single(
      (v) => RSA_KEY_SIZES.includes(v),
      (v) => `config.keySize must be one of ${RSA_KEY_SIZES.join(', ')}, got "${v}"`,
    ),
  });

export const rsaGenerated = localProvider({
  id: 'rsa-generated',
  fallbackAlg: 'RS256',
  algorithms: RSA_ALGS,
  schema: rsaKeySizeConfig(),
  secretFields: ['privateKey'],
  createKey: (settings) => rsaKey('rsa-generated', settings),
});

/**
 * `rsa` (Keycloak's ImportedRsaKeyProviderFactory): an RSA private key given as `privateKey` (PEM,
 * or base64 PKCS#1 / PKCS#8 DER as Keycloak exports it), optionally a `certificate` (base64 DER or
 * PEM, published as `x5c`). The kid is Keycloak's (KeyUtils.createKeyId). The private key is
 * sealed like a generated one and never stored in the component nor returned by the admin API.
 */
import { z } from 'zod';
import { required } from './settings.ts';
import { localProvider } from './local.ts';
import { RSA_ALGS } from './rsa-generated.ts';
import { rsaKey } from './rsa-material.ts';

export const rsa = localProvider({
  id: 'rsa',
  fallbackAlg: 'RS256',
  algorithms: RSA_ALGS,
  schema: z.looseObject({
    privateKey: required('config.privateKey (PEM) is required for provider rsa'),
  }),
  secretFields: ['privateKey'],
  createKey: (settings) => rsaKey('rsa', settings),
});

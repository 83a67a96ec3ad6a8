/**
 * `rsa-enc` (Keycloak's ImportedRsaEncKeyProviderFactory): an RSA private key for key encryption
 * given as `privateKey` (PEM, or base64 PKCS#1 / PKCS#8 DER), optionally a `certificate`; RSA-OAEP
 * (default), RSA-OAEP-256 or RSA1_5. Kid, publication and sealing as rsa-enc-generated.
 */
import { z } from 'zod';
import { required } from './settings.ts';
import { localProvider } from './local.ts';
import { RSA_ENC_ALGS, rsaEncKey } from './rsa-enc-material.ts';

export const rsaEnc = localProvider({
  id: 'rsa-enc',
  use: 'enc',
  fallbackAlg: 'RSA-OAEP',
  algorithms: RSA_ENC_ALGS,
  schema: z.looseObject({
    privateKey: required('config.privateKey (PEM) is required for provider rsa-enc'),
  }),
  secretFields: ['privateKey'],
  createKey: (settings) => rsaEncKey('rsa-enc', settings),
});

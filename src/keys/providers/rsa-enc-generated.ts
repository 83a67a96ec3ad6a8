/**
 * `rsa-enc-generated` (Keycloak's GeneratedRsaEncKeyProviderFactory): an RSA key for key
 * encryption (KeyUse.ENC), RSA-OAEP (default), RSA-OAEP-256 or RSA1_5, `keySize` one of 2048,
 * 3072, 4096 (default 2048). A component from a Keycloak export carries its key (`privateKey`,
 * `certificate`): that key is kept under Keycloak's kid. Published in /certs with `use` "enc";
 * never signs (not a JWS alg, not in the signing key list).
 */
import { localProvider } from './local.ts';
import { rsaKeySizeConfig } from './rsa-generated.ts';
import { RSA_ENC_ALGS, rsaEncKey } from './rsa-enc-material.ts';

export const rsaEncGenerated = localProvider({
  id: 'rsa-enc-generated',
  use: 'enc',
  fallbackAlg: 'RSA-OAEP',
  algorithms: RSA_ENC_ALGS,
  schema: rsaKeySizeConfig(),
  secretFields: ['privateKey'],
  createKey: (settings) => rsaEncKey('rsa-enc-generated', settings),
});

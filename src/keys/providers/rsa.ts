/**
 * `rsa` (Keycloak's ImportedRsaKeyProviderFactory): an RSA private key given in PEM (`privateKey`,
 * PKCS#8 or PKCS#1, with or without the PEM armour), optionally a `certificate`. The private key is
 * sealed like a generated one and never stored in the component nor returned by the admin API.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ComponentError, first } from '../component-model.ts';
import { required } from './settings.ts';
import { localProvider } from './local.ts';
import { RSA_ALGS } from './rsa-generated.ts';

/** The PKCS#8 DER of an RSA private key in PEM. @throws ComponentError (field privateKey) otherwise. */
function importedRsaKey(pem: string): Buffer {
  try {
    const key = createPrivateKey(pem.includes('-----BEGIN') ? pem : `-----BEGIN PRIVATE KEY-----\n${pem}\n-----END PRIVATE KEY-----`);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    return key.export({ format: 'der', type: 'pkcs8' });
  } catch {
    throw new ComponentError('config.privateKey is not an RSA private key in PEM form', 'privateKey');
  }
}

export const rsa = localProvider({
  id: 'rsa',
  fallbackAlg: 'RS256',
  algorithms: RSA_ALGS,
  schema: z.looseObject({ privateKey: required('config.privateKey (PEM) is required for provider rsa') }),
  secretFields: ['privateKey'],
  createKey: async (settings) => ({ kid: randomUUID(), alg: settings.alg, providerId: 'rsa', privateKey: importedRsaKey(first(settings.config, 'privateKey')!) }),
});

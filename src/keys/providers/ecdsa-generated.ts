/**
 * `ecdsa-generated` (Keycloak's GeneratedEcdsaKeyProviderFactory): ES256/384/512, by `algorithm` or
 * by Keycloak's `ecdsaEllipticCurveKey` (P-256, P-384, P-521); default ES256.
 */
import { z } from 'zod';
import { first } from '../component-model.ts';
import { localProvider } from './local.ts';

const CURVE_ALG: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

export const ecdsaGenerated = localProvider({
  id: 'ecdsa-generated',
  fallbackAlg: 'ES256',
  algorithms: /^ES(256|384|512)$/,
  schema: z.looseObject({}),
  impliedAlg: (config) => CURVE_ALG[first(config, 'ecdsaEllipticCurveKey') ?? ''],
});

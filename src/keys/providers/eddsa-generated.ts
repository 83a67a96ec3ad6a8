/** `eddsa-generated` (Keycloak's GeneratedEddsaKeyProviderFactory): EdDSA on Ed25519 (`eddsaEllipticCurveKey`; Ed448 is not made here). */
import { z } from 'zod';
import { single } from './settings.ts';
import { localProvider } from './local.ts';

export const eddsaGenerated = localProvider({
  id: 'eddsa-generated',
  fallbackAlg: 'EdDSA',
  algorithms: /^EdDSA$/,
  schema: z.looseObject({
    eddsaEllipticCurveKey: single(
      (v) => v === 'Ed25519',
      (v) => `config.eddsaEllipticCurveKey "${v}" is not supported (Ed25519 is)`,
    ),
  }),
});

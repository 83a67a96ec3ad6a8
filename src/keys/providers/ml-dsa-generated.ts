/** `ml-dsa-generated` (ours): ML-DSA-44/65/87 (FIPS 204) or DILITHIUM3, made here; default ML-DSA-65. */
import { z } from 'zod';
import { localProvider } from './local.ts';

export const mlDsaGenerated = localProvider({
  id: 'ml-dsa-generated',
  fallbackAlg: 'ML-DSA-65',
  algorithms: /^(ML-DSA-(44|65|87)|DILITHIUM3)$/,
  schema: z.looseObject({}),
});

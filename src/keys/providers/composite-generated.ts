/**
 * `composite-generated` (ours): one local composite key, ML-DSA-65 with RSA-3072
 * or ECDSA P-256 (draft-ietf-lamps-pq-composite-sigs), e.g. ML-DSA-65-RS256; default ML-DSA-65-RS256.
 */
import { z } from 'zod';
import { localProvider } from './local.ts';

export const COMPOSITE_ALGS = /^ML-DSA-65-(RS256|PS256|ES256)$/;

export const compositeGenerated = localProvider({
  id: 'composite-generated',
  fallbackAlg: 'ML-DSA-65-RS256',
  algorithms: COMPOSITE_ALGS,
  schema: z.looseObject({}),
});

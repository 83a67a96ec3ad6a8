/** `hmac-generated` (Keycloak's GeneratedHmacKeyProviderFactory): HS256/384/512 (default HS256); HS512 signs refresh tokens. */
import { z } from 'zod';
import { localProvider } from './local.ts';

export const hmacGenerated = localProvider({ id: 'hmac-generated', fallbackAlg: 'HS256', algorithms: /^HS(256|384|512)$/, schema: z.looseObject({}) });

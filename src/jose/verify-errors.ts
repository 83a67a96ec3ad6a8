/** The one error type of the resource-server verifier; `code` names the failed check. */
import { QsignError } from '../errors.ts';
export type VerificationCode =
  | 'ERR_JWS_INVALID'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWKS_INVALID'
  | 'ERR_JWKS_TIMEOUT'
  | 'ERR_JWK_INVALID'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED';

export class TokenVerificationError extends QsignError {
  declare readonly code: VerificationCode;
  constructor(code: VerificationCode, message: string) {
    super(code, message);
    this.name = 'TokenVerificationError';
  }
}

/**
 * The Signer abstraction (ARCHITECTURE.md section 7): the only way a token gets signed.
 * Implementations: local, Vault transit, PKCS#11 (native or seed-wrapped ML-DSA) and composite
 * (two other signers, e.g. RSA in the HSM and ML-DSA local or seed-wrapped).
 */
import { QsignError } from '../errors.ts';
import type { JWK } from 'jose';

export type SignerStatus = 'ACTIVE' | 'PASSIVE' | 'DISABLED';

export interface Signer {
  /** JWS `alg` this key signs with, e.g. "ML-DSA-65", "RS256", "HS512". */
  readonly alg: string;
  readonly kid: string;
  /** Back end name for logs and metrics: "local", "vault-transit", "pkcs11", "composite". */
  readonly backend: string;
  /**
   * The back-end connection this signer needs, by the name `/health/ready` gives it (e.g.
   * `vault-transit https://vault:8200`, `pkcs11 /usr/lib/... qsign`); absent for local and composite
   * signers. Readiness checks only the back ends signing keys need.
   */
  readonly backendId?: string;
  /** Public JWK as published in the JWKS (no private members); undefined for symmetric keys. */
  publicJwk(): JWK | undefined;
  /**
   * Signs the JWS signing input (ASCII `base64url(header).base64url(payload)`, RFC 7515 §5.1).
   * @returns the raw signature bytes (for ML-DSA-65: 3,309 bytes).
   * @throws SignerUnavailableError when the back end cannot sign now.
   */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
  /**
   * ML-DSA signers that can: sign with a FIPS 204 context string (needed for the ML-DSA half of a
   * composite, which signs with ctx = the composite label). Absent when the back end cannot.
   */
  signWithContext?(message: Uint8Array, context: Uint8Array): Promise<Uint8Array>;
}

export class SignerUnavailableError extends QsignError {
  constructor(backend: string, kid: string, cause?: unknown) {
    super('ERR_SIGNER_UNAVAILABLE', `signing back end ${backend} is unavailable for key ${kid}`, {
      cause,
    });
    this.name = 'SignerUnavailableError';
  }
}

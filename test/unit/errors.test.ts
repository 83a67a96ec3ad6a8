/**
 * The error types (src/errors.ts): every error class is a QsignError with a code, and its HTTP
 * status and exposure come from the one table; the admin API's bodies come from one function
 * (admin/errors.ts adminErrorResponse), in Keycloak's shapes: `{"errorMessage": ...}` (with
 * `field`) for what its handlers refuse (services/.../ErrorResponse.java,
 * ErrorRepresentation), `{"error": ...}` for its JAX-RS 401/403/404 (KeycloakErrorHandler).
 */
import { describe, expect, it } from 'vitest';
import {
  CliUsageError,
  ERRORS,
  KeyUnusableError,
  QsignError,
  httpStatusOf,
} from '../../src/errors.ts';
import { AdminError, adminErrorResponse, notFound } from '../../src/admin/errors.ts';
import { AccountError } from '../../src/account/errors.ts';
import { ComponentError } from '../../src/keys/component-model.ts';
import { KeyInUseError } from '../../src/keys/removal-guard.ts';
import { KeyConflictError } from '../../src/keys/repository.ts';
import { KeyDecryptionError, WrongKeyEncryptionKeyError } from '../../src/store/encryption.ts';
import { StoreUnavailableError } from '../../src/store/sql.ts';
import { RealmNotFoundError } from '../../src/store/realms.ts';
import { RealmSecretError } from '../../src/store/realm-secrets.ts';
import { CredentialSecretError } from '../../src/store/credentials.ts';
import { SignerUnavailableError } from '../../src/signer/signer.ts';
import { Pkcs11UnavailableError } from '../../src/signer/pkcs11/module.ts';
import { BackendRefusedError } from '../../src/signer/backends.ts';
import {
  VaultAuthError,
  VaultError,
  VaultUnreachableError,
} from '../../src/signer/vault/client.ts';
import { RealmImportError } from '../../src/realm/import.ts';
import { PartialImportExistsError } from '../../src/realm/partial-import.ts';
import { PasswordPolicyConfigError } from '../../src/realm/password-policy.ts';
import { PlaceholderError } from '../../src/model/placeholders.ts';
import { ExportOptionError } from '../../src/realm/export-files.ts';
import { TokenVerificationError } from '../../src/jose/verify-errors.ts';
import { JwsVerificationError } from '../../src/signer/jws.ts';
import { JwkError } from '../../src/jose/algorithms.ts';
import { Dilithium3KeyError } from '../../src/jose/dilithium3.ts';
import { ConfigError } from '../../src/config.ts';
import { JsonDepthError } from '../../src/json-depth.ts';
import { EmailError, SmtpNotAllowedError } from '../../src/email/smtp.ts';
import { InvalidScopeError } from '../../src/mappers/pipeline.ts';

/** One instance of every error class, with the status it must answer with. */
const CASES: [QsignError, number][] = [
  [new AdminError(404, { error: 'Realm not found.' }), 404],
  [new AccountError(403, { error: 'HTTP 403 Forbidden' }), 403],
  [new ComponentError('bad', 'keySize'), 400],
  [new ComponentError('taken', 'id', 409), 409],
  [new KeyInUseError('k1', 'RS256', new Date(0)), 400],
  [new KeyConflictError('k1'), 409],
  [new KeyDecryptionError('k1'), 500],
  [new WrongKeyEncryptionKeyError('no key'), 500],
  [new StoreUnavailableError('postgres', new Error('down')), 503],
  [new RealmNotFoundError('gone'), 404],
  [new RealmSecretError('sealed'), 500],
  [new CredentialSecretError('c1'), 500],
  [new SignerUnavailableError('vault-transit', 'k1'), 503],
  [new Pkcs11UnavailableError('token away'), 503],
  [new BackendRefusedError('hsm', 'pkcs11'), 400],
  [new VaultError(403, ['permission denied']), 503],
  [new VaultUnreachableError('http://vault:8200', { code: 'ECONNREFUSED' }), 503],
  [new VaultAuthError('token file empty'), 503],
  [new RealmImportError('realm.json', [{ path: 'realm', reason: 'missing' }]), 400],
  [new PartialImportExistsError('exists'), 409],
  [new PasswordPolicyConfigError('length(x)'), 400],
  [new PlaceholderError(['realm'], 'unset'), 400],
  [new ExportOptionError('--dir'), 400],
  [new CliUsageError('--alg'), 400],
  [new TokenVerificationError('ERR_JWT_EXPIRED', 'expired'), 401],
  [new JwsVerificationError('bad signature'), 401],
  [new JwkError('kty'), 400],
  [new Dilithium3KeyError('size'), 400],
  [new ConfigError(['PORT']), 500],
  [new JsonDepthError(100), 400],
  [new EmailError('refused'), 500],
  [new SmtpNotAllowedError('smtp.example', 25), 400],
  [new InvalidScopeError('nope'), 400],
  [new KeyUnusableError('gone'), 503],
];

describe('error types', () => {
  it.each(CASES.map(([err, status]) => [err.name, err, status] as const))(
    '%s is a QsignError with a code of the table and HTTP status %i',
    (_name, err, status) => {
      expect(err).toBeInstanceOf(QsignError);
      expect(err).toBeInstanceOf(Error);
      expect(Object.keys(ERRORS)).toContain(err.code);
      expect(httpStatusOf(err)).toBe(status);
    },
  );

  it('keeps their names, and the codes they had (TokenVerificationError, jose style)', () => {
    expect(new StoreUnavailableError('pglite', undefined).name).toBe('StoreUnavailableError');
    expect(new Pkcs11UnavailableError('x').name).toBe('Pkcs11UnavailableError');
    expect(new TokenVerificationError('ERR_JWKS_TIMEOUT', 'slow').code).toBe('ERR_JWKS_TIMEOUT');
    // Vault's own answer stays Vault's `status`; ours is `httpStatus`.
    expect(new VaultError(403, []).status).toBe(403);
  });

  it('gives 500 for anything that is not a QsignError (an internal error)', () => {
    expect(httpStatusOf(new Error('invariant'))).toBe(500);
    expect(httpStatusOf('thrown string')).toBe(500);
    expect(httpStatusOf(undefined)).toBe(500);
  });

  it('never exposes the messages of store, back-end, key and configuration errors', () => {
    for (const err of [
      new StoreUnavailableError('postgres', new Error('password authentication failed')),
      new VaultAuthError('token file empty'),
      new KeyDecryptionError('k1'),
      new ConfigError(['KEY_ENCRYPTION_KEY']),
      new RealmSecretError('x'),
    ])
      expect(err.exposeMessage, err.name).toBe(false);
    expect(new RealmImportError('f', []).exposeMessage).toBe(true);
  });

  it('do not carry `status`/`expose`, which Koa and oidc-provider read off any error', () => {
    for (const err of [new RealmNotFoundError('x'), new StoreUnavailableError('pg', undefined)]) {
      expect('status' in err).toBe(false);
      expect('expose' in err).toBe(false);
    }
  });
});

describe('adminErrorResponse (Keycloak admin body shapes)', () => {
  it('answers an AdminError with its own body and status', () => {
    expect(adminErrorResponse(notFound('Realm not found.'))).toEqual({
      status: 404,
      body: { error: 'Realm not found.' },
    });
  });

  it('answers a ComponentError with errorMessage and the field', () => {
    expect(adminErrorResponse(new ComponentError('must be 2048 or more', 'keySize'))).toEqual({
      status: 400,
      body: { field: 'keySize', errorMessage: 'must be 2048 or more' },
    });
    expect(adminErrorResponse(new ComponentError('exists', undefined, 409))).toEqual({
      status: 409,
      body: { errorMessage: 'exists' },
    });
  });

  it('answers other exposed 4xx errors from the table: errorMessage, or error for 404', () => {
    expect(adminErrorResponse(new PartialImportExistsError('User alice exists'))).toEqual({
      status: 409,
      body: { errorMessage: 'User alice exists' },
    });
    expect(adminErrorResponse(new RealmNotFoundError('gone'))).toEqual({
      status: 404,
      body: { error: 'realm gone not found' },
    });
  });

  it('is no answer for internal and unavailable errors (the server logs them: 500 or 503)', () => {
    expect(adminErrorResponse(new Error('invariant'))).toBeUndefined();
    expect(adminErrorResponse(new StoreUnavailableError('pg', undefined))).toBeUndefined();
    expect(adminErrorResponse(new EmailError('refused'))).toBeUndefined();
    expect(adminErrorResponse(new VaultError(400, ['bad']))).toBeUndefined();
  });

  it("answers the body parser's errors and the store's data exceptions as before", () => {
    expect(adminErrorResponse(Object.assign(new Error('x'), { status: 400 }))).toEqual({
      status: 400,
      body: { errorMessage: 'Cannot parse the JSON' },
    });
    expect(adminErrorResponse(Object.assign(new Error('x'), { status: 413 }))).toEqual({
      status: 413,
      body: { errorMessage: 'Request entity too large' },
    });
    expect(adminErrorResponse(Object.assign(new Error('x'), { code: '22P05' }))).toEqual({
      status: 400,
      body: { errorMessage: 'invalid input' },
    });
  });
});

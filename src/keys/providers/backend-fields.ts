/**
 * What a back-end key provider component (`vault-transit`, `pkcs11`) may say: the name of a back
 * end the operator declared (`config.backend`, signer/backend-config.ts) and which key within it
 * (`keyName` for Vault; `keyId`, the CKA_ID in hex, and `wrappedSeed` for PKCS#11), plus the
 * settings every key provider has (`algorithm`, `priority`, `enabled`, `active`). Never an
 * address, a path, an env-var name, a file name, a PIN or any other setting of the connection:
 * those belong to the operator (issue 15, trust model). Pure checks, no I/O.
 *
 * Components stored before back ends were declared carry such settings inline; they are never
 * acted upon (`legacyBackendError`): their keys fail closed until the operator declares the back
 * end and the component names it.
 */

/** Settings of a connection that a component can never carry (named in the 400). */
export const CONNECTION_FIELDS = new Set([
  'address',
  'namespace',
  'authMethod',
  'token',
  'tokenEnv',
  'tokenFile',
  'roleId',
  'secretId',
  'secretIdEnv',
  'secretIdFile',
  'approleMount',
  'caCertFile',
  'timeoutMs',
  'breakerResetMs',
  'mount',
  'module',
  'modulePath',
  'tokenLabel',
  'slot',
  'pin',
  'pinEnv',
  'pinFile',
  'sessions',
]);

const COMMON_FIELDS = ['backend', 'algorithm', 'priority', 'enabled', 'active'];

/** Config keys each back-end provider accepts. */
export const BACKEND_PROVIDER_FIELDS: Record<string, Set<string>> = {
  'vault-transit': new Set([...COMMON_FIELDS, 'keyName']),
  pkcs11: new Set([...COMMON_FIELDS, 'keyId', 'wrappedSeed']),
};

export const isBackendProvider = (
  providerId: string | undefined,
): providerId is 'vault-transit' | 'pkcs11' =>
  providerId === 'vault-transit' || providerId === 'pkcs11';

/**
 * The first config key of a back-end provider's config it may not carry, with the reason; undefined
 * when every key is allowed. Keys under `qsign.` are the server's own bookkeeping.
 */
export function refusedBackendField(
  providerId: 'vault-transit' | 'pkcs11',
  config: Record<string, unknown>,
): { field: string; reason: string } | undefined {
  for (const field of Object.keys(config)) {
    if (BACKEND_PROVIDER_FIELDS[providerId].has(field) || field.startsWith('qsign.')) continue;
    if (CONNECTION_FIELDS.has(field)) {
      return {
        field,
        reason: `config.${field} is not accepted: a ${providerId} key provider names a back end the operator declared (config.backend) and a key within it, never its address, path, credentials or settings`,
      };
    }
    return {
      field,
      reason: `config.${field} is not a setting of provider ${providerId} (accepted: ${[...BACKEND_PROVIDER_FIELDS[providerId]].join(', ')})`,
    };
  }
  return undefined;
}

/**
 * For a stored component: why it is not acted upon when it carries connection settings inline (made
 * before back ends were declared by the operator) or names no back end; undefined when it names one.
 */
export function legacyBackendError(
  providerId: string,
  config: Record<string, string[]>,
): string | undefined {
  if (!isBackendProvider(providerId)) return undefined;
  const inline = Object.keys(config).filter((k) => CONNECTION_FIELDS.has(k));
  if (!inline.length && config.backend?.[0]) return undefined;
  return (
    `this ${providerId} key provider ${inline.length ? `carries its back end's settings inline (${inline.join(', ')}), which are no longer acted upon` : 'names no back end'}: ` +
    'declare the back end in KEY_BACKENDS_FILE or KEY_BACKENDS and set the component\'s config.backend to its name (docs/backends.md, "Migration")'
  );
}

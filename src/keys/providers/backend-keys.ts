/**
 * What the providers of keys held elsewhere share: the back end a component names (never one it
 * carries inline, see backend-fields.ts), back-end failures as the class of failure (never the
 * back end's own text), a refused back end as a 400 naming `config.backend`, and writing a key row
 * that can never take over a kid of another component (409).
 */
import type { SqlClient } from '../../store/sql.ts';
import type { SignerStatus } from '../../signer/signer.ts';
import { BackendRefusedError } from '../../signer/backends.ts';
import {
  KeyConflictError,
  upsertExternalKey,
  type ExternalKey,
  type KeyRecord,
} from '../repository.ts';
import {
  ComponentError,
  type ComponentConfig,
  type KeyProviderSettings,
} from '../component-model.ts';
import { legacyBackendError } from './backend-fields.ts';

/** The back end a stored or new component names. @throws ComponentError (field `backend`) when it names none or carries one inline. */
export function backendName(component: { providerId: string; config: ComponentConfig }): string {
  const legacy = legacyBackendError(component.providerId, component.config);
  if (legacy) throw new ComponentError(legacy, 'backend');
  return component.config.backend[0];
}

/** Runs `fn`; a BackendRefusedError becomes a ComponentError (400, field `backend`) with the same one text. */
export async function onDeclaredBackend<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BackendRefusedError)
      throw new ComponentError(`config.backend ${err.message}`, 'backend');
    throw err;
  }
}

/** A back end's failure as its class (`Vault answered HTTP 404`, `Vault is unreachable`...), never the back end's own response text. */
export function readFailure(err: unknown): string {
  const { name, status } = err as { name?: string; status?: number };
  if (name === 'VaultError') return `Vault answered HTTP ${status}`;
  if (name === 'VaultUnreachableError') return 'Vault is unreachable';
  if (name === 'VaultAuthError') return "Vault refused the server's credentials";
  return 'the back end cannot be read';
}

/** upsertExternalKey; a kid the realm holds under another component answers 409. */
export async function upsertBackendKey(
  db: SqlClient,
  realmId: string,
  key: ExternalKey,
): Promise<void> {
  try {
    await upsertExternalKey(db, realmId, key);
  } catch (err) {
    if (err instanceof KeyConflictError) throw new ComponentError(err.message, 'id', 409);
    throw err;
  }
}

/** Every key of the component takes the component's state (one key per component: PKCS#11, composite). */
export const restateAll = (
  rows: KeyRecord[],
  settings: KeyProviderSettings,
): { kid: string; status: SignerStatus }[] =>
  rows.map((row) => ({ kid: row.kid, status: settings.status }));

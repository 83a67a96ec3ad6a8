/**
 * Keycloak's component model as the key providers use it (ComponentRepresentation; config values
 * are string arrays, Keycloak's MultivaluedHashMap JSON form) and the error a component that
 * cannot be accepted raises (the admin API answers it as Keycloak's error body, admin/router.ts).
 * No I/O; every key provider module builds on this.
 */
import { QsignError } from '../errors.ts';
import type { SignerStatus } from '../signer/signer.ts';

export const KEY_PROVIDER_TYPE = 'org.keycloak.keys.KeyProvider';
export const ROTATION_POLICY_TYPE = 'qsign.keys.RotationPolicy';

export type ComponentConfig = Record<string, string[]>;

/** Keycloak's ComponentRepresentation. */
export interface ComponentRepresentation {
  id?: string;
  name?: string;
  providerId?: string;
  providerType?: string;
  parentId?: string;
  subType?: string;
  config?: Record<string, unknown>;
}

/** A component as stored (table `components`), config normalised to string arrays. */
export interface StoredComponent {
  id: string;
  name: string;
  providerId: string;
  providerType: string;
  parentId: string;
  subType?: string;
  config: ComponentConfig;
}

/** A key provider's validated settings: the alg its key signs, its priority and state, its config as stored. */
export interface KeyProviderSettings {
  alg: string;
  priority: number;
  status: SignerStatus;
  config: ComponentConfig;
}

/** A component that cannot be accepted; `field` names the offending config key; `status` the HTTP status (400, 409). */
export class ComponentError extends QsignError {
  readonly field: string | undefined;
  readonly status: number;
  constructor(message: string, field?: string, status = 400) {
    super('ERR_COMPONENT_INVALID', message, { status });
    this.name = 'ComponentError';
    this.field = field;
    this.status = status;
  }
}

/** The first value of a config key (string arrays, or single values as sent by hand), or undefined. */
export const first = (
  config: Record<string, unknown> | undefined,
  key: string,
): string | undefined => {
  const value = config?.[key];
  if (Array.isArray(value))
    return value[0] === undefined || value[0] === null ? undefined : String(value[0]);
  return value === undefined || value === null ? undefined : String(value);
};

/**
 * Config as string arrays (Keycloak's MultivaluedHashMap JSON form).
 * @throws ComponentError when a value is not a string, number or boolean (or a list of them).
 */
export function toConfig(
  config: Record<string, unknown> | undefined,
  field = 'config',
): ComponentConfig {
  const out: ComponentConfig = {};
  for (const [key, value] of Object.entries(config ?? {})) {
    const list = Array.isArray(value) ? value : [value];
    if (!list.every((v) => ['string', 'number', 'boolean'].includes(typeof v)))
      throw new ComponentError(`config.${key} must be a list of strings`, `${field}.${key}`);
    out[key] = list.map(String);
  }
  return out;
}

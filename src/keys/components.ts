/**
 * Key provider components of a realm export (`components["org.keycloak.keys.KeyProvider"]`,
 * Keycloak ComponentExportRepresentation) turned into the key specs a realm is created with.
 * The providers of keys/providers/registry.ts are understood (encryption key providers among
 * them: `rsa-enc-generated`, `rsa-enc`, `aes-generated`); others are ignored.
 */
import type { SignerStatus } from '../signer/signer.ts';
import type { BackendRead } from './providers/types.ts';
import { ComponentError, KEY_PROVIDER_TYPE, type ComponentConfig } from './component-model.ts';
import { KEY_PROVIDER_IDS, keyProviderSettings } from './providers/registry.ts';

export interface KeySpec {
  alg: string;
  providerId: string;
  priority: number;
  status: SignerStatus;
  /** Component name. */
  name: string;
  config: ComponentConfig;
  /** For a back-end provider: what its back end holds, read before the import's transaction (readRealmKeyBackends). */
  read?: BackendRead;
}

interface Component {
  name?: string;
  providerId?: string;
  config?: Record<string, unknown>;
}

/** Key specs from the realm's components, with problems as JSON path and reason. */
export function keySpecsFromComponents(components: unknown): {
  specs: KeySpec[];
  problems: { path: string; reason: string }[];
} {
  const specs: KeySpec[] = [];
  const problems: { path: string; reason: string }[] = [];
  const list = (components as Record<string, unknown> | undefined)?.[KEY_PROVIDER_TYPE];
  if (list === undefined) return { specs, problems };
  if (!Array.isArray(list))
    return {
      specs,
      problems: [
        { path: `components["${KEY_PROVIDER_TYPE}"]`, reason: 'must be an array of components' },
      ],
    };
  list.forEach((raw: Component, i) => {
    if (!raw?.providerId || !KEY_PROVIDER_IDS.includes(raw.providerId)) return;
    try {
      const settings = keyProviderSettings(raw.providerId, raw.config);
      specs.push({ ...settings, providerId: raw.providerId, name: raw.name ?? raw.providerId });
    } catch (err) {
      if (!(err instanceof ComponentError)) throw err;
      problems.push({
        path: `components["${KEY_PROVIDER_TYPE}"][${i}].config${err.field ? `.${err.field}` : ''}`,
        reason: err.message,
      });
    }
  });
  return { specs, problems };
}

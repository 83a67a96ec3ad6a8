/**
 * Key provider components of a realm export (`components["org.keycloak.keys.KeyProvider"]`,
 * Keycloak ComponentExportRepresentation; config values are string arrays) turned into the key
 * specs a realm is created with. Providers that generate keys are understood: Keycloak's
 * `rsa-generated`, `ecdsa-generated`, `hmac-generated`, and ours `ml-dsa-generated` and
 * `composite-generated`. Others (`rsa-enc-generated`, `aes-generated`, ...) are kept in the realm
 * document and produce no signing key.
 */
import type { SignerStatus } from '../signer/signer.ts';
import { isSupportedAlg } from '../jose/algorithms.ts';

export const KEY_PROVIDER_TYPE = 'org.keycloak.keys.KeyProvider';

export interface KeySpec {
  alg: string;
  providerId: string;
  priority: number;
  status: SignerStatus;
  /** Component name, for messages. */
  name: string;
}

interface Component { name?: string; providerId?: string; config?: Record<string, unknown> }

const ALGS_BY_PROVIDER: Record<string, { fallback: string; allowed: RegExp }> = {
  'rsa-generated': { fallback: 'RS256', allowed: /^(RS|PS)(256|384|512)$/ },
  'ecdsa-generated': { fallback: 'ES256', allowed: /^ES(256|384|512)$/ },
  'hmac-generated': { fallback: 'HS256', allowed: /^HS(256|384|512)$/ },
  'ml-dsa-generated': { fallback: 'ML-DSA-65', allowed: /^(ML-DSA-(44|65|87)|DILITHIUM3)$/ },
  'composite-generated': { fallback: 'ML-DSA-65-RS256', allowed: /^(ML-DSA-65|DILITHIUM3)-(RS256|PS256|ES256)$/ },
};
const CURVE_ALG: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

const first = (config: Record<string, unknown> | undefined, key: string): string | undefined => {
  const value = config?.[key];
  if (Array.isArray(value)) return value[0] === undefined ? undefined : String(value[0]);
  return value === undefined ? undefined : String(value);
};

/** Key specs from the realm's components, with problems as [JSON path, reason]. */
export function keySpecsFromComponents(components: unknown): { specs: KeySpec[]; problems: { path: string; reason: string }[] } {
  const specs: KeySpec[] = [];
  const problems: { path: string; reason: string }[] = [];
  const list = (components as Record<string, unknown> | undefined)?.[KEY_PROVIDER_TYPE];
  if (list === undefined) return { specs, problems };
  if (!Array.isArray(list)) return { specs, problems: [{ path: `components["${KEY_PROVIDER_TYPE}"]`, reason: 'must be an array of components' }] };
  list.forEach((raw: Component, i) => {
    const base = `components["${KEY_PROVIDER_TYPE}"][${i}]`;
    const rule = raw?.providerId ? ALGS_BY_PROVIDER[raw.providerId] : undefined;
    if (!rule) return;
    const curve = first(raw.config, 'ecdsaEllipticCurveKey');
    const alg = first(raw.config, 'algorithm') ?? (curve ? CURVE_ALG[curve] : undefined) ?? rule.fallback;
    if (!rule.allowed.test(alg) || !isSupportedAlg(alg)) {
      problems.push({ path: `${base}.config.algorithm[0]`, reason: `"${alg}" is not an algorithm of provider ${raw.providerId}` });
      return;
    }
    const priorityText = first(raw.config, 'priority') ?? '0';
    const priority = Number(priorityText);
    if (!Number.isInteger(priority)) {
      problems.push({ path: `${base}.config.priority[0]`, reason: `must be an integer, got "${priorityText}"` });
      return;
    }
    const enabled = first(raw.config, 'enabled') !== 'false';
    const active = first(raw.config, 'active') !== 'false';
    specs.push({ alg, providerId: raw.providerId!, priority, status: !enabled ? 'DISABLED' : active ? 'ACTIVE' : 'PASSIVE', name: raw.name ?? raw.providerId! });
  });
  return { specs, problems };
}

/**
 * A rotation policy (ours; Keycloak has no scheduled rotation): a component of type
 * `qsign.keys.RotationPolicy` (provider `scheduled-rotation`) with config, in seconds:
 *   algorithm       the alg it rotates, e.g. ["ML-DSA-65"]
 *   rotationPeriod  age at which the signing key is replaced
 *   prePublication  how long a new key is published (PASSIVE) before it signs; JWKS consumers
 *                   fetch it in that window (the /certs max-age is kept below it); default half
 *                   the rotation period, at most a day
 *   retireAfter     how long a replaced key stays PASSIVE (verifying) before it is DISABLED;
 *                   default: the lifetime of the longest-lived token a key of that alg can have
 *                   signed (keys/rotation.ts defaultRetireAfter)
 * Rotation only generates local keys, so a policy is refused for an alg whose ACTIVE key is held by
 * a back end (assertRotatable says how to rotate it there). The scheduler is keys/rotation.ts.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SqlClient } from '../../store/sql.ts';
import { isSupportedAlg } from '../../jose/algorithms.ts';
import { listKeys, type KeyRecord } from '../repository.ts';
import {
  ComponentError,
  ROTATION_POLICY_TYPE,
  first,
  toConfig,
  type ComponentRepresentation,
  type StoredComponent,
} from '../component-model.ts';
import { bumpRealmVersion, recordKeyEvent } from '../key-events.ts';
import { findComponents } from '../providers.ts';
import { check, single } from './settings.ts';

const secondsField = (key: string) =>
  single(
    (v) => /^\d+$/.test(v) && Number(v) > 0,
    (v) => `config.${key} must be a positive number of seconds, got "${v}"`,
  );

/** The policy's config schema (string arrays, as every component's). */
export const rotationPolicySchema = z.looseObject({
  algorithm: single(
    (v) => isSupportedAlg(v),
    (v) => `config.algorithm "${v}" is not a supported algorithm`,
  ),
  rotationPeriod: z
    .array(z.string(), { error: 'config.rotationPeriod (seconds) is required' })
    .refine((l) => l[0] !== undefined, 'config.rotationPeriod (seconds) is required')
    .and(secondsField('rotationPeriod')),
  prePublication: secondsField('prePublication'),
  retireAfter: secondsField('retireAfter'),
});

export interface RotationPolicy {
  id: string;
  alg: string;
  rotationPeriod: number;
  prePublication: number;
  retireAfter: number | undefined;
}

const seconds = (config: Record<string, string[]>, key: string): number | undefined => {
  const value = first(config, key);
  return value === undefined ? undefined : Number(value);
};

/** A policy from its config. @throws ComponentError naming the field. */
export function parsePolicy(
  id: string,
  rawConfig: Record<string, unknown> | undefined,
): RotationPolicy {
  const config = toConfig(rawConfig);
  const alg = first(config, 'algorithm');
  if (!alg || !isSupportedAlg(alg))
    throw new ComponentError(
      `config.algorithm "${alg ?? ''}" is not a supported algorithm`,
      'algorithm',
    );
  check(rotationPolicySchema, config);
  const rotationPeriod = seconds(config, 'rotationPeriod')!;
  const prePublication =
    seconds(config, 'prePublication') ?? Math.min(86_400, Math.floor(rotationPeriod / 2));
  if (prePublication >= rotationPeriod)
    throw new ComponentError(
      'config.prePublication must be shorter than config.rotationPeriod',
      'prePublication',
    );
  return { id, alg, rotationPeriod, prePublication, retireAfter: seconds(config, 'retireAfter') };
}

/** Creates a rotation policy component; its id is the server's (an `id` in `rep` is ignored). */
export async function createRotationPolicy(
  db: SqlClient,
  realmId: string,
  rep: ComponentRepresentation,
  actor: string,
): Promise<string> {
  const id = randomUUID();
  const policy = parsePolicy(id, rep.config);
  const existing = (await findComponents(db, realmId, { type: ROTATION_POLICY_TYPE })).map((c) =>
    parsePolicy(c.id, c.config),
  );
  if (existing.some((p) => p.alg === policy.alg))
    throw new ComponentError(
      `a rotation policy for ${policy.alg} exists already`,
      'algorithm',
      409,
    );
  assertRotatable(await listKeys(db, realmId), policy.alg);
  await db.query(
    'INSERT INTO components (id, realm_id, name, provider_id, provider_type, parent_id, config) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [
      id,
      realmId,
      rep.name || `rotate-${policy.alg.toLowerCase()}`,
      'scheduled-rotation',
      ROTATION_POLICY_TYPE,
      realmId,
      JSON.stringify(toConfig(rep.config)),
    ],
  );
  await recordKeyEvent(db, realmId, {
    alg: policy.alg,
    componentId: id,
    action: 'rotation policy created',
    actor,
  });
  await bumpRealmVersion(db, realmId);
  return id;
}

export async function updateRotationPolicy(
  db: SqlClient,
  realmId: string,
  current: StoredComponent,
  rep: ComponentRepresentation,
  actor: string,
): Promise<void> {
  const config = { ...current.config, ...toConfig(rep.config) };
  const policy = parsePolicy(current.id, config);
  assertRotatable(await listKeys(db, realmId), policy.alg);
  await db.query('UPDATE components SET name = $3, config = $4 WHERE realm_id = $1 AND id = $2', [
    realmId,
    current.id,
    rep.name || current.name,
    JSON.stringify(config),
  ]);
  await recordKeyEvent(db, realmId, {
    alg: policy.alg,
    componentId: current.id,
    action: 'rotation policy updated',
    actor,
  });
  await bumpRealmVersion(db, realmId);
}

/** ACTIVE keys of `alg` that are not local (held in Vault transit, an HSM, or a composite of other keys). */
export const externalActiveKeys = (keys: KeyRecord[], alg: string): KeyRecord[] =>
  keys.filter((k) => k.alg === alg && k.status === 'ACTIVE' && k.backend !== 'local');

/** Where an external key lives and how to rotate it there (names only, never connection details or secrets). */
function backendOf(key: KeyRecord): { where: string; name: string; how: string } {
  const ref = (key.backendRef ?? {}) as {
    mount?: unknown;
    keyName?: unknown;
    keyId?: unknown;
    members?: unknown;
  };
  if (key.backend === 'vault-transit') {
    const mount = typeof ref.mount === 'string' ? ref.mount : 'transit';
    const name = typeof ref.keyName === 'string' ? ref.keyName : '<name>';
    return {
      name: 'Vault',
      where: `in Vault transit (key ${mount}/${name})`,
      how: `rotate it in Vault: \`vault write -f ${mount}/keys/${name}/rotate\` (the next key sync picks up the new version)`,
    };
  }
  if (key.backend === 'pkcs11') {
    return {
      name: 'the HSM',
      where: `in the HSM (PKCS#11, CKA_ID ${typeof ref.keyId === 'string' ? ref.keyId : '?'})`,
      how: `rotate it in the HSM: create a new key on the token and a new pkcs11 key provider for it with a higher priority (\`npm start -- keys create --backend pkcs11 --alg ${key.alg} ...\`), then deactivate the old one`,
    };
  }
  if (key.backend === 'composite') {
    const members = Array.isArray(ref.members) ? ref.members.join(' and ') : '?';
    return {
      name: 'its composite member keys',
      where: `in a composite of the keys ${members}`,
      how: 'rotate its member keys in their back ends and create a new composite key provider for them, then deactivate the old one',
    };
  }
  return {
    name: key.backend,
    where: `in the back end ${key.backend}`,
    how: 'rotate it in that back end',
  };
}

/** Why `alg` cannot be rotated here, or undefined when its ACTIVE keys are all local. */
export function rotationRefusal(keys: KeyRecord[], alg: string): string | undefined {
  const external = externalActiveKeys(keys, alg);
  if (!external.length) return undefined;
  return external
    .map((key) => {
      const b = backendOf(key);
      return `refused: the active ${alg} key ${key.kid} is held ${b.where} (back end ${key.backend}); a rotation policy generates new keys in the database and retires the old one, which would move ${alg} signing out of ${b.name}. Do not use a rotation policy for ${alg}; ${b.how}.`;
    })
    .join(' ');
}

/** @throws ComponentError (400, field `algorithm`) when an ACTIVE key of `alg` is not local. */
export function assertRotatable(keys: KeyRecord[], alg: string): void {
  const refusal = rotationRefusal(keys, alg);
  if (refusal) throw new ComponentError(refusal, 'algorithm');
}

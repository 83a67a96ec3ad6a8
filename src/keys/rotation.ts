/**
 * Scheduled key rotation (Keycloak has none). A rotation policy is a component of type
 * `qsign.keys.RotationPolicy` (provider `scheduled-rotation`) with config, in seconds:
 *   algorithm       the alg it rotates, e.g. ["ML-DSA-65"]
 *   rotationPeriod  age at which the signing key is replaced
 *   prePublication  how long a new key is published (PASSIVE) before it signs; JWKS consumers
 *                   fetch it in that window (the /certs max-age is kept below it)
 *   retireAfter     how long a replaced key stays PASSIVE (verifying) before it is DISABLED;
 *                   default: the realm's longest token lifetime, max(accessTokenLifespan,
 *                   ssoSessionMaxLifespan), so every token it signed, and id_token_hint, still verify
 * Lifecycle of a key: pre-published PASSIVE -> ACTIVE -> PASSIVE -> DISABLED, each step recorded
 * in `key_events` with its actor ("scheduler", "cli", or the admin's username).
 */
import { randomUUID } from 'node:crypto';
import type { SqlClient } from '../store/sql.ts';
import type { RealmDocument } from '../realm/representation.ts';
import { listKeys, type KeyRecord } from './repository.ts';
import { providerIdFor } from './generate.ts';
import {
  ComponentError, ROTATION_POLICY_TYPE, createKeyProvider, findComponent, findComponents, first, recordKeyEvent,
  toConfig, updateKeyProvider, bumpRealmVersion, type ComponentRepresentation, type StoredComponent,
} from './providers.ts';
import { isSupportedAlg } from '../jose/algorithms.ts';

export interface RotationPolicy {
  id: string;
  alg: string;
  rotationPeriod: number;
  prePublication: number;
  retireAfter: number | undefined;
}

const seconds = (config: Record<string, string[]>, key: string, required: boolean): number | undefined => {
  const value = first(config, key);
  if (value === undefined) {
    if (required) throw new ComponentError(`config.${key} (seconds) is required`, key);
    return undefined;
  }
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new ComponentError(`config.${key} must be a positive number of seconds, got "${value}"`, key);
  return Number(value);
};

export function parsePolicy(id: string, rawConfig: Record<string, unknown> | undefined): RotationPolicy {
  const config = toConfig(rawConfig);
  const alg = first(config, 'algorithm');
  if (!alg || !isSupportedAlg(alg)) throw new ComponentError(`config.algorithm "${alg ?? ''}" is not a supported algorithm`, 'algorithm');
  const rotationPeriod = seconds(config, 'rotationPeriod', true)!;
  const prePublication = seconds(config, 'prePublication', false) ?? Math.min(86_400, Math.floor(rotationPeriod / 2));
  if (prePublication >= rotationPeriod) throw new ComponentError('config.prePublication must be shorter than config.rotationPeriod', 'prePublication');
  return { id, alg, rotationPeriod, prePublication, retireAfter: seconds(config, 'retireAfter', false) };
}

export async function createRotationPolicy(db: SqlClient, realmId: string, rep: ComponentRepresentation, actor: string): Promise<string> {
  const id = rep.id ?? randomUUID();
  const policy = parsePolicy(id, rep.config);
  const existing = (await findComponents(db, realmId, { type: ROTATION_POLICY_TYPE })).map((c) => parsePolicy(c.id, c.config));
  if (existing.some((p) => p.alg === policy.alg)) throw new ComponentError(`a rotation policy for ${policy.alg} exists already`, 'algorithm', 409);
  await db.query(
    'INSERT INTO components (id, realm_id, name, provider_id, provider_type, parent_id, config) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [id, realmId, rep.name || `rotate-${policy.alg.toLowerCase()}`, 'scheduled-rotation', ROTATION_POLICY_TYPE, realmId, JSON.stringify(toConfig(rep.config))],
  );
  await recordKeyEvent(db, realmId, { alg: policy.alg, componentId: id, action: 'rotation policy created', actor });
  await bumpRealmVersion(db, realmId);
  return id;
}

export async function updateRotationPolicy(db: SqlClient, realmId: string, current: StoredComponent, rep: ComponentRepresentation, actor: string): Promise<void> {
  const config = { ...current.config, ...toConfig(rep.config) };
  const policy = parsePolicy(current.id, config);
  await db.query('UPDATE components SET name = $3, config = $4 WHERE realm_id = $1 AND id = $2', [realmId, current.id, rep.name || current.name, JSON.stringify(config)]);
  await recordKeyEvent(db, realmId, { alg: policy.alg, componentId: current.id, action: 'rotation policy updated', actor });
  await bumpRealmVersion(db, realmId);
}

/** Default retirement: the longest lifetime of a token a signing key signs (seconds). */
export const defaultRetireAfter = (doc: Pick<RealmDocument, 'accessTokenLifespan' | 'ssoSessionMaxLifespan'>) => Math.max(doc.accessTokenLifespan, doc.ssoSessionMaxLifespan);

const secondsNow = () => Math.floor(Date.now() / 1000);
const signingKeyOf = (keys: KeyRecord[], alg: string) => keys.filter((k) => k.alg === alg && k.status === 'ACTIVE').sort((a, b) => b.priority - a.priority || b.createdAt.getTime() - a.createdAt.getTime())[0];

/**
 * Replaces the signing key of `alg` now. With `prePublication` seconds the new key is published
 * PASSIVE and signs only once the scheduler activates it; with 0 it signs at once and the old
 * key turns PASSIVE until `retireAfter` has passed.
 */
export async function rotateKey(db: SqlClient, kek: Buffer, realm: { id: string; doc: RealmDocument }, alg: string, options: { prePublication: number; retireAfter?: number; actor: string; now?: number }): Promise<string> {
  const now = options.now ?? secondsNow();
  const keys = await listKeys(db, realm.id);
  const current = signingKeyOf(keys, alg);
  const priority = Math.max(100, ...keys.filter((k) => k.alg === alg).map((k) => k.priority)) + 1;
  const prePublish = options.prePublication > 0 && current;
  const config: Record<string, string[]> = { algorithm: [alg], priority: [String(priority)], active: [prePublish ? 'false' : 'true'], 'qsign.createdAt': [String(now)] };
  if (prePublish) config['qsign.activateAt'] = [String(now + options.prePublication)];
  const id = await createKeyProvider(db, kek, realm.id, { name: `${providerIdFor(alg)}-${alg.toLowerCase()}-${now}`, providerId: providerIdFor(alg), config }, options.actor);
  if (!prePublish) await retireOthers(db, realm, alg, id, now + (options.retireAfter ?? defaultRetireAfter(realm.doc)), options.actor);
  return id;
}

/** Turns every other ACTIVE key of `alg` PASSIVE, to be disabled at `retireAt` (epoch seconds). */
async function retireOthers(db: SqlClient, realm: { id: string }, alg: string, keepComponentId: string, retireAt: number, actor: string): Promise<void> {
  for (const key of (await listKeys(db, realm.id)).filter((k) => k.alg === alg && k.status === 'ACTIVE' && k.componentId !== keepComponentId)) {
    const component = await findComponent(db, realm.id, key.componentId, true);
    if (component) await updateKeyProvider(db, realm.id, component, { config: { active: ['false'], 'qsign.retireAt': [String(retireAt)] } }, actor);
  }
}

/**
 * One scheduler pass over every realm's policies (safe to run from several processes: a realm is
 * skipped while another process holds its advisory lock). Returns the actions taken.
 */
export interface RotationAction { realm: string; message: string }

export async function runRotation(db: SqlClient, kek: Buffer, options: { now?: number; actor?: string } = {}): Promise<RotationAction[]> {
  const now = options.now ?? secondsNow();
  const actor = options.actor ?? 'scheduler';
  const actions: RotationAction[] = [];
  const realms = await db.query<{ id: string; name: string; representation: RealmDocument }>(
    `SELECT DISTINCT r.id, r.name, r.representation FROM realms r JOIN components c ON c.realm_id = r.id WHERE c.provider_type = $1`, [ROTATION_POLICY_TYPE]);
  for (const realm of realms) {
    await db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock(hashtext('qsign-rotation:' || $1)) AS locked", [realm.id]);
      if (!lock.locked) return;
      const ref = { id: realm.id, doc: realm.representation };
      for (const component of await findComponents(tx, realm.id, { type: ROTATION_POLICY_TYPE })) {
        const policy = parsePolicy(component.id, component.config);
        const retireAfter = policy.retireAfter ?? defaultRetireAfter(realm.representation);
        const keys = await listKeys(tx, realm.id);
        const components = new Map((await findComponents(tx, realm.id)).map((c) => [c.id, c]));
        const ofAlg = keys.filter((k) => k.alg === policy.alg);
        // 1. A pre-published key whose time has come signs; the others step down.
        const due = ofAlg.find((k) => k.status === 'PASSIVE' && Number(first(components.get(k.componentId)?.config, 'qsign.activateAt') ?? Infinity) <= now);
        if (due) {
          const c = components.get(due.componentId)!;
          const { 'qsign.activateAt': _done, ...rest } = c.config;
          await updateKeyProvider(tx, realm.id, { ...c, config: rest }, { config: { active: ['true'] } }, actor);
          await retireOthers(tx, ref, policy.alg, c.id, now + retireAfter, actor);
          actions.push({ realm: realm.name, message: `${policy.alg} key ${due.kid} activated` });
        }
        // 2. Time to pre-publish the next key?
        const pending = ofAlg.some((k) => k.status === 'PASSIVE' && first(components.get(k.componentId)?.config, 'qsign.activateAt') !== undefined && k !== due);
        const signing = signingKeyOf(await listKeys(tx, realm.id), policy.alg);
        const bornAt = signing ? Number(first(components.get(signing.componentId)?.config, 'qsign.createdAt') ?? Math.floor(signing.createdAt.getTime() / 1000)) : undefined;
        if (!due && !pending && (bornAt === undefined || now >= bornAt + policy.rotationPeriod - policy.prePublication)) {
          await rotateKey(tx, kek, ref, policy.alg, { prePublication: policy.prePublication, retireAfter, actor, now });
          actions.push({ realm: realm.name, message: `${policy.alg} next key pre-published` });
        }
        // 3. Retired keys whose tokens have all expired are disabled.
        for (const key of (await listKeys(tx, realm.id)).filter((k) => k.alg === policy.alg && k.status === 'PASSIVE')) {
          const c = components.get(key.componentId);
          const retireAt = Number(first(c?.config, 'qsign.retireAt') ?? Infinity);
          if (c && retireAt <= now) {
            await updateKeyProvider(tx, realm.id, c, { config: { enabled: ['false'] } }, actor);
            actions.push({ realm: realm.name, message: `${policy.alg} key ${key.kid} disabled` });
          }
        }
      }
    });
  }
  return actions;
}

/** The /certs `max-age` (seconds): at most 60, and under half of the shortest pre-publication window. */
export async function jwksMaxAge(db: SqlClient, realmId: string): Promise<number> {
  const windows = (await findComponents(db, realmId, { type: ROTATION_POLICY_TYPE })).map((c) => parsePolicy(c.id, c.config).prePublication);
  return Math.max(0, Math.min(60, ...windows.map((w) => Math.floor(w / 2))));
}

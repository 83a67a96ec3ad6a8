/**
 * Scheduled key rotation (Keycloak has none). A rotation policy is a component of type
 * `qsign.keys.RotationPolicy` (provider `scheduled-rotation`) with config, in seconds:
 *   algorithm       the alg it rotates, e.g. ["ML-DSA-65"]
 *   rotationPeriod  age at which the signing key is replaced
 *   prePublication  how long a new key is published (PASSIVE) before it signs; JWKS consumers
 *                   fetch it in that window (the /certs max-age is kept below it)
 *   retireAfter     how long a replaced key stays PASSIVE (verifying) before it is DISABLED;
 *                   default: the lifetime of the longest-lived token a key of that alg can have
 *                   signed (see defaultRetireAfter), so every token it signed still verifies
 * Lifecycle of a key: pre-published PASSIVE -> ACTIVE -> PASSIVE -> DISABLED, each step recorded
 * in `key_events` with its actor ("scheduler", "cli", or the admin's username).
 *
 * Rotation only ever generates local keys (sealed in the database). It therefore refuses an alg
 * whose ACTIVE key is held by a back end (Vault transit, PKCS#11, composite): replacing it would
 * move signing out of Vault / the HSM and retire the back-end key. Such keys are rotated in their
 * back end (assertRotatable says how). Refused when the policy is created or updated, by
 * rotateKey (CLI), and by the scheduler, which then changes nothing for that alg and logs a warning.
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
import type { Logger } from '../log.ts';

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

/** Creates a rotation policy component; its id is the server's (an `id` in `rep` is ignored). */
export async function createRotationPolicy(db: SqlClient, realmId: string, rep: ComponentRepresentation, actor: string): Promise<string> {
  const id = randomUUID();
  const policy = parsePolicy(id, rep.config);
  const existing = (await findComponents(db, realmId, { type: ROTATION_POLICY_TYPE })).map((c) => parsePolicy(c.id, c.config));
  if (existing.some((p) => p.alg === policy.alg)) throw new ComponentError(`a rotation policy for ${policy.alg} exists already`, 'algorithm', 409);
  assertRotatable(await listKeys(db, realmId), policy.alg);
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
  assertRotatable(await listKeys(db, realmId), policy.alg);
  await db.query('UPDATE components SET name = $3, config = $4 WHERE realm_id = $1 AND id = $2', [realmId, current.id, rep.name || current.name, JSON.stringify(config)]);
  await recordKeyEvent(db, realmId, { alg: policy.alg, componentId: current.id, action: 'rotation policy updated', actor });
  await bumpRealmVersion(db, realmId);
}

/** The realm settings defaultRetireAfter reads (Keycloak's RealmRepresentation fields, seconds). */
export type TokenLifespans = Partial<Pick<RealmDocument, 'accessTokenLifespan' | 'ssoSessionIdleTimeout' | 'ssoSessionMaxLifespan' | 'offlineSessionIdleTimeout'>> & {
  offlineSessionMaxLifespanEnabled?: unknown;
  offlineSessionMaxLifespan?: unknown;
};

/** Keycloak's defaults (seconds), for a stored realm document that lacks a field. */
const LIFESPAN_DEFAULTS = { accessTokenLifespan: 300, ssoSessionIdleTimeout: 1_800, ssoSessionMaxLifespan: 36_000, offlineSessionIdleTimeout: 2_592_000, offlineSessionMaxLifespan: 5_184_000 };
const lifespan = (doc: TokenLifespans, key: keyof typeof LIFESPAN_DEFAULTS): number => {
  const value = (doc as Record<string, unknown>)[key];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : LIFESPAN_DEFAULTS[key];
};

/**
 * Default `retireAfter` (seconds): how long a replaced key of `alg` must keep verifying, i.e. the
 * lifetime of the longest-lived token it can have signed. All values are the realm's, in seconds.
 * - HS* keys sign refresh tokens (typ Refresh, lifetime ssoSessionIdleTimeout) and offline tokens
 *   (typ Offline, lifetime offlineSessionIdleTimeout, 30 days by default; when
 *   offlineSessionMaxLifespanEnabled, an offline session may last offlineSessionMaxLifespan, 60 days
 *   by default, which is then counted too as an upper bound):
 *   max(accessTokenLifespan, ssoSessionIdleTimeout, ssoSessionMaxLifespan, offlineSessionIdleTimeout
 *       [, offlineSessionMaxLifespan when offlineSessionMaxLifespanEnabled])
 * - every other alg signs access and id tokens (accessTokenLifespan), and an id token must verify as
 *   `id_token_hint` for as long as its SSO session lives:
 *   max(accessTokenLifespan, ssoSessionMaxLifespan)
 */
export function defaultRetireAfter(doc: TokenLifespans, alg: string): number {
  const base = Math.max(lifespan(doc, 'accessTokenLifespan'), lifespan(doc, 'ssoSessionMaxLifespan'));
  if (!alg.startsWith('HS')) return base;
  const offlineMax = doc.offlineSessionMaxLifespanEnabled === true || doc.offlineSessionMaxLifespanEnabled === 'true' ? lifespan(doc, 'offlineSessionMaxLifespan') : 0;
  return Math.max(base, lifespan(doc, 'ssoSessionIdleTimeout'), lifespan(doc, 'offlineSessionIdleTimeout'), offlineMax);
}

/** ACTIVE keys of `alg` that are not local (held in Vault transit, an HSM, or a composite of other keys). */
export const externalActiveKeys = (keys: KeyRecord[], alg: string): KeyRecord[] => keys.filter((k) => k.alg === alg && k.status === 'ACTIVE' && k.backend !== 'local');

/** Where an external key lives and how to rotate it there (names only, never connection details or secrets). */
function backendOf(key: KeyRecord): { where: string; name: string; how: string } {
  const ref = (key.backendRef ?? {}) as { mount?: unknown; keyName?: unknown; keyId?: unknown; members?: unknown };
  if (key.backend === 'vault-transit') {
    const mount = typeof ref.mount === 'string' ? ref.mount : 'transit';
    const name = typeof ref.keyName === 'string' ? ref.keyName : '<name>';
    return { name: 'Vault', where: `in Vault transit (key ${mount}/${name})`, how: `rotate it in Vault: \`vault write -f ${mount}/keys/${name}/rotate\` (the next key sync picks up the new version)` };
  }
  if (key.backend === 'pkcs11') {
    return { name: 'the HSM', where: `in the HSM (PKCS#11, CKA_ID ${typeof ref.keyId === 'string' ? ref.keyId : '?'})`, how: `rotate it in the HSM: create a new key on the token and a new pkcs11 key provider for it with a higher priority (\`npm start -- keys create --backend pkcs11 --alg ${key.alg} ...\`), then deactivate the old one` };
  }
  if (key.backend === 'composite') {
    const members = Array.isArray(ref.members) ? ref.members.join(' and ') : '?';
    return { name: 'its composite member keys', where: `in a composite of the keys ${members}`, how: 'rotate its member keys in their back ends and create a new composite key provider for them, then deactivate the old one' };
  }
  return { name: key.backend, where: `in the back end ${key.backend}`, how: 'rotate it in that back end' };
}

/** Why `alg` cannot be rotated here, or undefined when its ACTIVE keys are all local. */
export function rotationRefusal(keys: KeyRecord[], alg: string): string | undefined {
  const external = externalActiveKeys(keys, alg);
  if (!external.length) return undefined;
  return external.map((key) => {
    const b = backendOf(key);
    return `refused: the active ${alg} key ${key.kid} is held ${b.where} (back end ${key.backend}); a rotation policy generates new keys in the database and retires the old one, which would move ${alg} signing out of ${b.name}. Do not use a rotation policy for ${alg}; ${b.how}.`;
  }).join(' ');
}

/** @throws ComponentError (400, field `algorithm`) when an ACTIVE key of `alg` is not local. */
export function assertRotatable(keys: KeyRecord[], alg: string): void {
  const refusal = rotationRefusal(keys, alg);
  if (refusal) throw new ComponentError(refusal, 'algorithm');
}

const secondsNow = () => Math.floor(Date.now() / 1000);
const signingKeyOf = (keys: KeyRecord[], alg: string) => keys.filter((k) => k.alg === alg && k.status === 'ACTIVE').sort((a, b) => b.priority - a.priority || b.createdAt.getTime() - a.createdAt.getTime())[0];

/**
 * Replaces the signing key of `alg` now (with a new local key). With `prePublication` seconds the new key is published
 * PASSIVE and signs only once the scheduler activates it; with 0 it signs at once and the old
 * key turns PASSIVE until `retireAfter` has passed.
 * @throws ComponentError, before any change, when an ACTIVE key of `alg` is held by a back end.
 */
export async function rotateKey(db: SqlClient, kek: Buffer, realm: { id: string; doc: RealmDocument }, alg: string, options: { prePublication: number; retireAfter?: number; actor: string; now?: number }): Promise<string> {
  const now = options.now ?? secondsNow();
  const keys = await listKeys(db, realm.id);
  assertRotatable(keys, alg);
  const current = signingKeyOf(keys, alg);
  const priority = Math.max(100, ...keys.filter((k) => k.alg === alg).map((k) => k.priority)) + 1;
  const prePublish = options.prePublication > 0 && current;
  const config: Record<string, string[]> = { algorithm: [alg], priority: [String(priority)], active: [prePublish ? 'false' : 'true'], 'qsign.createdAt': [String(now)] };
  if (prePublish) config['qsign.activateAt'] = [String(now + options.prePublication)];
  const id = await createKeyProvider(db, kek, realm.id, { name: `${providerIdFor(alg)}-${alg.toLowerCase()}-${now}`, providerId: providerIdFor(alg), config }, options.actor);
  if (!prePublish) await retireOthers(db, realm, alg, id, now + (options.retireAfter ?? defaultRetireAfter(realm.doc, alg)), options.actor);
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

/**
 * A policy whose alg has an ACTIVE back-end key (e.g. an HSM key added after the policy) is
 * skipped: no key is generated, activated or retired for that alg (retired local keys are still
 * disabled on time), and one warning per policy and pass goes to `options.log` (realm, alg, kids, back ends).
 */
export async function runRotation(db: SqlClient, kek: Buffer, options: { now?: number; actor?: string; log?: Pick<Logger, 'warn'> } = {}): Promise<RotationAction[]> {
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
        const retireAfter = policy.retireAfter ?? defaultRetireAfter(realm.representation, policy.alg);
        const keys = await listKeys(tx, realm.id);
        const components = new Map((await findComponents(tx, realm.id)).map((c) => [c.id, c]));
        const ofAlg = keys.filter((k) => k.alg === policy.alg);
        // 0. An ACTIVE back-end key of this alg: generating or activating a local key would retire it.
        const external = externalActiveKeys(keys, policy.alg);
        if (external.length) {
          options.log?.warn({
            realm: realm.name, alg: policy.alg, policy: component.name, kids: external.map((k) => k.kid), backends: [...new Set(external.map((k) => k.backend))],
          }, `scheduled key rotation refused for ${policy.alg} in realm ${realm.name}: its active key is held by a back end (${[...new Set(external.map((k) => k.backend))].join(', ')}); rotate it in that back end, or delete the rotation policy`);
        }
        // 1. A pre-published key whose time has come signs; the others step down.
        const due = external.length ? undefined : ofAlg.find((k) => k.status === 'PASSIVE' && Number(first(components.get(k.componentId)?.config, 'qsign.activateAt') ?? Infinity) <= now);
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
        if (!external.length && !due && !pending && (bornAt === undefined || now >= bornAt + policy.rotationPeriod - policy.prePublication)) {
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

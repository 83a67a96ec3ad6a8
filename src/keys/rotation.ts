/**
 * Scheduled key rotation (Keycloak has none), driven by rotation policy components (their config:
 * keys/providers/rotation-policy.ts). Lifecycle of a key: pre-published PASSIVE -> ACTIVE -> PASSIVE -> DISABLED, each step recorded
 * in `key_events` with its actor ("scheduler", "cli", or the admin's username).
 *
 * Rotation only ever generates local keys (sealed in the database). It therefore refuses an alg
 * whose ACTIVE key is held by a back end (Vault transit, PKCS#11, composite): replacing it would
 * move signing out of Vault / the HSM and retire the back-end key. Such keys are rotated in their
 * back end (assertRotatable says how). Refused when the policy is created or updated, by
 * rotateKey (CLI), and by the scheduler, which then changes nothing for that alg and logs a warning.
 */
import type { SqlClient } from '../store/sql.ts';
import type { RealmDocument } from '../realm/representation.ts';
import { listKeys, type KeyRecord } from './repository.ts';
import { providerIdFor } from './generate.ts';
import { ROTATION_POLICY_TYPE, createKeyProvider, findComponent, findComponents, first, updateKeyProvider } from './providers.ts';
import { assertRotatable, externalActiveKeys, parsePolicy } from './providers/rotation-policy.ts';

export { assertRotatable, createRotationPolicy, parsePolicy, rotationRefusal, updateRotationPolicy, type RotationPolicy } from './providers/rotation-policy.ts';
import type { Logger } from '../log.ts';

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

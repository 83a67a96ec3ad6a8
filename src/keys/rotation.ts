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
import type { RealmDocument } from '../model/representation.ts';
import { listKeys, setKeySchedule } from './repository.ts';
import { providerIdFor } from './generate.ts';
import {
  ROTATION_POLICY_TYPE,
  createKeyProvider,
  findComponent,
  findComponents,
  updateKeyProvider,
} from './providers.ts';
import { assertRotatable, parsePolicy } from './providers/rotation-policy.ts';
import { plan, signingKeyOf, type Transition } from './rotation-plan.ts';

export {
  assertRotatable,
  createRotationPolicy,
  parsePolicy,
  rotationRefusal,
  updateRotationPolicy,
  type RotationPolicy,
} from './providers/rotation-policy.ts';
import type { Logger } from '../log.ts';
import { tokenLifetime, type TokenLifespans } from './token-lifetime.ts';

export type { TokenLifespans } from './token-lifetime.ts';

/**
 * Default `retireAfter` (seconds): how long a replaced key of `alg` must keep verifying, i.e. the
 * lifetime of the longest-lived token it can have signed (keys/token-lifetime.ts gives the rule).
 */
export const defaultRetireAfter = (doc: TokenLifespans, alg: string): number =>
  tokenLifetime(doc, alg);

const secondsNow = () => Math.floor(Date.now() / 1000);

/**
 * Replaces the signing key of `alg` now (with a new local key). With `prePublication` seconds the new key is published
 * PASSIVE and signs only once the scheduler activates it (its `activate_at`); with 0 it signs at
 * once and the old key turns PASSIVE until `retireAfter` has passed (its `retire_at`). The new key
 * is published at `now` (its `published_at`, from which its rotation period runs).
 * @throws ComponentError, before any change, when an ACTIVE key of `alg` is held by a back end.
 */
export async function rotateKey(
  db: SqlClient,
  kek: Buffer,
  realm: { id: string; doc: RealmDocument },
  alg: string,
  options: { prePublication: number; retireAfter?: number; actor: string; now?: number },
): Promise<string> {
  const now = options.now ?? secondsNow();
  const keys = await listKeys(db, realm.id);
  assertRotatable(keys, alg);
  const current = signingKeyOf(keys, alg);
  const priority = Math.max(100, ...keys.filter((k) => k.alg === alg).map((k) => k.priority)) + 1;
  const prePublish = options.prePublication > 0 && current !== undefined;
  const config: Record<string, string[]> = {
    algorithm: [alg],
    priority: [String(priority)],
    active: [prePublish ? 'false' : 'true'],
  };
  const id = await createKeyProvider(
    db,
    kek,
    realm.id,
    {
      name: `${providerIdFor(alg)}-${alg.toLowerCase()}-${now}`,
      providerId: providerIdFor(alg),
      config,
    },
    options.actor,
  );
  await setKeySchedule(db, realm.id, id, {
    publishedAt: now,
    ...(prePublish ? { activateAt: now + options.prePublication } : {}),
  });
  if (!prePublish) {
    const retireAt = now + (options.retireAfter ?? defaultRetireAfter(realm.doc, alg));
    for (const key of keys.filter((k) => k.alg === alg && k.status === 'ACTIVE'))
      await retire(db, realm.id, key.componentId, retireAt, options.actor);
  }
  return id;
}

/** The component's keys step down to PASSIVE, to be disabled at `retireAt` (epoch seconds). */
async function retire(
  db: SqlClient,
  realmId: string,
  componentId: string,
  retireAt: number,
  actor: string,
): Promise<void> {
  const component = await findComponent(db, realmId, componentId, true);
  if (!component) return;
  await updateKeyProvider(db, realmId, component, { config: { active: ['false'] } }, actor);
  await setKeySchedule(db, realmId, componentId, { retireAt });
}

/**
 * Applies one policy's transitions (rotation-plan.ts) inside the caller's transaction.
 * @returns the actions taken, as messages.
 */
async function applyPlan(
  tx: SqlClient,
  kek: Buffer,
  realm: { id: string; doc: RealmDocument },
  transitions: Transition[],
  now: number,
  actor: string,
): Promise<string[]> {
  const messages: string[] = [];
  const retired = new Set<string>();
  for (const t of transitions) {
    const component =
      'componentId' in t ? await findComponent(tx, realm.id, t.componentId, true) : undefined;
    if (t.action === 'activate' && component) {
      await updateKeyProvider(tx, realm.id, component, { config: { active: ['true'] } }, actor);
      await setKeySchedule(tx, realm.id, t.componentId, { activateAt: null });
      messages.push(`${component.config.algorithm?.[0]} key ${t.kid} activated`);
    } else if (t.action === 'retire' && !retired.has(t.componentId)) {
      retired.add(t.componentId);
      await retire(tx, realm.id, t.componentId, t.retireAt, actor);
    } else if (t.action === 'create') {
      await rotateKey(tx, kek, realm, t.alg, {
        prePublication: t.prePublication,
        retireAfter: t.retireAfter,
        actor,
        now,
      });
      messages.push(`${t.alg} next key pre-published`);
    } else if (t.action === 'disable' && component) {
      await updateKeyProvider(tx, realm.id, component, { config: { enabled: ['false'] } }, actor);
      messages.push(`${component.config.algorithm?.[0]} key ${t.kid} disabled`);
    }
  }
  return messages;
}

/**
 * One scheduler pass over every realm's policies (safe to run from several processes: a realm is
 * skipped while another process holds its advisory lock). Returns the actions taken.
 */
export interface RotationAction {
  realm: string;
  message: string;
}

/**
 * Each policy's pass is planned from its realm's keys (rotation-plan.ts) and applied in the realm's
 * transaction. A policy whose alg has an ACTIVE back-end key (e.g. an HSM key added after the
 * policy) is skipped: no key is generated, activated or retired for that alg (retired local keys are still
 * disabled on time), and one warning per policy and pass goes to `options.log` (realm, alg, kids, back ends).
 */
export async function runRotation(
  db: SqlClient,
  kek: Buffer,
  options: { now?: number; actor?: string; log?: Pick<Logger, 'warn'> } = {},
): Promise<RotationAction[]> {
  const now = options.now ?? secondsNow();
  const actor = options.actor ?? 'scheduler';
  const actions: RotationAction[] = [];
  const realms = await db.query<{ id: string; name: string; representation: RealmDocument }>(
    `SELECT DISTINCT r.id, r.name, r.representation FROM realms r JOIN components c ON c.realm_id = r.id WHERE c.provider_type = $1`,
    [ROTATION_POLICY_TYPE],
  );
  for (const realm of realms) {
    await db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_xact_lock(hashtext('qsign-rotation:' || $1)) AS locked",
        [realm.id],
      );
      if (!lock.locked) return;
      const ref = { id: realm.id, doc: realm.representation };
      for (const component of await findComponents(tx, realm.id, { type: ROTATION_POLICY_TYPE })) {
        const policy = parsePolicy(component.id, component.config);
        const retireAfter =
          policy.retireAfter ?? defaultRetireAfter(realm.representation, policy.alg);
        const transitions = plan(
          {
            ...policy,
            retireAfter,
            tokenLifetime: tokenLifetime(realm.representation, policy.alg),
          },
          await listKeys(tx, realm.id),
          now,
        );
        for (const refused of transitions.filter((t) => t.action === 'refuse')) {
          options.log?.warn(
            {
              realm: realm.name,
              alg: refused.alg,
              policy: component.name,
              kids: refused.kids,
              backends: refused.backends,
            },
            `scheduled key rotation refused for ${refused.alg} in realm ${realm.name}: its active key is held by a back end (${refused.backends.join(', ')}); rotate it in that back end, or delete the rotation policy`,
          );
        }
        for (const message of await applyPlan(tx, kek, ref, transitions, now, actor))
          actions.push({ realm: realm.name, message });
      }
    });
  }
  return actions;
}

/** The /certs `max-age` (seconds): at most 60, and under half of the shortest pre-publication window. */
export async function jwksMaxAge(db: SqlClient, realmId: string): Promise<number> {
  const windows = (await findComponents(db, realmId, { type: ROTATION_POLICY_TYPE })).map(
    (c) => parsePolicy(c.id, c.config).prePublication,
  );
  return Math.max(0, Math.min(60, ...windows.map((w) => Math.floor(w / 2))));
}

/**
 * One scheduler pass for one rotation policy, as data: `plan(policy, keys, now)` says what is to
 * happen to the realm's keys of the policy's alg, from their lifecycle columns (`activate_at`,
 * `retire_at`, `published_at`, migration 13); keys/rotation.ts applies the transitions in one
 * transaction. Pure: no I/O, no clock (times in epoch seconds).
 *
 * A pass, in order:
 * 1. a pre-published (PASSIVE) key whose `activateAt` has come signs, and every other ACTIVE key of
 *    the alg steps down to PASSIVE, retiring at now + retireAfter;
 * 2. otherwise, when no key is pre-published and the signing key was published (or, never, made)
 *    at least rotationPeriod - prePublication ago (or there is none), the next key is made
 *    (pre-published for prePublication seconds when a key signs now);
 * 3. PASSIVE keys whose `retireAt` has come are disabled, but not before every token they signed has
 *    expired (keys/removal-guard.ts removableAfter, with the policy's `tokenLifetime`): such a key
 *    stays PASSIVE (verifying) and is disabled by the first pass after that moment.
 * An ACTIVE key of the alg held by a back end (Vault, HSM, composite) stops 1 and 2: rotating
 * would move signing out of that back end (keys/providers/rotation-policy.ts says why); 3 goes on.
 */
import type { SignerStatus } from '../signer/signer.ts';
import { removableAfter } from './removal-guard.ts';

/** What the plan reads of a key (a KeyRecord fits). */
export interface PlannedKey {
  kid: string;
  alg: string;
  status: SignerStatus;
  priority: number;
  componentId: string;
  backend: string;
  createdAt: Date;
  activateAt: Date | null;
  retireAt: Date | null;
  publishedAt: Date | null;
  /** The deletion guard's record (migration 14); absent or null: never signed. */
  signedUntil?: Date | null;
  signedLifetime?: number | null;
}

/** The policy as the plan needs it: its alg and seconds (retireAfter resolved to the realm's default when unset). */
export interface PlanPolicy {
  alg: string;
  rotationPeriod: number;
  prePublication: number;
  retireAfter: number;
  /** The realm's longest token lifetime for the alg now (keys/token-lifetime.ts); 0 when absent. */
  tokenLifetime?: number;
}

export type Transition =
  | { action: 'activate'; kid: string; componentId: string }
  | { action: 'retire'; kid: string; componentId: string; retireAt: number }
  | { action: 'create'; alg: string; prePublication: number; retireAfter: number }
  | { action: 'disable'; kid: string; componentId: string }
  /** Nothing is rotated for the alg: its ACTIVE keys are held by a back end. */
  | { action: 'refuse'; alg: string; kids: string[]; backends: string[] };

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const due = (date: Date | null, now: number) => date !== null && seconds(date) <= now;
/** Every token the key signed has expired by `now` (epoch seconds). */
const removable = (key: PlannedKey, lifetime: number, now: number) => {
  const at = removableAfter(
    { signedUntil: key.signedUntil ?? null, signedLifetime: key.signedLifetime ?? null },
    lifetime,
  );
  return at === null || seconds(at) <= now;
};

/** The key that signs `alg` (Keycloak's selection: ACTIVE, highest priority, newest). */
export const signingKeyOf = <K extends PlannedKey>(keys: K[], alg: string): K | undefined =>
  keys
    .filter((k) => k.alg === alg && k.status === 'ACTIVE')
    .sort((a, b) => b.priority - a.priority || b.createdAt.getTime() - a.createdAt.getTime())[0];

/**
 * The transitions of one pass at `now` (epoch seconds) for `policy` over the realm's `keys` (in
 * the store's order: priority, then newest, first).
 */
export function plan(policy: PlanPolicy, keys: PlannedKey[], now: number): Transition[] {
  const ofAlg = keys.filter((k) => k.alg === policy.alg);
  const external = ofAlg.filter((k) => k.status === 'ACTIVE' && k.backend !== 'local');
  const out: Transition[] = [];
  if (external.length)
    out.push({
      action: 'refuse',
      alg: policy.alg,
      kids: external.map((k) => k.kid),
      backends: [...new Set(external.map((k) => k.backend))],
    });
  const activated = external.length
    ? undefined
    : ofAlg.find((k) => k.status === 'PASSIVE' && due(k.activateAt, now));
  if (activated) {
    out.push({ action: 'activate', kid: activated.kid, componentId: activated.componentId });
    for (const k of ofAlg.filter(
      (key) => key.status === 'ACTIVE' && key.componentId !== activated.componentId,
    )) {
      out.push({
        action: 'retire',
        kid: k.kid,
        componentId: k.componentId,
        retireAt: now + policy.retireAfter,
      });
    }
  } else if (
    !external.length &&
    !ofAlg.some((k) => k.status === 'PASSIVE' && k.activateAt !== null)
  ) {
    const signing = signingKeyOf(ofAlg, policy.alg);
    const bornAt = signing ? seconds(signing.publishedAt ?? signing.createdAt) : undefined;
    if (bornAt === undefined || now >= bornAt + policy.rotationPeriod - policy.prePublication) {
      out.push({
        action: 'create',
        alg: policy.alg,
        prePublication: policy.prePublication,
        retireAfter: policy.retireAfter,
      });
    }
  }
  for (const k of ofAlg.filter(
    (key) =>
      key.status === 'PASSIVE' &&
      key !== activated &&
      due(key.retireAt, now) &&
      removable(key, policy.tokenLifetime ?? 0, now),
  )) {
    out.push({ action: 'disable', kid: k.kid, componentId: k.componentId });
  }
  return out;
}

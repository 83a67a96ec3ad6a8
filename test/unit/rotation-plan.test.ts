/**
 * The scheduler's pass as data (keys/rotation-plan.ts): which transitions one rotation policy asks
 * for at a given time, from the keys' lifecycle columns. Pure: no store, no clock.
 */
import { describe, expect, it } from 'vitest';
import { plan, type PlannedKey } from '../../src/keys/rotation-plan.ts';

const at = (seconds: number) => new Date(seconds * 1000);
const policy = { alg: 'ML-DSA-65', rotationPeriod: 100, prePublication: 20, retireAfter: 30 };
let n = 0;
/** A key of the policy's alg, local and ACTIVE unless said otherwise, published at t=0. */
const key = (over: Partial<PlannedKey> = {}): PlannedKey => {
  n += 1;
  return {
    kid: `k${n}`,
    alg: 'ML-DSA-65',
    status: 'ACTIVE',
    priority: 100,
    componentId: `c${n}`,
    backend: 'local',
    createdAt: at(0),
    activateAt: null,
    retireAt: null,
    publishedAt: at(0),
    ...over,
  };
};

describe('rotation plan', () => {
  it('makes the first key of an alg at once, and the next one rotationPeriod - prePublication after the signing key was published', () => {
    expect(plan(policy, [], 5)).toEqual([
      { action: 'create', alg: 'ML-DSA-65', prePublication: 20, retireAfter: 30 },
    ]);
    const signing = key({ publishedAt: at(1000) });
    expect(plan(policy, [signing], 1079)).toEqual([]);
    expect(plan(policy, [signing], 1080)).toEqual([
      { action: 'create', alg: 'ML-DSA-65', prePublication: 20, retireAfter: 30 },
    ]);
    // Keys of other algs do not count; a key never published counts from its creation.
    expect(plan(policy, [key({ alg: 'RS256', publishedAt: at(1000) })], 1000)).toHaveLength(1);
    expect(plan(policy, [key({ publishedAt: null, createdAt: at(1000) })], 1079)).toEqual([]);
  });

  it('activates a pre-published key when its time comes and retires the other active keys; nothing new meanwhile', () => {
    const signing = key();
    const next = key({
      status: 'PASSIVE',
      activateAt: at(100),
      publishedAt: at(80),
      priority: 101,
    });
    expect(plan(policy, [next, signing], 99)).toEqual([]);
    expect(plan(policy, [next, signing], 100)).toEqual([
      { action: 'activate', kid: next.kid, componentId: next.componentId },
      { action: 'retire', kid: signing.kid, componentId: signing.componentId, retireAt: 130 },
    ]);
  });

  it('disables retired keys when their retire time comes, and only those', () => {
    const signing = key({ publishedAt: at(100) });
    const retired = key({ status: 'PASSIVE', retireAt: at(130) });
    const verifying = key({ status: 'PASSIVE' });
    expect(plan(policy, [signing, retired, verifying], 129)).toEqual([]);
    expect(plan(policy, [signing, retired, verifying], 130)).toEqual([
      { action: 'disable', kid: retired.kid, componentId: retired.componentId },
    ]);
    expect(plan(policy, [signing, key({ status: 'DISABLED', retireAt: at(1) })], 130)).toEqual([]);
  });

  it('never touches an alg whose active key is held by a back end, but still disables retired local keys', () => {
    const vault = key({ backend: 'vault-transit', kid: 'pq-key-v1-abc' });
    const next = key({ status: 'PASSIVE', activateAt: at(10) });
    const retired = key({ status: 'PASSIVE', retireAt: at(10) });
    expect(plan(policy, [vault, next, retired], 1000)).toEqual([
      { action: 'refuse', alg: 'ML-DSA-65', kids: ['pq-key-v1-abc'], backends: ['vault-transit'] },
      { action: 'disable', kid: retired.kid, componentId: retired.componentId },
    ]);
  });

  it('the whole cycle, pass by pass: pre-publish, activate, retire, disable', () => {
    let keys = [key({ publishedAt: at(0) })];
    const first = keys[0];
    expect(plan(policy, keys, 80).map((t) => t.action)).toEqual(['create']);
    keys = [key({ status: 'PASSIVE', publishedAt: at(80), activateAt: at(100) }), first];
    expect(plan(policy, keys, 90)).toEqual([]);
    expect(plan(policy, keys, 100).map((t) => t.action)).toEqual(['activate', 'retire']);
    keys = [
      { ...keys[0], status: 'ACTIVE', activateAt: null },
      { ...first, status: 'PASSIVE', retireAt: at(130) },
    ];
    expect(plan(policy, keys, 129)).toEqual([]);
    expect(plan(policy, keys, 130)).toEqual([
      { action: 'disable', kid: first.kid, componentId: first.componentId },
    ]);
    expect(plan(policy, keys, 160).map((t) => t.action)).toEqual(['create', 'disable']);
  });

  it('does not disable a retired key before every token it signed has expired (the deletion guard), then does', () => {
    // Retired at 130 (retireAfter 30), but it signed until 200 tokens living 60 s: removable from 260.
    const retired = key({
      status: 'PASSIVE',
      retireAt: at(130),
      signedUntil: at(200),
      signedLifetime: 60,
    });
    const signing = key({ publishedAt: at(1000) });
    expect(plan(policy, [signing, retired], 130)).toEqual([]);
    expect(plan(policy, [signing, retired], 259)).toEqual([]);
    expect(plan(policy, [signing, retired], 260)).toEqual([
      { action: 'disable', kid: retired.kid, componentId: retired.componentId },
    ]);
    // The realm's lifetime now counts too when it is longer than the recorded one.
    expect(plan({ ...policy, tokenLifetime: 120 }, [signing, retired], 260)).toEqual([]);
    expect(plan({ ...policy, tokenLifetime: 120 }, [signing, retired], 320)).toHaveLength(1);
    // A key that never signed is disabled at its retireAt.
    const silent = key({ status: 'PASSIVE', retireAt: at(130) });
    expect(plan({ ...policy, tokenLifetime: 120 }, [signing, silent], 130)).toEqual([
      { action: 'disable', kid: silent.kid, componentId: silent.componentId },
    ]);
  });
});

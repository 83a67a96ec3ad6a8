import { describe, expect, it } from 'vitest';
import {
  restartDelayFor,
  RESTART_FIRST_MS,
  RESTART_MAX_MS,
  RESTART_STABLE_MS,
} from '../../src/cluster.ts';

describe('cluster supervisor restart delay', () => {
  it('replaces a worker that lived long enough at once', () => {
    expect(restartDelayFor(RESTART_STABLE_MS, 16_000)).toBe(0);
  });

  it('doubles the wait for workers that die young, from the first to the maximum', () => {
    const waits: number[] = [];
    let wait = 0;
    for (let i = 0; i < 7; i += 1) waits.push((wait = restartDelayFor(10, wait)));
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(waits[0]).toBe(RESTART_FIRST_MS);
    expect(waits.at(-1)).toBe(RESTART_MAX_MS);
  });
});

import { describe, expect, it } from 'vitest';
import { assertJsonDepth, JsonDepthError } from '../../src/json-depth.ts';

const nested = (depth: number) => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

describe('assertJsonDepth', () => {
  it('accepts documents up to the limit', () => {
    expect(() => assertJsonDepth(nested(64), 64)).not.toThrow();
    expect(() => assertJsonDepth({ a: { b: [1, 'x', null] } }, 3)).not.toThrow();
  });
  it('refuses a document one level deeper, and a 100k-deep one without overflowing the stack', () => {
    expect(() => assertJsonDepth(nested(65), 64)).toThrow(JsonDepthError);
    expect(() => assertJsonDepth(nested(100_000))).toThrow('nested deeper than 64 levels');
  });
});

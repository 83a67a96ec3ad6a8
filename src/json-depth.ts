/**
 * Nesting limit for JSON the server is handed (admin request bodies, realm files). `JSON.parse`
 * itself copes with any depth, but the recursive code after it (copying, validation, jsonb
 * encoding, `JSON.stringify`) overflows the stack on a 100k-deep document and answers 500
 * (RangeError). Keycloak's own realm files nest less than 12 levels deep.
 */
import { QsignError } from './errors.ts';

/** Default maximum nesting (objects and arrays) of accepted JSON. */
export const MAX_JSON_DEPTH = 64;

/** A JSON value nested deeper than allowed; `depth` is the limit that was passed. */
export class JsonDepthError extends QsignError {
  readonly depth: number;
  constructor(depth: number) {
    super('ERR_JSON_TOO_DEEP', `JSON is nested deeper than ${depth} levels`);
    this.name = 'JsonDepthError';
    this.depth = depth;
  }
}

/**
 * Walks `value` without recursion (so it cannot itself overflow the stack).
 * @throws JsonDepthError when objects/arrays are nested more than `max` levels deep.
 */
export function assertJsonDepth(value: unknown, max = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) throw new JsonDepthError(max);
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}

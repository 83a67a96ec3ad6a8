/**
 * `q=` of the user search parsed as Keycloak's SearchQueryUtils.getFields; the cases are those of
 * Keycloak's SearchQueryUtilsTest.testGetFields (services/src/test/java/org/keycloak/utils/).
 */
import { describe, expect, it } from 'vitest';
import { searchQueryFields } from '../../src/admin/query-params.ts';

describe('searchQueryFields (SearchQueryUtils.getFields)', () => {
  it.each([
    [
      '   key1:val1 nokey key2:"val 2" key3:val3   ',
      [
        ['key1', 'val1'],
        ['key2', 'val 2'],
        ['key3', 'val3'],
      ],
    ],
    ['   key1:val1   ', [['key1', 'val1']]],
    ['   key1:"val1"   ', [['key1', 'val1']]],
    ['key1:val="123456"', [['key1', 'val="123456"']]],
    ['key1:"val=\\"12 34 56\\""', [['key1', 'val="12 34 56"']]],
    ['   "key 1":val1', [['key 1', 'val1']]],
    ['"key \\"1\\"":val1', [['key "1"', 'val1']]],
    ['"key \\"1\\"":"val \\"1\\""', [['key "1"', 'val "1"']]],
  ])('%s', (query, expected) => {
    expect(searchQueryFields(query)).toEqual(expected);
  });
});

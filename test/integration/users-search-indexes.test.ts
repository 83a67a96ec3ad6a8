/**
 * The store's user search (store/users.ts) with Keycloak's `search` semantics and the indexes that
 * keep it O(log n) at a million users (migration users-scale-indexes, issue 22):
 * - `search` (JpaUserProvider.searchForUserStream / getSearchOptionPredicateArray): each
 *   whitespace-separated token must match username, email, first or last name; `x` and `x*` are
 *   prefixes, `*x*` a substring, `"x"` equality, all ignoring case; `%` and `_` are literal;
 * - the planner answers each filter from its index over 5,000 users (a plan, not a timing; the
 *   bench measures the curve: bench/scale/users.ts).
 * Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testStores } from '../helpers/components.ts';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { importRealm, parseRealm } from '../../src/realm/import.ts';
import { findRealm } from '../../src/store/realms.ts';
import { countUsers, searchUsers, type UserSearch } from '../../src/store/users.ts';

const REALM = {
  realm: 'si',
  users: [
    { username: 'anna', firstName: 'Anna', lastName: 'Berg', email: 'anna@example.org' },
    { username: 'annabel', firstName: 'Annabel', lastName: 'Lee', email: 'bel@example.org' },
    { username: 'joanna', firstName: 'Jo', lastName: 'Smith', email: 'jo@example.org' },
    { username: 'ben_b', firstName: 'Ben', lastName: 'Berger', attributes: { emp: ['E-7'] } },
    { username: 'benxb', firstName: 'Benny', lastName: 'Annan', attributes: { emp: ['e-8'] } },
  ],
};

const stores = await testStores();

describe.each(stores)('user search semantics and indexes on $name', (store) => {
  let db: SqlClient;
  let realmId: string;
  let drop: (() => Promise<void>) | undefined;
  const names = async (q: UserSearch) => (await searchUsers(db, realmId, q)).map((u) => u.username);

  beforeAll(async () => {
    const database = await store.databaseUrl?.();
    drop = database?.drop;
    db = await openSqlClient({ databaseUrl: database?.url, dataDir: 'memory://' });
    await migrate(db);
    await importRealm(db, Buffer.alloc(32, 3), parseRealm(REALM, 'test'));
    realmId = (await findRealm(db, 'si'))!.id;
    // 5,000 more users none of the searches below match, so the planner weighs the indexes as it
    // would on a real realm (on a handful of rows any plan is as good).
    await db.query(
      `INSERT INTO users (id, realm_id, username, email, representation)
       SELECT 'filler-' || i, $1, 'zz' || i, 'zz' || i || '@example.net',
         jsonb_build_object('username', 'zz' || i, 'firstName', 'Zed', 'lastName', 'Zulu' || i,
           'attributes', jsonb_build_object('emp', jsonb_build_array('z' || i)))
       FROM generate_series(1, 5000) AS i`,
      [realmId],
    );
    await db.query('ANALYZE users');
  }, 180_000);
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('search is a prefix over username, email, first and last name, ignoring case', async () => {
    expect(await names({ search: 'ANN' })).toEqual(['anna', 'annabel', 'benxb']);
    expect(await names({ search: 'ann*' })).toEqual(['anna', 'annabel', 'benxb']);
    expect(await names({ search: 'bel@' })).toEqual(['annabel']);
    expect(await names({ search: 'berg' })).toEqual(['anna', 'ben_b']);
    expect(await countUsers(db, realmId, { search: 'ann' })).toBe(3);
  });

  it('*x* is a substring, "x" equality, several tokens must all match, % and _ are literal', async () => {
    expect(await names({ search: '*anna*' })).toEqual(['anna', 'annabel', 'benxb', 'joanna']);
    expect(await names({ search: '"anna"' })).toEqual(['anna']);
    expect(await names({ search: '"berg"' })).toEqual(['anna']);
    expect(await names({ search: 'ann lee' })).toEqual(['annabel']);
    expect(await names({ search: 'ben_' })).toEqual(['ben_b']);
    expect(await names({ search: 'b%' })).toEqual([]);
  });

  it('q= attribute values match ignoring case, names exactly', async () => {
    expect(await names({ attributes: [['emp', 'e-7']] })).toEqual(['ben_b']);
    expect(await names({ attributes: [['emp', 'E-8']] })).toEqual(['benxb']);
    expect(await names({ attributes: [['EMP', 'e-8']] })).toEqual([]);
    expect(await countUsers(db, realmId, { attributes: [['emp', 'e-7']] })).toBe(1);
  });

  it('each filter can be served by its index', async () => {
    const plan = (q: UserSearch, count = false) =>
      db.transaction(async (tx) => {
        const rows: Record<string, string>[] = [];
        const capture: SqlClient = {
          ...tx,
          query: async <T>(text: string, params?: unknown[]) => {
            rows.push(...(await tx.query<Record<string, string>>(`EXPLAIN ${text}`, params)));
            return [] as T[];
          },
        };
        await (count ? countUsers(capture, realmId, q) : searchUsers(capture, realmId, q));
        return rows.map((r) => Object.values(r)[0]).join('\n');
      });
    // Which index serves a prefix depends on the collation (PGlite's C collation lets the plain
    // btree indexes serve LIKE 'x%'; PostgreSQL's C.UTF-8 needs the text_pattern_ops ones).
    for (const q of [
      { search: 'ann' },
      { search: '"anna"' },
      { search: 'ann lee' },
      { attributes: [['emp', 'e-7']] },
    ] as UserSearch[]) {
      const text = await plan(q);
      expect({ q, text }).toMatchObject({ q, text: expect.stringMatching(/Index/) });
      expect({ q, text }).not.toMatchObject({ q, text: expect.stringMatching(/Seq Scan/) });
    }
    expect(await plan({ attributes: [['emp', 'e-7']] })).toContain('users_attribute_terms');
    expect(await plan({ search: 'ann' }, true)).not.toContain('Seq Scan');
  });
});

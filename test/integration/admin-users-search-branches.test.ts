/**
 * User search as Keycloak 26's UsersResource.getUsers / getUsersCount decide it, through
 * @keycloak/keycloak-admin-client, with expected results reasoned from Keycloak's code:
 * - `search` (JpaUserProvider SEARCH, documented on the resource: "Default search behavior is
 *   prefix-based (e.g., foo or foo*). Use *foo* for infix search and "foo" for exact search"),
 *   across username, email, first and last name, ignoring case; `id:<id>` looks one user up;
 *   with `search` only `enabled` still filters (the other parameters are another branch), and
 *   service accounts are left out (INCLUDE_SERVICE_ACCOUNT false);
 * - the field filters (username, email, firstName, lastName: substring unless `exact`) list
 *   service accounts too (INCLUDE_SERVICE_ACCOUNT true); no parameter lists every user but them;
 * - `count`: the search branch counts without `enabled`; the field branch takes no `exact`.
 * Users listed in username order; `first` / `max` page.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import path from 'node:path';
import type KcAdminClient from '@keycloak/keycloak-admin-client';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { adminCall, masterAdmin } from '../helpers/admin.ts';

const REALM = {
  realm: 'sb',
  clients: [
    {
      clientId: 'robot',
      secret: 'robot-secret',
      publicClient: false,
      serviceAccountsEnabled: true,
    },
  ],
  users: [
    { username: 'anna', firstName: 'Anna', lastName: 'Berg', email: 'anna@example.org' },
    { username: 'annabel', firstName: 'Annabel', lastName: 'Lee', email: 'annabel@example.org' },
    { username: 'ben', firstName: 'Ben', lastName: 'Berg', enabled: false },
    { username: 'service-account-robot', serviceAccountClientId: 'robot' },
  ],
};

let server: TestServer;
let kc: KcAdminClient;
const find = async (q: Record<string, unknown>) =>
  (await kc.users.find({ realm: 'sb', ...q } as never)).map((u) => u.username);
const count = async (query: string) =>
  (await adminCall(server.baseUrl, (await kc.getAccessToken())!, 'GET', `/sb/users/count?${query}`))
    .body;

beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [REALM],
  });
  kc = await masterAdmin(server.baseUrl);
}, 180_000);
afterAll(async () => {
  await server?.close();
});

it('search is a prefix search; * is a wildcard (infix with *foo*); "foo" matches whole values', async () => {
  expect(await find({ search: 'ann' })).toEqual(['anna', 'annabel']);
  expect(await find({ search: 'nna' })).toEqual([]);
  expect(await find({ search: '*nna' })).toEqual(['anna', 'annabel']);
  expect(await find({ search: 'a*bel' })).toEqual(['annabel']);
  expect(await find({ search: '"anna"' })).toEqual(['anna']);
  expect(await find({ search: '"ANNA@example.org"' })).toEqual(['anna']);
  // last names and e-mail addresses are searched too, ignoring case
  expect(await find({ search: 'BERG' })).toEqual(['anna', 'ben']);
  expect(await find({ search: '  ann  ' })).toEqual(['anna', 'annabel']);
  // % and _ are no wildcards
  expect(await find({ search: 'a%' })).toEqual([]);
  expect(await find({ search: '*' })).toEqual(['anna', 'annabel', 'ben']);
});

it('with search only enabled filters too; id: finds one user; service accounts are not searched', async () => {
  expect(await find({ search: 'berg', enabled: false })).toEqual(['ben']);
  expect(await find({ search: 'ann', lastName: 'Lee' })).toEqual(['anna', 'annabel']);
  const [anna] = await kc.users.find({ realm: 'sb', username: 'anna', exact: true });
  expect(await find({ search: `id:${anna.id}` })).toEqual(['anna']);
  expect(await find({ search: 'service' })).toEqual([]);
});

it('field filters are substrings (whole values with exact) and list service accounts', async () => {
  expect(await find({ username: 'nna' })).toEqual(['anna', 'annabel']);
  expect(await find({ username: 'anna', exact: true })).toEqual(['anna']);
  expect(await find({ email: 'EXAMPLE.org' })).toEqual(['anna', 'annabel']);
  expect(await find({ lastName: 'berg', enabled: true })).toEqual(['anna']);
  expect(await find({ username: 'service-account' })).toEqual(['service-account-robot']);
  expect(await find({})).toEqual(['anna', 'annabel', 'ben']);
  expect(await find({ search: '*', first: 1, max: 1 })).toEqual(['annabel']);
});

it('count: the search branch ignores enabled; the field branch has no exact', async () => {
  expect(await count('search=*nna')).toBe(2);
  expect(await count('search=berg&enabled=false')).toBe(2);
  expect(await count('username=anna&exact=true')).toBe(2);
  expect(await count('lastName=berg&enabled=false')).toBe(1);
  expect(await count('')).toBe(3);
});

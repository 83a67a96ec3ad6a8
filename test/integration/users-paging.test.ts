/**
 * `GET /admin/realms/{realm}/users` pages with Keycloak's `first` and `max` (integers >= 0); a bad
 * value is a 400 {"error": "..."} instead of a PostgreSQL error (500), and a repeated parameter
 * counts once, as in JAX-RS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';

let server: TestServer;
let kc: KcAdminClient;
beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    // 3 named users and 150 more, so that a count is more than one page (the default max is 100).
    realms: [
      {
        realm: 'paged',
        users: [
          'ann',
          'ben',
          'cid',
          ...Array.from({ length: 150 }, (_, i) => `user-${String(i).padStart(3, '0')}`),
        ].map((username) => ({ username })),
      },
    ],
  });
  kc = await masterAdmin(server.baseUrl);
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const get = async (query: string) => {
  const response = await fetch(`${server.baseUrl}/admin/realms/paged/users${query}`, {
    headers: { authorization: `Bearer ${await kc.getAccessToken()}` },
  });
  return { status: response.status, body: (await response.json()) as unknown };
};

describe('users paging', () => {
  it('pages with first and max', async () => {
    expect(
      (await kc.users.find({ realm: 'paged', first: 1, max: 1 })).map((u) => u.username),
    ).toEqual(['ben']);
    expect(await kc.users.find({ realm: 'paged', max: 0 })).toEqual([]);
    expect((await get('?username=ann&username=ben')).body).toMatchObject([{ username: 'ann' }]);
    expect(await get('/count?first=abc')).toEqual({ status: 200, body: 153 });
  });

  it('counts every match, not one page of them (UsersResource.getUsersCount ignores first and max)', async () => {
    expect(await get('/count')).toEqual({ status: 200, body: 153 });
    expect(await get('/count?max=10')).toEqual({ status: 200, body: 153 });
    expect(await get('/count?search=user-1')).toEqual({ status: 200, body: 50 });
    expect(await kc.users.count({ realm: 'paged', username: 'ann' })).toBe(1);
  });

  it('answers a bad first or max with 400 and an error body', async () => {
    for (const [query, name] of [
      ['max=abc', 'max'],
      ['max=-1', 'max'],
      ['max=1e3', 'max'],
      ['max=', 'max'],
      ['first=x', 'first'],
      ['first=99999999999', 'first'],
    ]) {
      expect({ query, ...(await get(`?${query}`)) }).toEqual({
        query,
        status: 400,
        body: { error: `Invalid value for '${name}', expected an integer from 0 to 2147483647` },
      });
    }
  });
});

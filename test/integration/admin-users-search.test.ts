/**
 * User search with Keycloak 26's query parameters (UsersResource.getUsers / getUsersCount) through
 * @keycloak/keycloak-admin-client: `q` (attribute name:value pairs, SearchQueryUtils; value
 * compared ignoring case as JpaUserProvider does), `enabled`, `emailVerified`, `exact`,
 * `firstName`, `lastName`, `idpAlias` (no identity providers here: no user is linked, so the
 * answer is empty) and `briefRepresentation` (ModelToRepresentation.toBriefRepresentation: no
 * attributes, no required actions). Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { type TestServer, startStoreServer } from '../helpers/server.ts';
import { testStores } from '../helpers/components.ts';
import { adminCall, masterAdmin } from '../helpers/admin.ts';

const REALM = {
  realm: 'us',
  users: [
    {
      username: 'anna',
      firstName: 'Anna',
      lastName: 'Berg',
      email: 'anna@example.org',
      emailVerified: true,
      attributes: { dept: ['Sales'], city: ['Oslo', 'Bergen'] },
      requiredActions: ['VERIFY_EMAIL'],
    },
    {
      username: 'annabel',
      firstName: 'Annabel',
      lastName: 'Lee',
      email: 'annabel@example.org',
      attributes: { dept: ['sales'], city: ['Rome'] },
    },
    {
      username: 'ben',
      firstName: 'Ben',
      lastName: 'Berg',
      enabled: false,
      attributes: { dept: ['ops'], 'full name': ['Ben B'] },
    },
  ],
};

const stores = await testStores();

describe.each(stores)('user search parameters on $name', (store) => {
  let server: TestServer;
  let kc: KcAdminClient;
  const realm = 'us';
  const find = async (q: Record<string, unknown>) =>
    (await kc.users.find({ realm, ...q } as never)).map((u) => u.username);
  const count = async (query: string) =>
    (
      await adminCall(
        server.baseUrl,
        (await kc.getAccessToken())!,
        'GET',
        `/us/users/count?${query}`,
      )
    ).body;

  beforeAll(async () => {
    server = await startStoreServer(store, {
      realms: [REALM],
    });
    kc = await masterAdmin(server.baseUrl);
  }, 120_000);
  afterAll(() => server?.close());

  it('q= matches attributes by name and by value ignoring case, every pair must match', async () => {
    expect(await find({ q: 'dept:sales' })).toEqual(['anna', 'annabel']);
    expect(await find({ q: 'dept:sales city:bergen' })).toEqual(['anna']);
    expect(await find({ q: 'dept:sal' })).toEqual([]);
    expect(await find({ q: '"full name":"ben b"' })).toEqual(['ben']);
    expect(await find({ q: 'nosuch:x' })).toEqual([]);
    expect(await count('q=dept:sales')).toBe(2);
  });

  it('enabled, emailVerified, exact, firstName and lastName', async () => {
    expect(await find({ enabled: false })).toEqual(['ben']);
    expect(await find({ enabled: true })).toEqual(['anna', 'annabel']);
    expect(await find({ emailVerified: true })).toEqual(['anna']);
    expect(await find({ username: 'anna' })).toEqual(['anna', 'annabel']);
    expect(await find({ username: 'ANNA', exact: true })).toEqual(['anna']);
    expect(await find({ lastName: 'berg' })).toEqual(['anna', 'ben']);
    expect(await find({ firstName: 'anna', exact: true })).toEqual(['anna']);
    expect(await find({ lastName: 'berg', enabled: true })).toEqual(['anna']);
    expect(await count('enabled=false')).toBe(1);
    expect(await count('emailVerified=false&lastName=berg')).toBe(1);
  });

  it('idpAlias answers an empty list; briefRepresentation leaves out attributes and required actions', async () => {
    expect(await find({ idpAlias: 'github' })).toEqual([]);
    const [full] = await kc.users.find({ realm, username: 'anna', exact: true });
    expect(full).toMatchObject({
      attributes: { dept: ['Sales'] },
      requiredActions: ['VERIFY_EMAIL'],
    });
    const [brief] = await kc.users.find({
      realm,
      username: 'anna',
      exact: true,
      briefRepresentation: true,
    });
    expect(brief).toMatchObject({
      id: full.id,
      username: 'anna',
      firstName: 'Anna',
      lastName: 'Berg',
      email: 'anna@example.org',
      enabled: true,
      emailVerified: true,
    });
    expect(brief).not.toHaveProperty('attributes');
    expect(brief).not.toHaveProperty('requiredActions');
  });
});

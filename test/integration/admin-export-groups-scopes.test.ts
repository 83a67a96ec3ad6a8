/**
 * A real Keycloak 24 export (sovity authority portal, test/fixtures/keycloak-realms, copied from ../shared/fixtures) read
 * back through the groups and client-scopes admin API with @keycloak/keycloak-admin-client: the
 * groups, their paths, the users' memberships, the client scopes with their ids and mappers, the
 * realm's default lists and a client's lists are those of the export (Keycloak's own output).
 * Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { FIXTURES, type TestServer, startStoreServer } from '../helpers/server.ts';
import { masterAdmin } from '../helpers/admin.ts';
import { testStores } from '../helpers/components.ts';

type Group = { id: string; name: string; path: string; subGroups?: Group[] };
const FILE = path.join(FIXTURES, 'sovity-authority-portal-dev-kc24.0.4.json');
const EXPORT = JSON.parse(readFileSync(FILE, 'utf8')) as {
  realm: string;
  groups: Group[];
  users: { username: string; groups?: string[] }[];
  clientScopes: {
    id: string;
    name: string;
    protocolMappers?: {
      id: string;
      name: string;
      protocolMapper: string;
      config: Record<string, string>;
    }[];
  }[];
  defaultDefaultClientScopes: string[];
  defaultOptionalClientScopes: string[];
  clients: { clientId: string; defaultClientScopes?: string[]; optionalClientScopes?: string[] }[];
};
const flatten = (groups: Group[]): Group[] =>
  groups.flatMap((g) => [g, ...flatten(g.subGroups ?? [])]);

const stores = await testStores();

describe.each(stores)(
  'a Keycloak export through the groups and client-scopes API on $name',
  (store) => {
    let server: TestServer;
    let kc: KcAdminClient;
    const realm = EXPORT.realm;

    beforeAll(async () => {
      server = await startStoreServer(store, {
        realmFiles: [FILE],
      });
      kc = await masterAdmin(server.baseUrl);
    }, 120_000);
    afterAll(() => server?.close());

    it("groups: the export's tree, ids and paths; every user's memberships", async () => {
      const all = flatten(EXPORT.groups);
      expect(await kc.groups.count({ realm })).toEqual({ count: all.length });
      expect((await kc.groups.find({ realm })).map((g) => [g.id, g.path])).toEqual(
        EXPORT.groups.map((g) => [g.id, g.path]),
      );
      for (const group of all)
        expect(await kc.groups.findOne({ realm, id: group.id })).toMatchObject({
          name: group.name,
          path: group.path,
        });
      for (const user of EXPORT.users.filter((u) => !u.username.startsWith('service-account-'))) {
        const [found] = await kc.users.find({ realm, username: user.username, exact: true });
        expect({
          user: user.username,
          groups: (await kc.users.listGroups({ realm, id: found.id! })).map((g) => g.path).sort(),
        }).toEqual({ user: user.username, groups: [...(user.groups ?? [])].sort() });
      }
    });

    it("client scopes: the export's ids, names and mappers; the realm's and a client's lists", async () => {
      const scopes = await kc.clientScopes.find({ realm });
      expect(scopes.map((s) => [s.id, s.name])).toEqual(
        EXPORT.clientScopes.map((s) => [s.id, s.name]),
      );
      for (const scope of EXPORT.clientScopes) {
        const mappers = await kc.clientScopes.listProtocolMappers({ realm, id: scope.id });
        expect({
          scope: scope.name,
          mappers: mappers.map((m) => [m.id, m.name, m.protocolMapper, m.config]),
        }).toEqual({
          scope: scope.name,
          mappers: (scope.protocolMappers ?? []).map((m) => [
            m.id,
            m.name,
            m.protocolMapper,
            m.config,
          ]),
        });
      }
      kc.setConfig({ realmName: realm });
      const byName = (names: string[]) =>
        names.map((n) => ({ id: EXPORT.clientScopes.find((s) => s.name === n)!.id, name: n }));
      expect(await kc.clientScopes.listDefaultClientScopes()).toEqual(
        byName(EXPORT.defaultDefaultClientScopes),
      );
      expect(await kc.clientScopes.listDefaultOptionalClientScopes()).toEqual(
        byName(EXPORT.defaultOptionalClientScopes),
      );
      const account = EXPORT.clients.find((c) => c.clientId === 'account')!;
      const id = (await kc.clients.find({ realm, clientId: 'account' }))[0].id!;
      expect(await kc.clients.listDefaultClientScopes({ realm, id })).toEqual(
        byName(account.defaultClientScopes!),
      );
      expect(await kc.clients.listOptionalClientScopes({ realm, id })).toEqual(
        byName(account.optionalClientScopes!),
      );
    });
  },
);

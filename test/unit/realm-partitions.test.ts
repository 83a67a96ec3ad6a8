/**
 * Users partition files (`kc.sh export --users different_files`: `<realm>-realm.json` plus
 * `<realm>-users-N.json`, each `{"realm", "users"}` as Keycloak ExportUtils.exportUsersToStream
 * writes it) and how they join their realm (Keycloak DirImportProvider.importRealm).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  attributeProblems,
  groupPartitions,
  keycloakDirFiles,
  mergedRealmJson,
  parseRealmUnit,
  usersPartition,
  type RealmUnit,
} from '../../src/realm/partitions.ts';
import { readRealmJson, RealmImportError } from '../../src/realm/import.ts';
import { FIXTURES } from '../helpers/server.ts';

const REALM = path.join(FIXTURES, 'authservices-dotnet-Test-realm-kc24.0.3.json');
const USERS = path.join(FIXTURES, 'authservices-dotnet-Test-users-0-kc24.0.3.json');
const rejection = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RealmImportError);
    return err as RealmImportError;
  }
  throw new Error('expected a RealmImportError');
};

describe('users partition files', () => {
  it('recognises a partition by its content: realm and users, nothing else', async () => {
    expect(usersPartition({ file: USERS, json: await readRealmJson(USERS) })).toMatchObject({
      file: USERS,
      realm: 'Test',
      users: expect.any(Array),
    });
    expect(usersPartition({ file: REALM, json: await readRealmJson(REALM) })).toBeUndefined();
    expect(
      usersPartition({ file: 'r.json', json: { realm: 'r', users: [], clients: [] } }),
    ).toBeUndefined();
    expect(usersPartition({ file: 'r.json', json: { realm: 'r' } })).toBeUndefined();
    expect(usersPartition({ file: 'r.json', json: [] })).toBeUndefined();
    expect(
      rejection(() => usersPartition({ file: 'u.json', json: { realm: 1, users: {} } })).problems,
    ).toEqual([
      { path: 'realm', reason: 'a users file needs the name of its realm' },
      { path: 'users', reason: 'must be an array of users' },
    ]);
    expect(
      rejection(() => usersPartition({ file: 'f.json', json: { realm: 'r', federatedUsers: [] } }))
        .message,
    ).toMatch(/^f\.json: .*\n {2}at federatedUsers: .*no user federation/);
  });

  it('joins partitions to the realm file of their realm, whatever the order; others stay on their own; master first', () => {
    const units = groupPartitions([
      { file: 'b-users-0.json', json: { realm: 'b', users: [{ username: 'x' }] } },
      { file: 'a.json', json: { realm: 'a' } },
      { file: 'b.json', json: { realm: 'b', enabled: true, users: [{ username: 'own' }] } },
      { file: 'c-users-0.json', json: { realm: 'c', users: [] } },
      { file: 'master.json', json: { realm: 'master' } },
    ]);
    expect(
      units.map((u) =>
        u.kind === 'realm'
          ? `${u.file}+${u.partitions.map((p) => p.file).join(',')}`
          : `users:${u.realm}`,
      ),
    ).toEqual(['master.json+', 'a.json+', 'b.json+b-users-0.json', 'users:c']);
    const b = units[2] as RealmUnit;
    expect(mergedRealmJson(b)).toEqual({
      realm: 'b',
      enabled: true,
      users: [{ username: 'own' }, { username: 'x' }],
    });
  });

  it('the authservices-dotnet pair parses as one realm with the three users of the users file', async () => {
    const [unit, ...rest] = groupPartitions([
      { file: REALM, json: await readRealmJson(REALM) },
      { file: USERS, json: await readRealmJson(USERS) },
    ]);
    expect(rest).toEqual([]);
    const rep = parseRealmUnit(unit as RealmUnit, {});
    expect(rep.users.map((u) => u.username).sort()).toEqual([
      'service-account-test-client',
      'test',
      'testadminuser',
    ]);
    expect(rep.users.find((u) => u.username === 'test')).toMatchObject({
      realmRoles: ['default-roles-test', 'Reader'],
      clientRoles: { 'test-client': ['TestClientRole'] },
    });
  });

  it('a problem in a partition names the partition file and the path inside it', () => {
    const unit: RealmUnit = {
      kind: 'realm',
      file: 'r-realm.json',
      json: {
        realm: 'r',
        roles: { realm: [{ name: 'ok' }] },
        users: [{ username: 'own', realmRoles: ['nope'] }],
      },
      partitions: [
        { file: 'r-users-0.json', realm: 'r', users: [{ username: 'a', realmRoles: ['ok'] }] },
        {
          file: 'r-users-1.json',
          realm: 'r',
          users: [{ username: 'b' }, { username: 'c', realmRoles: ['missing'] }],
        },
      ],
    };
    const both = rejection(() => parseRealmUnit(unit, {}));
    expect(both.source).toBe('r-realm.json + r-users-1.json');
    expect(both.problems).toEqual([
      { path: 'r-realm.json: users[0].realmRoles[0]', reason: 'realm role "nope" does not exist' },
      {
        path: 'r-users-1.json: users[1].realmRoles[0]',
        reason: 'realm role "missing" does not exist',
      },
    ]);
    const onlyPartition = rejection(() =>
      parseRealmUnit({ ...unit, json: { realm: 'r', roles: { realm: [{ name: 'ok' }] } } }, {}),
    );
    expect(onlyPartition.message).toBe(
      'r-users-1.json: realm rejected, nothing imported\n  at users[1].realmRoles[0]: realm role "missing" does not exist',
    );
    // A duplicate across files is reported where the second one is.
    const dup = rejection(() =>
      parseRealmUnit(
        {
          ...unit,
          json: { realm: 'r', users: [{ username: 'b' }] },
          partitions: [unit.partitions[1]],
        },
        {},
      ),
    );
    expect(dup.source).toBe('r-users-1.json');
    expect(dup.problems).toEqual(
      expect.arrayContaining([{ path: 'users[0].username', reason: 'duplicate username "b"' }]),
    );
  });

  it('attributeProblems leaves problems outside users with the realm file', () => {
    const err = attributeProblems(
      new RealmImportError('merged', [
        { path: 'clients[0].clientId', reason: 'x' },
        { path: 'users', reason: 'y' },
      ]),
      'r.json',
      0,
      [{ file: 'u.json', realm: 'r', users: [{}] }],
    );
    expect([err.source, err.problems]).toEqual([
      'r.json',
      [
        { path: 'clients[0].clientId', reason: 'x' },
        { path: 'users', reason: 'y' },
      ],
    ]);
  });

  it('keycloakDirFiles lists what `kc.sh import --dir` reads: <realm>-realm.json, master first, then its users files by number', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qsign-partitions-'));
    const write = (name: string, json: unknown) =>
      writeFileSync(path.join(dir, name), JSON.stringify(json));
    write('app-realm.json', { realm: 'app' });
    write('app-users-10.json', { realm: 'app', users: [] });
    write('app-users-2.json', { realm: 'app', users: [] });
    write('app-users-x.json', { realm: 'app', users: [] });
    write('master-realm.json', { realm: 'master' });
    write('notes.json', {});
    expect((await keycloakDirFiles(dir)).map((f) => path.basename(f))).toEqual([
      'master-realm.json',
      'app-realm.json',
      'app-users-2.json',
      'app-users-10.json',
    ]);
    write('other-realm.json', { realm: 'app' });
    await expect(keycloakDirFiles(dir)).rejects.toThrow(
      /other-realm\.json: realm rejected, nothing imported\n {2}at realm: the file of realm "other" holds realm "app"/,
    );
  });
});

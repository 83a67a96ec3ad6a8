import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseRealm, readRealmFile, RealmImportError, formatPath } from '../../src/realm/import.ts';
import { resolvePlaceholders } from '../../src/model/placeholders.ts';
import { RealmModel } from '../../src/model/model.ts';
import { FIXTURES } from '../helpers/server.ts';

function problemsOf(json: unknown, env: NodeJS.ProcessEnv = {}) {
  try {
    parseRealm(json, 'realm.json', env);
  } catch (err) {
    expect(err).toBeInstanceOf(RealmImportError);
    return (err as RealmImportError).problems;
  }
  throw new Error('expected the realm to be rejected');
}

describe('realm import validation', () => {
  it("gives every client an id, Keycloak's built-in ones (admin-cli, account...) included: the admin API addresses clients by id", () => {
    const rep = parseRealm(
      { realm: 'ids', clients: [{ clientId: 'mine' }, { clientId: 'kept', id: 'fixed-id' }] },
      'test',
    );
    const ids = Object.fromEntries(rep.clients.map((c) => [c.clientId, c.id]));
    expect(Object.keys(ids)).toEqual(
      expect.arrayContaining(['mine', 'kept', 'admin-cli', 'account', 'realm-management']),
    );
    for (const [clientId, id] of Object.entries(ids)) expect(id, clientId).toMatch(/^[\w-]{8,}$/);
    expect(ids.kept).toBe('fixed-id');
    expect(new Set(Object.values(ids)).size).toBe(rep.clients.length);
  });

  it('names the file, the JSON path and the reason', () => {
    const problems = problemsOf({
      realm: 'r',
      clients: [{ clientId: 'a', redirectUris: ['ok', 42] }],
      accessTokenLifespan: 'long',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'clients[0].redirectUris[1]', reason: expect.stringMatching(/string/) },
        { path: 'accessTokenLifespan', reason: expect.stringMatching(/number/) },
      ]),
    );
    expect(() => parseRealm({ realm: 'bad/name' }, 'my-realm.json', {})).toThrow(
      /^my-realm\.json: realm rejected, nothing imported\n {2}at realm: /,
    );
  });

  it('rejects broken references with the path of the reference', () => {
    const problems = problemsOf({
      realm: 'r',
      clients: [{ clientId: 'app' }, { clientId: 'app' }],
      users: [
        {
          username: 'u',
          realmRoles: ['missing'],
          clientRoles: { app: ['nope'], ghost: ['x'] },
          groups: ['/nowhere'],
        },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'clients[1].clientId', reason: 'duplicate clientId "app"' },
        { path: 'users[0].realmRoles[0]', reason: 'realm role "missing" does not exist' },
        {
          path: 'users[0].clientRoles["app"][0]',
          reason: 'role "nope" of client "app" does not exist',
        },
        { path: 'users[0].clientRoles["ghost"]', reason: 'client "ghost" does not exist' },
        { path: 'users[0].groups[0]', reason: 'group "/nowhere" does not exist' },
      ]),
    );
  });

  it('rejects a client alg the realm has no key for, at import time', () => {
    const problems = problemsOf({
      realm: 'r',
      clients: [{ clientId: 'a', attributes: { 'access.token.signed.response.alg': 'ES512' } }],
    });
    expect(problems[0]).toEqual({
      path: 'clients[0].attributes["access.token.signed.response.alg"]',
      reason: expect.stringContaining('no active key for alg "ES512"'),
    });
  });

  it('keeps unknown fields and applies Keycloak defaults', () => {
    const rep = parseRealm(
      { realm: 'r', somethingNew: { x: 1 }, clients: [{ clientId: 'c', futureFlag: true }] },
      'r.json',
      {},
    );
    expect((rep as Record<string, unknown>).somethingNew).toEqual({ x: 1 });
    expect((rep.clients[0] as Record<string, unknown>).futureFlag).toBe(true);
    expect(rep.accessTokenLifespan).toBe(300);
    expect(rep.clients.map((c) => c.clientId)).toEqual(
      expect.arrayContaining(['c', 'account', 'admin-cli', 'realm-management', 'broker']),
    );
    expect(rep.clients[0].secret).toEqual(expect.any(String));
  });

  it('reports bad JSON with the file name', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qsign-'));
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{"realm": "x",');
    await expect(readRealmFile(file)).rejects.toThrow(/broken\.json[\s\S]*not valid JSON/);
  });

  it('imports every Keycloak fixture without problems', async () => {
    for (const file of [
      'quickstarts-device.json',
      'quickstarts-js-spa.json',
      'quickstarts-nodejs-resource-server.json',
      'quickstarts-spring-rest-authz-resource-server.json',
    ]) {
      const rep = await readRealmFile(path.join(FIXTURES, file), {});
      expect(rep.realm).toBe(JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')).realm);
    }
  });
});

describe('placeholders', () => {
  it('resolves ${VAR}, ${VAR:default} and ${env.VAR}, leaves message keys alone', () => {
    const out = resolvePlaceholders(
      { a: '${A}', b: '${B:fallback}', c: ['x-${env.A}-y'], d: '${client_account}', e: '$${A}' },
      { A: 'one' },
    );
    expect(out).toEqual({
      a: 'one',
      b: 'fallback',
      c: ['x-one-y'],
      d: '${client_account}',
      e: '${A}',
    });
  });

  it('fails on a variable with no value and no default, with its path', () => {
    const problems = problemsOf({
      realm: 'r',
      users: [{ username: 'u', credentials: [{ value: '${SECRET_PW}' }] }],
    });
    expect(problems).toEqual([
      { path: 'users[0].credentials[0].value', reason: expect.stringContaining('SECRET_PW') },
    ]);
  });
});

describe('effective roles', () => {
  it('expands composites, groups (with parents) and the default role where mapped (as Keycloak, never implicitly)', () => {
    const rep = parseRealm(
      {
        realm: 'r',
        roles: {
          realm: [
            {
              name: 'admin',
              composite: true,
              composites: { realm: ['user'], client: { app: ['write'] } },
            },
            { name: 'user' },
            { name: 'auditor' },
          ],
          client: { app: [{ name: 'write' }, { name: 'read' }] },
        },
        clients: [{ clientId: 'app' }],
        groups: [
          {
            name: 'staff',
            realmRoles: ['auditor'],
            subGroups: [{ name: 'ops', clientRoles: { app: ['read'] } }],
          },
        ],
      },
      'r.json',
      {},
    );
    const model = new RealmModel({ ...rep, id: 'x' });
    // A user made by the admin API or listed so in an export holds default-roles-r as a mapping.
    const roles = model.effectiveRoles({
      realmRoles: ['admin', 'default-roles-r'],
      clientRoles: {},
      groups: ['/staff/ops'],
    });
    expect(roles.realm.sort()).toEqual([
      'admin',
      'auditor',
      'default-roles-r',
      'offline_access',
      'uma_authorization',
      'user',
    ]);
    // Without the mapping it is not held (RepresentationToModel.createUser adds no default roles).
    expect(model.effectiveRoles({ realmRoles: ['user'], clientRoles: {}, groups: [] })).toEqual({
      realm: ['user'],
      clients: {},
    });
    expect(roles.clients.app.sort()).toEqual(['read', 'write']);
    expect(roles.clients.account.sort()).toEqual([
      'manage-account',
      'manage-account-links',
      'view-profile',
    ]);
  });

  it('formats JSON paths like Keycloak tools show them', () => {
    expect(formatPath(['clients', 2, 'attributes', 'pkce.code.challenge.method'])).toBe(
      'clients[2].attributes["pkce.code.challenge.method"]',
    );
  });
});

/**
 * Bad bodies and ids sent to the groups, client-scope, protocol-mapper, role-composite and
 * role-mapping routes answer 4xx in Keycloak's error shapes, never a 5xx, and change nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import path from 'node:path';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { adminCall, passwordToken } from '../helpers/admin.ts';
import { findRealm } from '../../src/store/realms.ts';

let server: TestServer;
let root: string;
const ids: Record<string, string> = {};
const call = (method: string, p: string, body?: unknown) =>
  adminCall(server.baseUrl, root, method, `/bi${p}`, body);

beforeAll(async () => {
  server = await startServer({
    realmFiles: [path.join(REPO, 'realms', 'master.json')],
    realms: [
      {
        realm: 'bi',
        roles: { realm: [{ name: 'r1' }] },
        groups: [{ name: 'g1', subGroups: [{ name: 'g2' }] }],
        clients: [{ clientId: 'app', secret: 's' }],
        users: [{ username: 'u1' }],
      },
    ],
  });
  root = await passwordToken(server.baseUrl, 'master', 'admin', 'admin-test-password');
  ids.group = ((await call('GET', '/groups')).body as { id: string }[])[0].id;
  ids.client = ((await call('GET', '/clients?clientId=app')).body as { id: string }[])[0].id;
  ids.user = ((await call('GET', '/users?username=u1')).body as { id: string }[])[0].id;
  ids.role = ((await call('GET', '/roles/r1')).body as { id: string }).id;
  expect(
    (await call('POST', '/client-scopes', { name: 'sc', protocol: 'openid-connect' })).status,
  ).toBe(201);
  ids.scope = ((await call('GET', '/client-scopes')).body as { id: string }[])[0].id;
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const BODIES: unknown[] = [
  null,
  [],
  {},
  'text',
  7,
  [1],
  [null],
  [{}],
  [{ id: 5 }],
  { name: {} },
  { name: 'a', attributes: 'x' },
  { name: 'a', protocol: 'openid-connect', attributes: { a: [1] } },
  { name: 'x', protocolMapper: 5 },
  { name: 'x', protocolMapper: 'm', config: { a: { b: 1 } } },
  '{"name": ',
  { name: 'a/b' },
  { id: 'no-such-id', name: 'n' },
  { name: 'x'.repeat(10_000) },
];

it('every bad body gets a 4xx with an error body, never a 5xx, and the realm keeps its groups, scopes and roles', async () => {
  const before = (await findRealm(server.db, 'bi'))!.doc;
  const routes: [string, string][] = [
    ['POST', '/groups'],
    ['PUT', `/groups/${ids.group}`],
    ['POST', `/groups/${ids.group}/children`],
    ['POST', `/groups/${ids.group}/role-mappings/realm`],
    ['DELETE', `/groups/${ids.group}/role-mappings/realm`],
    ['POST', `/groups/${ids.group}/role-mappings/clients/${ids.client}`],
    ['POST', '/client-scopes'],
    ['PUT', `/client-scopes/${ids.scope}`],
    ['POST', `/client-scopes/${ids.scope}/protocol-mappers/models`],
    ['POST', `/client-scopes/${ids.scope}/protocol-mappers/add-models`],
    ['POST', `/clients/${ids.client}/protocol-mappers/models`],
    ['POST', `/clients/${ids.client}/protocol-mappers/add-models`],
    ['POST', '/roles/r1/composites'],
    ['DELETE', '/roles/r1/composites'],
    ['POST', `/roles-by-id/${ids.role}/composites`],
    ['PUT', `/roles-by-id/${ids.role}`],
    ['POST', `/users/${ids.user}/role-mappings/realm`],
  ];
  const answers: string[] = [];
  for (const [method, p] of routes) {
    for (const body of BODIES) {
      const answer = await call(method, p, body);
      const shaped =
        typeof answer.body === 'object' &&
        answer.body !== null &&
        ('error' in answer.body || 'errorMessage' in answer.body);
      if (answer.status >= 500 || (answer.status >= 400 && !shaped))
        answers.push(
          `${method} ${p} ${JSON.stringify(body).slice(0, 40)}: ${answer.status} ${answer.text.slice(0, 80)}`,
        );
    }
  }
  expect(answers).toEqual([]);
  const after = (await findRealm(server.db, 'bi'))!.doc;
  // Names only: a body that is valid after all (e.g. {} for a DELETE) may have been accepted.
  expect(after.roles.realm.map((r) => r.name)).toEqual(before.roles.realm.map((r) => r.name));
  for (const [method, p] of [
    ['GET', '/groups/nope'],
    ['GET', '/client-scopes/nope/protocol-mappers/models'],
    ['GET', '/roles-by-id/nope/composites'],
    ['GET', `/users/${ids.user}/role-mappings/clients/nope/composite`],
    ['GET', '/groups?first=-1'],
    ['GET', '/groups?max=x'],
  ] as const) {
    const answer = await call(method, p);
    expect({ p, status: answer.status >= 400 && answer.status < 500 }).toEqual({ p, status: true });
  }
});

/**
 * The realm's password policy where an administrator sets passwords, through
 * @keycloak/keycloak-admin-client: `PUT /users/{id}/reset-password` answers Keycloak's
 * UserResource.resetPassword error (400 `{"error": messageKey, "error_description": text}`,
 * ErrorResponseException with the admin message and its parameters) and `POST /users` with a
 * failing credential answers UsersResource.createUser's 400 `Password policy not met`, creating
 * no user. passwordHistory refuses a recent password. PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { REPO, startServer, type TestServer } from '../helpers/server.ts';
import { adminCall, masterAdmin } from '../helpers/admin.ts';

const REALM = {
  realm: 'pp',
  passwordPolicy: 'length(8) and digits(1) and notUsername(undefined) and passwordHistory(2)',
  users: [{ username: 'alice', email: 'alice@example.org' }],
};

describe('password policy in the admin API', () => {
  let server: TestServer;
  let kc: KcAdminClient;
  let aliceId: string;
  const reset = async (value: string) =>
    adminCall(
      server.baseUrl,
      (await kc.getAccessToken())!,
      'PUT',
      `/pp/users/${aliceId}/reset-password`,
      { type: 'password', value, temporary: false },
    );

  beforeAll(async () => {
    server = await startServer({
      realmFiles: [path.join(REPO, 'realms', 'master.json')],
      realms: [REALM],
    });
    kc = await masterAdmin(server.baseUrl);
    [{ id: aliceId }] = (await kc.users.find({ realm: 'pp', username: 'alice' })) as {
      id: string;
    }[];
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it('reset-password: each failing rule answers its message key and text', async () => {
    expect(await reset('short1')).toMatchObject({
      status: 400,
      body: {
        error: 'invalidPasswordMinLengthMessage',
        error_description: 'Invalid password: minimum length 8.',
      },
    });
    expect((await reset('longenough')).body).toEqual({
      error: 'invalidPasswordMinDigitsMessage',
      error_description: 'Invalid password: must contain at least 1 numerical digits.',
    });
  });

  it('reset-password: passwordHistory(2) refuses the current and the previous password', async () => {
    expect((await reset('first-pass1')).status).toBe(204);
    expect((await reset('second-pass2')).status).toBe(204);
    for (const recent of ['second-pass2', 'first-pass1'])
      expect((await reset(recent)).body).toEqual({
        error: 'invalidPasswordHistoryMessage',
        error_description: 'Invalid password: must not be equal to any of last 2 passwords.',
      });
    expect((await reset('third-pass3')).status).toBe(204);
    // first-pass1 is now older than the last two.
    expect((await reset('first-pass1')).status).toBe(204);
  });

  it('POST /users with a password failing the policy: 400, no user created', async () => {
    const token = (await kc.getAccessToken())!;
    const response = await adminCall(server.baseUrl, token, 'POST', '/pp/users', {
      username: 'bob',
      enabled: true,
      credentials: [{ type: 'password', value: 'bob', temporary: false }],
    });
    expect(response).toMatchObject({
      status: 400,
      body: { errorMessage: 'Password policy not met' },
    });
    expect(await kc.users.find({ realm: 'pp', username: 'bob' })).toEqual([]);
    const ok = await adminCall(server.baseUrl, token, 'POST', '/pp/users', {
      username: 'bob',
      enabled: true,
      credentials: [{ type: 'password', value: 'bob-pass-1', temporary: false }],
    });
    expect(ok.status).toBe(201);
  });
});

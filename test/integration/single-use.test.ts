/**
 * Codes and refresh tokens are single-use even when two requests race (adapters/postgres.ts
 * `consume`): the second consume is refused and revokes the grant, as oidc-provider answers a
 * reuse it sees (RFC 6749 section 4.1.2, RFC 9700 section 4.14.2). On PGlite (queries run one at
 * a time) and on PostgreSQL (concurrent UPDATEs of one row, re-checked after the first commits).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors } from 'oidc-provider';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { createPostgresAdapter } from '../../adapters/postgres.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/components.ts';
import { openTestStore } from '../helpers/store-template.ts';

const stores: {
  name: string;
  open: () => Promise<{ db: SqlClient; drop?: () => Promise<void> }>;
}[] = [{ name: 'PGlite', open: async () => ({ db: await openTestStore() }) }];
if (await postgresAvailable()) {
  stores.push({
    name: 'PostgreSQL',
    open: async () => {
      const t = await createTestDatabase({ migrated: true });
      return { db: await openSqlClient({ databaseUrl: t.url, dataDir: '' }), drop: t.drop };
    },
  });
}

describe.each(stores)('single use of codes and refresh tokens ($name)', (store) => {
  let db: SqlClient;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ db, drop } = await store.open());
    await migrate(db);
    await db.query("INSERT INTO realms (id, name, representation) VALUES ('r1', 'r1', '{}')");
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });
  const adapters = () => {
    const Adapter = createPostgresAdapter(db, 'r1');
    return {
      codes: new Adapter('AuthorizationCode'),
      refresh: new Adapter('RefreshToken'),
      tokens: new Adapter('AccessToken'),
      grants: new Adapter('Grant'),
    };
  };
  const refusal = (results: PromiseSettledResult<void>[]) => {
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(errors.InvalidGrant);
    return reason.error_detail as string;
  };

  it('two concurrent consumes of one authorization code: one wins, the other is invalid_grant and revokes the grant', async () => {
    const { codes, tokens, grants } = adapters();
    await grants.upsert('g1', { accountId: 'a' }, 600);
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await tokens.upsert('t1', { grantId: 'g1' }, 300);
    await tokens.upsert('t2', { grantId: 'other' }, 300);

    expect(refusal(await Promise.allSettled([codes.consume('c1'), codes.consume('c1')]))).toBe(
      'authorization code already consumed',
    );
    expect(await grants.find('g1')).toBeUndefined();
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await codes.find('c1')).toBeUndefined();
    // Another grant's token is untouched.
    expect(await tokens.find('t2')).toMatchObject({ grantId: 'other' });
  });

  it('two concurrent consumes of one refresh token: "refresh token already used", the grant and its tokens revoked', async () => {
    const { refresh, tokens, grants } = adapters();
    await grants.upsert('g2', { accountId: 'a' }, 600);
    await refresh.upsert('r2', { grantId: 'g2' }, 600);
    await refresh.upsert('r2-next', { grantId: 'g2' }, 600);
    await tokens.upsert('t3', { grantId: 'g2' }, 300);

    expect(refusal(await Promise.allSettled([refresh.consume('r2'), refresh.consume('r2')]))).toBe(
      'refresh token already used',
    );
    for (const [adapter, id] of [
      [grants, 'g2'],
      [refresh, 'r2'],
      [refresh, 'r2-next'],
      [tokens, 't3'],
    ] as const)
      expect(await adapter.find(id)).toBeUndefined();
  });

  it('a refresh token deleted (revoked, logged out) after it was loaded is "not found", not a reuse', async () => {
    const { refresh, grants } = adapters();
    await grants.upsert('g3', { accountId: 'a' }, 600);
    await refresh.upsert('r3', { grantId: 'g3' }, 600);
    await refresh.destroy('r3');
    await expect(refresh.consume('r3')).rejects.toMatchObject({
      error: 'invalid_grant',
      error_detail: 'refresh token not found',
    });
    expect(await grants.find('g3')).toMatchObject({ accountId: 'a' });
  });

  it('consuming a code once marks it consumed without touching its grant', async () => {
    const { codes, grants } = adapters();
    await grants.upsert('g4', { accountId: 'a' }, 600);
    await codes.upsert('c4', { grantId: 'g4' }, 60);
    await codes.consume('c4');
    expect(await codes.find('c4')).toMatchObject({ grantId: 'g4', consumed: expect.any(Number) });
    expect(await grants.find('g4')).toMatchObject({ accountId: 'a' });
  });
});

/**
 * Codes and refresh tokens are single-use even when two requests race (adapters/postgres.ts
 * `consume`): the second consume is refused and revokes the grant, as oidc-provider answers a
 * reuse it sees (RFC 6749 section 4.1.2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors } from 'oidc-provider';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { migrate } from '../../src/store/migrations.ts';
import { createPostgresAdapter } from '../../adapters/postgres.ts';

describe('single use of codes', () => {
  let db: SqlClient;
  beforeAll(async () => {
    db = await openSqlClient({ dataDir: 'memory://' });
    await migrate(db);
    await db.query("INSERT INTO realms (id, name, representation) VALUES ('r1', 'r1', '{}')");
  });
  afterAll(() => db.close());

  it('two concurrent consumes of one authorization code: one wins, the other is invalid_grant and revokes the grant', async () => {
    const Adapter = createPostgresAdapter(db, 'r1');
    const [codes, tokens, grants] = [new Adapter('AuthorizationCode'), new Adapter('AccessToken'), new Adapter('Grant')];
    await grants.upsert('g1', { accountId: 'a' }, 600);
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await tokens.upsert('t1', { grantId: 'g1' }, 300);
    await tokens.upsert('t2', { grantId: 'other' }, 300);

    const results = await Promise.allSettled([codes.consume('c1'), codes.consume('c1')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    expect(refused).toBeInstanceOf(errors.InvalidGrant);
    expect(refused.error_detail).toBe('authorization code already consumed');

    expect(await grants.find('g1')).toBeUndefined();
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await codes.find('c1')).toBeUndefined();
    // Another grant's token is untouched.
    expect(await tokens.find('t2')).toMatchObject({ grantId: 'other' });
  });

  it('consuming a code once marks it consumed without touching its grant', async () => {
    const Adapter = createPostgresAdapter(db, 'r1');
    const [codes, grants] = [new Adapter('AuthorizationCode'), new Adapter('Grant')];
    await grants.upsert('g2', { accountId: 'a' }, 600);
    await codes.upsert('c2', { grantId: 'g2' }, 60);
    await codes.consume('c2');
    expect(await codes.find('c2')).toMatchObject({ grantId: 'g2', consumed: expect.any(Number) });
    expect(await grants.find('g2')).toMatchObject({ accountId: 'a' });
  });
});

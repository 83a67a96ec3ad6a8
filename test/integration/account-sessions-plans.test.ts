/**
 * The account API's lookups of a user's sessions, refresh-token grants and session devices
 * (store/sessions.ts) are planned on their indexes (`oidc_payloads_by_account`, the primary key),
 * and the index by account does not take over the adapter's lookups by id, on a table that grew
 * since its last ANALYZE (the state store-plans.test.ts describes). PostgreSQL only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../helpers/components.ts';
import { openStaleStatsStore, type StaleStatsStore } from '../helpers/each-store.ts';
import type { SqlClient } from '../../src/store/sql.ts';
import { findSessionDevices, listUserGrants, listUserSessions } from '../../src/store/sessions.ts';

const available = await postgresAvailable();

describe.runIf(available)('account session lookups (PostgreSQL query plans)', () => {
  let db: SqlClient;
  let store: StaleStatsStore;
  beforeAll(async () => {
    store = await openStaleStatsStore();
    db = store.db;
    const { Adapter } = store;
    const [sessions, tokens] = [new Adapter('Session'), new Adapter('RefreshToken')];
    for (let i = 0; i < 40; i += 1) {
      await sessions.upsert(`s${i}`, { uid: `u${i}`, accountId: `a${i % 4}` }, 3600);
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          tokens.upsert(`t${i}-${j}`, { grantId: `g${i}`, accountId: `a${i % 4}` }, 3600),
        ),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await store?.close();
  });

  /** A client that answers EXPLAIN of every statement and records the plans. */
  const explaining = (plans: string[]): SqlClient => ({
    ...db,
    query: async <T>(text: string, params?: unknown[]) => {
      plans.push(JSON.stringify(await db.query(`EXPLAIN (FORMAT JSON) ${text}`, params)));
      return [] as T[];
    },
  });

  it('finds a user’s sessions and grants on oidc_payloads_by_account, devices on the primary key', async () => {
    const plans: string[] = [];
    await listUserSessions(explaining(plans), 'r1', 'a1');
    await listUserGrants(explaining(plans), 'r1', 'a1');
    await findSessionDevices(explaining(plans), 'r1', ['u1', 'u5']);
    expect(plans[0]).toContain('oidc_payloads_by_account');
    expect(plans[1]).toContain('oidc_payloads_by_account');
    expect(plans[2]).toContain('oidc_payloads_pkey');
  });

  it('leaves the lookups by id on the primary key', async () => {
    for (const model of ['Session', 'RefreshToken']) {
      const [plan] = await db.query(
        'EXPLAIN (FORMAT JSON) SELECT payload, consumed_at FROM oidc_payloads WHERE realm_id = $1 AND model = $2 AND id = $3 AND (expires_at IS NULL OR expires_at > now())',
        ['r1', model, 's7'],
      );
      expect(JSON.stringify(plan)).toContain('"Index Name":"oidc_payloads_pkey"');
    }
  });
});

/**
 * Stored grants and sessions (issue 22 item 1): oidc_payloads grown by bulk INSERT ... SELECT to
 * each size (a quarter each Session, Grant, RefreshToken, AccessToken; half of them expired an hour
 * ago), then, with the server running: refresh grants (each lane refreshing its own rotating
 * token) and token introspection, p50 / p99; and the expired-row sweep (adapters/postgres.ts
 * deleteExpiredPayloads) timed on the expired rows (about half; the next size adds to the live
 * rows left), with refresh latency measured while it runs
 * (a long lock would show there).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { deleteExpiredPayloads } from '../../adapters/postgres.ts';
import { createTestDatabase } from '../../test/helpers/components.ts';
import {
  form,
  importFiles,
  maintenance,
  rssMb,
  sample,
  serverEnv,
  startServer,
  type Latency,
} from './common.ts';

export interface GrantsPoint {
  size: number;
  refresh: Latency;
  introspect: Latency;
  sweepMs: number;
  swept: number;
  refreshDuringSweep: Latency;
  rssMb: number;
}

const PASSWORD = 'grants-password';

/** Adds `count` artefacts numbered from `from` to realm `realmId`'s oidc_payloads, half expired. */
async function seed(
  db: SqlClient,
  databaseUrl: string,
  realmId: string,
  from: number,
  count: number,
): Promise<void> {
  for (let lo = from; lo < from + count; lo += 100_000) {
    const hi = Math.min(from + count - 1, lo + 99_999);
    await db.transaction(
      (tx) =>
        tx.query(
          `INSERT INTO oidc_payloads (realm_id, model, id, payload, grant_id, uid, expires_at)
           SELECT $1, (ARRAY['Session', 'Grant', 'RefreshToken', 'AccessToken'])[1 + i % 4], 'fill-' || i,
             jsonb_build_object('jti', 'fill-' || i, 'kind', 'filler', 'exp', 0), 'g-' || (i / 4),
             CASE WHEN i % 4 = 0 THEN 'u-' || i END,
             CASE WHEN i % 2 = 0 THEN now() - interval '1 hour' ELSE now() + interval '1 day' END
           FROM generate_series($2::int, $3::int) AS i`,
          [realmId, lo, hi],
        ),
      { timeoutMs: 0 },
    );
  }
  await maintenance(db, databaseUrl, 'VACUUM ANALYZE oidc_payloads');
}

/** Runs the grants curve over `sizes` (ascending, rows in oidc_payloads) on PostgreSQL. */
export async function grantsCurve(
  sizes: number[],
  log: (line: string) => void,
): Promise<GrantsPoint[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'qsign-scale-grants-'));
  const database = await createTestDatabase();
  const env = serverEnv(dir, database.url);
  const file = path.join(dir, 'grants.json');
  writeFileSync(
    file,
    JSON.stringify({
      realm: 'grants',
      clients: [
        { clientId: 'pw', publicClient: true, directAccessGrantsEnabled: true },
        { clientId: 'rs', secret: 'rs-secret', standardFlowEnabled: false },
      ],
      users: [{ username: 'u', credentials: [{ value: PASSWORD }] }],
    }),
  );
  importFiles(env, [file]);
  const db = await openSqlClient({ databaseUrl: database.url, dataDir: dir });
  const [{ id }] = await db.query<{ id: string }>("SELECT id FROM realms WHERE name = 'grants'");
  const server = await startServer(env, path.join(dir, 'server.log'));
  const token = `${server.url}/realms/grants/protocol/openid-connect/token`;
  const lanes: { refresh: string; access: string }[] = [];
  for (let i = 0; i < 1; i += 1) {
    const r = (await (
      await fetch(
        token,
        form({ grant_type: 'password', client_id: 'pw', username: 'u', password: PASSWORD }),
      )
    ).json()) as { refresh_token: string; access_token: string };
    lanes.push({ refresh: r.refresh_token, access: r.access_token });
  }
  let turn = 0;
  const refresh = async () => {
    const lane = lanes[turn++ % lanes.length];
    const r = await fetch(
      token,
      form({ grant_type: 'refresh_token', client_id: 'pw', refresh_token: lane.refresh }),
    );
    const body = (await r.clone().json()) as { refresh_token?: string; access_token?: string };
    if (body.refresh_token) [lane.refresh, lane.access] = [body.refresh_token, body.access_token!];
    return r;
  };
  const introspect = () =>
    fetch(`${token}/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('rs:rs-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ token: lanes[0].access }).toString(),
    });
  const points: GrantsPoint[] = [];
  let have = 0;
  let next = 0;
  try {
    for (const size of sizes) {
      await seed(db, database.url, id, next, size - have);
      next += size - have;
      // One request at a time: the refresh token rotates, each is used once.
      const r1 = await sample(refresh, { count: 60, concurrency: 1 });
      const i1 = await sample(introspect, { count: 60, concurrency: 1 });
      const t0 = performance.now();
      let sweeping = true;
      const during = sample(refresh, {
        count: 100_000,
        concurrency: 1,
        warmup: 0,
        until: () => !sweeping,
      });
      const swept = await deleteExpiredPayloads(db).then((n) => ({
        n,
        ms: performance.now() - t0,
      }));
      sweeping = false;
      // Refreshes sent while the sweep ran: a lock held by the sweep would show in their p99.
      const refreshDuringSweep = await during;
      points.push({
        size,
        refresh: r1,
        introspect: i1,
        sweepMs: swept.ms,
        swept: swept.n,
        refreshDuringSweep,
        rssMb: rssMb(server.proc.pid!),
      });
      log(
        `grants ${size}: refresh p50 ${r1.p50.toFixed(1)} ms, introspect p50 ${i1.p50.toFixed(1)} ms, sweep of ${swept.n} rows ${swept.ms.toFixed(0)} ms, refresh during it p99 ${refreshDuringSweep.p99.toFixed(1)} ms (errors ${r1.errors + i1.errors + refreshDuringSweep.errors})`,
      );
      // The next size adds rows (half of them expired) to the live ones left.
      have = size - swept.n;
    }
  } finally {
    await server.stop();
    await db.close();
    await database.drop();
  }
  return points;
}

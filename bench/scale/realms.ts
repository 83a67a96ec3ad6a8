/**
 * Realms (issue 22 item 1): 10, 100, 1,000 realms on one PostgreSQL, each with a confidential
 * client: the first imported by the CLI (`node src/main.ts import`), the others bulk copies of it
 * (cloneRealms). At each size the server is restarted and measured: start-up (spawn to ready),
 * idle RSS, the first client_credentials token of every realm (its first request loads the realm
 * and its keys), a token again in a warm realm, `GET /admin/realms`, and RSS after every realm
 * has served a token (memory per realm = its growth over idle, divided by the realms).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../../test/helpers/components.ts';
import { openSqlClient, type SqlClient } from '../../src/store/sql.ts';
import { findRealm, insertRealm } from '../../src/store/realms.ts';
import {
  KEK,
  REPO,
  adminToken,
  form,
  importFiles,
  rssMb,
  sample,
  serverEnv,
  startServer,
  type Latency,
} from './common.ts';

export interface RealmsPoint {
  size: number;
  importMs: number;
  startMs: number;
  idleRssMb: number;
  rssMb: number;
  firstToken: Latency;
  warmToken: Latency;
  adminList: Latency;
  adminListBytes: number;
}

const realmName = (i: number) => `r${String(i).padStart(4, '0')}`;

/** The first realm's file: a confidential client with a service account (client_credentials). */
function realmFile(dir: string, i: number): string {
  const file = path.join(dir, `${realmName(i)}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      realm: realmName(i),
      clients: [
        {
          clientId: 'svc',
          secret: 'svc-secret',
          serviceAccountsEnabled: true,
          standardFlowEnabled: false,
        },
      ],
    }),
  );
  return file;
}

/**
 * Realms `from..to` as copies of the first (imported by the CLI, so made as an operator's are):
 * its document under a new id and name (secrets sealed again for the new id, store/realms.ts
 * insertRealm), and its components, keys (the same sealed key material: a key's seal binds its
 * kid and alg, not its realm) and users (the service account) copied row by row. A bulk copy,
 * because importing makes each realm's keys (RSA among them): minutes for a thousand realms here.
 */
async function cloneRealms(db: SqlClient, from: number, to: number): Promise<void> {
  const template = (await findRealm(db, realmName(1)))!;
  const copy = (table: string, extra: string) =>
    `INSERT INTO ${table} SELECT (jsonb_populate_record(NULL::${table}, to_jsonb(t) || ${extra})).* FROM ${table} t WHERE realm_id = $1`;
  for (let i = from; i <= to; i += 1) {
    const id = randomUUID();
    await db.transaction(async (tx) => {
      await insertRealm(tx, { ...template.doc, id, realm: realmName(i) });
      await tx.query(
        copy(
          'components',
          "jsonb_build_object('realm_id', $2::text, 'parent_id', CASE WHEN t.parent_id = $1 THEN $2 ELSE t.parent_id END)",
        ),
        [template.id, id],
      );
      await tx.query(copy('keys', "jsonb_build_object('realm_id', $2::text)"), [template.id, id]);
      await tx.query(
        copy(
          'users',
          "jsonb_build_object('realm_id', $2::text, 'id', md5($2 || t.id)::uuid::text, 'representation', t.representation || jsonb_build_object('id', md5($2 || t.id)::uuid::text))",
        ),
        [template.id, id],
      );
    });
  }
}

const clientCredentials = (url: string, i: number) =>
  fetch(`${url}/realms/${realmName(i)}/protocol/openid-connect/token`, {
    ...form({ grant_type: 'client_credentials', client_id: 'svc', client_secret: 'svc-secret' }),
  });

/** Runs the realms curve over `sizes` (ascending) on a throwaway PostgreSQL database. */
export async function realmsCurve(
  sizes: number[],
  log: (line: string) => void,
): Promise<RealmsPoint[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'qsign-scale-realms-'));
  const database = await createTestDatabase();
  const env = serverEnv(dir, database.url);
  importFiles(env, [path.join(REPO, 'realms', 'master.json')]);
  const points: RealmsPoint[] = [];
  let have = 0;
  try {
    for (const size of sizes) {
      const t0 = performance.now();
      if (have === 0) {
        importFiles(env, [realmFile(dir, 1)]);
        have = 1;
      }
      const db = await openSqlClient({
        databaseUrl: database.url,
        dataDir: dir,
        keyEncryptionKey: Buffer.from(KEK, 'base64'),
      });
      await cloneRealms(db, have + 1, size);
      await db.close();
      const importMs = performance.now() - t0;
      log(`realms ${size}: made ${size - have} in ${(importMs / 1000).toFixed(1)} s`);
      have = size;
      const server = await startServer(env, path.join(dir, 'server.log'));
      try {
        await new Promise((r) => setTimeout(r, 1000));
        const idleRssMb = rssMb(server.proc.pid!);
        const firstToken = await sample((i) => clientCredentials(server.url, i + 1), {
          count: size,
          warmup: 0,
        });
        const warmToken = await sample(
          () => clientCredentials(server.url, 1 + Math.floor(Math.random() * size)),
          { count: 100 },
        );
        const headers = { authorization: `Bearer ${await adminToken(server.url)}` };
        let adminListBytes = 0;
        const adminList = await sample(
          async () => {
            const r = await fetch(`${server.url}/admin/realms`, { headers });
            adminListBytes = Number(r.headers.get('content-length') ?? 0);
            return r;
          },
          { count: 20, warmup: 2 },
        );
        const point = {
          size,
          importMs,
          startMs: server.startMs,
          idleRssMb,
          rssMb: rssMb(server.proc.pid!),
          firstToken,
          warmToken,
          adminList,
          adminListBytes,
        };
        points.push(point);
        log(
          `realms ${size}: start ${point.startMs.toFixed(0)} ms, idle ${idleRssMb.toFixed(0)} MB, after ${point.rssMb.toFixed(0)} MB, first token p50 ${firstToken.p50.toFixed(1)} ms (${firstToken.errors} errors), admin list p50 ${adminList.p50.toFixed(1)} ms (${adminList.errors} errors)`,
        );
      } finally {
        await server.stop();
      }
    }
  } finally {
    await database.drop();
  }
  return points;
}

/**
 * Realms (issue 22 item 1): 10, 100, 1,000 realms on one PostgreSQL, each with a confidential
 * client, imported by the CLI (`node src/main.ts import`, as an operator would; the realms' keys
 * are made then). At each size the server is restarted and measured: start-up (spawn to ready),
 * idle RSS, the first client_credentials token of every realm (its first request loads the realm
 * and its keys), a token again in a warm realm, `GET /admin/realms`, and RSS after every realm
 * has served a token (memory per realm = its growth over idle, divided by the realms).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../../test/helpers/components.ts';
import {
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
      const files = Array.from({ length: size - have }, (_, j) => {
        const file = path.join(dir, `${realmName(have + j + 1)}.json`);
        writeFileSync(
          file,
          JSON.stringify({
            realm: realmName(have + j + 1),
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
      });
      let importMs = 0;
      for (let i = 0; i < files.length; i += 100)
        importMs += importFiles(env, files.slice(i, i + 100)).ms;
      log(`realms ${size}: imported ${files.length} in ${(importMs / 1000).toFixed(1)} s`);
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

/**
 * Keys per realm (issue 22 item 1): realms with 2, 20 and 200 ML-DSA-65 keys (`ml-dsa-generated`
 * key providers imported by the CLI; one active, the others passive, as after that many
 * rotations), on one server: the JWKS size, `/certs` latency, and a client_credentials grant
 * (which picks the active key among them), p50 / p99.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../../test/helpers/components.ts';
import {
  form,
  importFiles,
  rssMb,
  sample,
  serverEnv,
  startServer,
  type Latency,
} from './common.ts';

export interface KeysPoint {
  size: number;
  jwksBytes: number;
  jwksKeys: number;
  certs: Latency;
  grant: Latency;
}

const provider = (i: number) => ({
  name: `mldsa-${i}`,
  providerId: 'ml-dsa-generated',
  config: {
    algorithm: ['ML-DSA-65'],
    priority: [String(100 + i)],
    active: [i === 0 ? 'true' : 'false'],
  },
});

/** Runs the keys curve over `sizes` (key providers per realm) on PostgreSQL. */
export async function keysCurve(
  sizes: number[],
  log: (line: string) => void,
): Promise<{ points: KeysPoint[]; rssMb: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'qsign-scale-keys-'));
  const database = await createTestDatabase();
  const env = serverEnv(dir, database.url);
  const files = sizes.map((size) => {
    const file = path.join(dir, `k${size}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        realm: `k${size}`,
        defaultSignatureAlgorithm: 'ML-DSA-65',
        components: {
          'org.keycloak.keys.KeyProvider': Array.from({ length: size }, (_, i) => provider(i)),
        },
        clients: [
          {
            clientId: 'svc',
            secret: 'svc-secret',
            serviceAccountsEnabled: true,
            standardFlowEnabled: false,
            attributes: { 'access.token.signed.response.alg': 'ML-DSA-65' },
          },
        ],
      }),
    );
    return file;
  });
  importFiles(env, files);
  const server = await startServer(env, path.join(dir, 'server.log'));
  const points: KeysPoint[] = [];
  try {
    for (const size of sizes) {
      const base = `${server.url}/realms/k${size}/protocol/openid-connect`;
      const jwks = await (await fetch(`${base}/certs`)).text();
      const certs = await sample(() => fetch(`${base}/certs`), { count: 100 });
      const grant = await sample(
        () =>
          fetch(`${base}/token`, {
            ...form({
              grant_type: 'client_credentials',
              client_id: 'svc',
              client_secret: 'svc-secret',
            }),
          }),
        { count: 100 },
      );
      const keys = (JSON.parse(jwks) as { keys: unknown[] }).keys.length;
      points.push({ size, jwksBytes: Buffer.byteLength(jwks), jwksKeys: keys, certs, grant });
      log(
        `keys ${size}: JWKS ${keys} keys, ${Buffer.byteLength(jwks)} bytes, /certs p50 ${certs.p50.toFixed(1)} ms, grant p50 ${grant.p50.toFixed(1)} ms (errors ${certs.errors + grant.errors})`,
      );
    }
    return { points, rssMb: rssMb(server.proc.pid!) };
  } finally {
    await server.stop();
    await database.drop();
  }
}

/**
 * Scale-out in processes (issue 22 item 4): three server processes (`node src/main.ts`, as
 * `npm start` runs it, each on its own port) over one PostgreSQL database and one Redis, under a
 * mixed load: client_credentials, refresh (each token refreshed on the next process), JWKS, and
 * introspection (each token introspected on the next process). Checks that every request succeeds
 * and that every process served: the state they share is the store's. The same load against one
 * of them and against all three is timed and printed (requests/s) as a figure; no assertion is
 * made on it (the house rules forbid timing assertions; the machine is shared).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/private-servers.ts';
import { REPO } from '../helpers/server.ts';
import {
  REDIS_URL,
  createTestDatabase,
  postgresAvailable,
  redisAvailable,
} from '../helpers/components.ts';
import { sleep } from '../helpers/load.ts';

const available = (await postgresAvailable()) && (await redisAvailable());
const REALM = 'scaleout';
const BASIC = `Basic ${Buffer.from('svc:svc-secret').toString('base64')}`;
/** Requests per lane in each timed round, and lanes (loops of one request after another). */
const PER_LANE = 40;
const LANES = 12;

interface Proc {
  url: string;
  child: ChildProcess;
}
const procs: Proc[] = [];
let dir = '';
let drop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (!available) return;
  const db = await createTestDatabase();
  drop = db.drop;
  dir = mkdtempSync(path.join(tmpdir(), 'qsign-scale-out-'));
  mkdirSync(path.join(dir, 'realms'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    DATABASE_URL: db.url,
    REDIS_URL,
    DATA_DIR: path.join(dir, 'data'),
    REALMS_DIR: path.join(dir, 'realms'),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    WORKERS: '1',
    // One public URL for the three, as behind a load balancer: the same issuer on each.
    PUBLIC_BASE_URL: `http://127.0.0.1:${ports[0]}`,
  };
  const file = path.join(dir, 'scaleout.json');
  writeFileSync(
    file,
    JSON.stringify({
      realm: REALM,
      clients: [
        { clientId: 'svc', secret: 'svc-secret', serviceAccountsEnabled: true },
        { clientId: 'pw', publicClient: true, directAccessGrantsEnabled: true },
      ],
      users: [{ username: 'u', credentials: [{ value: 'u-password' }] }],
    }),
  );
  execFileSync(process.execPath, ['src/main.ts', 'import', file], { cwd: REPO, env });
  for (const port of ports) {
    const child = spawn(process.execPath, ['src/main.ts'], {
      cwd: REPO,
      env: { ...env, PORT: String(port) },
      stdio: 'ignore',
    });
    procs.push({ url: `http://127.0.0.1:${port}`, child });
  }
  for (const p of procs) {
    while (
      !(await fetch(`${p.url}/health/ready`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (p.child.exitCode !== null) throw new Error(`server on ${p.url} exited`);
      await sleep(100);
    }
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise((resolve) => {
          if (p.child.exitCode !== null) return resolve(undefined);
          p.child.once('exit', resolve);
          p.child.kill('SIGTERM');
        }),
    ),
  );
  await drop?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const tokenUrl = (p: Proc) => `${p.url}/realms/${REALM}/protocol/openid-connect/token`;
const post = (url: string, fields: Record<string, string>, basic = false) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic ? { authorization: BASIC } : {}),
    },
    body: new URLSearchParams(fields),
  });

/** One request's outcome: which process, what kind, and whether it did what it should. */
interface Outcome {
  proc: number;
  kind: string;
  ok: boolean;
  detail?: string;
}

/**
 * A lane of the mixed load over `targets` (indexes into procs): it logs in once, then cycles
 * client_credentials, refresh, JWKS, introspection, each on the next target in turn, the
 * refresh and the introspection on a process other than the one that issued the token when
 * there is more than one.
 */
async function lane(targets: number[], offset: number, count: number): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let at = offset;
  const next = () => targets[at++ % targets.length];
  const login = next();
  let tokens = (await (
    await post(tokenUrl(procs[login]), {
      grant_type: 'password',
      client_id: 'pw',
      username: 'u',
      password: 'u-password',
    })
  ).json()) as { access_token: string; refresh_token: string };
  for (let i = 0; i < count; i += 1) {
    const proc = next();
    const kind = ['client_credentials', 'refresh', 'jwks', 'introspection'][i % 4];
    if (kind === 'client_credentials') {
      const r = await post(tokenUrl(procs[proc]), { grant_type: 'client_credentials' }, true);
      const body = (await r.json()) as { access_token?: string };
      out.push({ proc, kind, ok: r.ok && Boolean(body.access_token) });
    } else if (kind === 'refresh') {
      const r = await post(tokenUrl(procs[proc]), {
        grant_type: 'refresh_token',
        client_id: 'pw',
        refresh_token: tokens.refresh_token,
      });
      const body = (await r.json()) as typeof tokens;
      if (r.ok) tokens = body;
      out.push({ proc, kind, ok: r.ok, detail: r.ok ? undefined : JSON.stringify(body) });
    } else if (kind === 'jwks') {
      const r = await fetch(`${procs[proc].url}/realms/${REALM}/protocol/openid-connect/certs`);
      const body = (await r.json()) as { keys?: { kid: string }[] };
      const kid = JSON.parse(
        Buffer.from(tokens.access_token.split('.')[0], 'base64url').toString(),
      ).kid;
      // The key that signed the token (on whichever process) is published by this one.
      out.push({ proc, kind, ok: r.ok && Boolean(body.keys?.some((k) => k.kid === kid)) });
    } else {
      const r = await post(
        `${tokenUrl(procs[proc])}/introspect`,
        { token: tokens.access_token },
        true,
      );
      const body = (await r.json()) as { active?: boolean };
      out.push({ proc, kind, ok: r.ok && body.active === true, detail: JSON.stringify(body) });
    }
  }
  return out;
}

async function round(targets: number[]) {
  const t0 = performance.now();
  const results = (
    await Promise.all(Array.from({ length: LANES }, (_, i) => lane(targets, i, PER_LANE)))
  ).flat();
  return { results, perS: results.length / ((performance.now() - t0) / 1000) };
}

describe.skipIf(!available)('three processes over one PostgreSQL and Redis', () => {
  it('serve a mixed load, every request succeeding, each process serving, state shared', async () => {
    // Warm-up of each process (first requests compile and load the realm), not measured.
    await round([0, 1, 2]);
    const one = await round([0]);
    const three = await round([0, 1, 2]);
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ');
    process.stdout.write(
      `scale-out: mixed load, ${LANES} lanes x ${PER_LANE} requests: 1 process ${one.perS.toFixed(0)} req/s, 3 processes ${three.perS.toFixed(0)} req/s (x${(three.perS / one.perS).toFixed(2)}) on ${availableParallelism()} cores, load average ${load}\n`,
    );
    for (const { results } of [one, three]) {
      expect(results.filter((r) => !r.ok).slice(0, 3)).toEqual([]);
      expect(results).toHaveLength(LANES * PER_LANE);
    }
    for (let p = 0; p < 3; p += 1)
      for (const kind of ['client_credentials', 'refresh', 'jwks', 'introspection'])
        expect(three.results.some((r) => r.proc === p && r.kind === kind)).toBe(true);
  }, 180_000);
});

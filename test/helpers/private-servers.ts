/**
 * Private PostgreSQL and Redis servers for fault tests, on free ports of 127.0.0.1, so a test can
 * stop and restart them without touching the machine's servers that other suites use. A missing
 * binary skips the tests that need it, with a message; with REQUIRE_ALL=1 it is a failure.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REQUIRE_ALL } from './components.ts';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const waitFor = async (check: () => boolean | Promise<boolean>, what: string, ms = 10_000) => {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not ready after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const acceptsConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

function missing(what: string): false {
  if (REQUIRE_ALL) throw new Error(`${what} is required (REQUIRE_ALL=1) for the fault tests`);
  console.warn(`skipping fault tests: ${what} not found`);
  return false;
}

const pgBin = (() => {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).sort().at(-1) : undefined;
  return version && existsSync(path.join(root, version, 'bin', 'initdb'))
    ? path.join(root, version, 'bin')
    : undefined;
})();
export const privatePostgresAvailable = (): boolean =>
  pgBin !== undefined || missing('PostgreSQL (initdb, pg_ctl)');

/** `stop()` is a fast shutdown (sessions terminated, as at a failover); neither blocks the event loop. */
export interface PrivatePostgres {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): void;
}

/** initdb (trust authentication) in a temporary folder, then started on a free port. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(tmpdir(), 'qsign-pg-'));
  const port = await freePort();
  // initdb refuses to run as root: run it and the server as the postgres user then.
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (asUser.length)
    chownSync(
      dir,
      Number(execFileSync('id', ['-u', 'postgres']).toString()),
      Number(execFileSync('id', ['-g', 'postgres']).toString()),
    );
  const argv = (bin: string, args: string[]): [string, string[]] => {
    const [command, ...rest] = [...asUser, path.join(pgBin!, bin), ...args];
    return [command, rest];
  };
  execFileSync(
    ...argv('initdb', ['-D', `${dir}/data`, '-A', 'trust', '-U', 'postgres', '--no-sync']),
    { stdio: 'ignore' },
  );
  const pgCtl = (action: string) =>
    argv('pg_ctl', [
      '-D',
      `${dir}/data`,
      '-l',
      `${dir}/log`,
      '-w',
      '-m',
      'fast',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      action,
    ]);
  const run = async (action: string) => {
    await promisify(execFile)(...pgCtl(action));
  };
  await run('start');
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => run('stop'),
    start: () => run('start'),
    remove() {
      try {
        execFileSync(...pgCtl('stop'), { stdio: 'ignore' });
      } catch {
        /* not running */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const redisBin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) =>
  existsSync(p),
);
export const privateRedisAvailable = (): boolean =>
  redisBin !== undefined || missing('redis-server');

export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** redis-server without persistence on a free port; `stop()` kills it, `start()` runs it again on the same port. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      redisBin!,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitFor(() => acceptsConnections(port), `redis-server on port ${port}`);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    async stop() {
      if (!child) return;
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child?.kill('SIGKILL');
      await exited;
      child = undefined;
    },
  };
}

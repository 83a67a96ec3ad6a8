/**
 * The documented start command, `npm start`, stops on SIGTERM (Kubernetes, systemd, Docker) and
 * SIGINT (Ctrl-C) sent to the npm process: npm passes the signal to its child, which must be the
 * server itself. The start script ran `sh -c "GLIBC_TUNABLES=... node ..."`: the shell died of the
 * signal, npm exited, and the server went on running, orphaned, holding the port.
 *
 * Each run is its own process group (detached), so "nothing left" is checked on the whole group
 * the moment npm has exited; whatever is left is killed by that group id afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO } from '../helpers/server.ts';
import { seedPgliteDataDir } from '../helpers/store-template.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True while any process of group `pgid` exists (signal 0 only checks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function startNpm(): Promise<{ npm: ChildProcess; port: number; output: () => string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'qsign-npm-start-'));
  mkdirSync(path.join(dir, 'realms'));
  seedPgliteDataDir(path.join(dir, 'data'));
  const port = await freePort();
  const npm = spawn('npm', ['start'], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: path.join(dir, 'data'),
      REALMS_DIR: path.join(dir, 'realms'),
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      REDIS_URL: '',
      WORKERS: '1',
      npm_config_update_notifier: 'false',
    },
  });
  let output = '';
  npm.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  npm.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  cleanups.push(() => {
    if (groupAlive(npm.pid!)) process.kill(-npm.pid!, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  // Ready: every realm loaded (none here) and the store open.
  for (;;) {
    if (npm.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await sleep(200);
  }
  return { npm, port, output: () => output };
}

describe('npm start and signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to the npm process stops the server: port free, no process left',
    async (signal) => {
      const { npm, port, output } = await startNpm();
      const exited = new Promise((resolve) => npm.once('exit', resolve));
      npm.kill(signal);
      await exited;
      // npm has exited: the server (its child) must be gone already, and the port with it.
      expect(groupAlive(npm.pid!)).toBe(false);
      expect(await portOpen(port)).toBe(false);
      // ...by the graceful stop (main.ts), not by a kill.
      expect(output()).toContain('"msg":"shutting down"');
    },
    180_000,
  );
});

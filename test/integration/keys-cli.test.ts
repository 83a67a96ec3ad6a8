/** `npm start -- keys list|rotate|disable`: the operator's key commands against a real store. */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from '../helpers/server.ts';
import { seedPgliteDataDir } from '../helpers/store-template.ts';

const run = promisify(execFile);
const dataDir = mkdtempSync(path.join(tmpdir(), 'qsign-keys-cli-'));
seedPgliteDataDir(dataDir);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
const cli = (...args: string[]) =>
  run(process.execPath, ['src/main.ts', ...args], { cwd: REPO, env });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the command to fail');
    },
    (err: { code: number; stderr: string }) => err,
  );

describe('keys CLI', () => {
  it('lists, rotates (old key turns passive), and refuses to disable the last active key', async () => {
    await cli('import', path.join(REPO, 'realms', 'demo.json'));
    const listed = (await cli('keys', 'list', '--realm', 'demo', '--alg', 'ML-DSA-65')).stdout
      .trim()
      .split('\n');
    expect(listed).toHaveLength(2);
    const oldKid = listed[1].split(/\s+/)[0];
    expect(listed[1]).toMatch(/ML-DSA-65\s+ACTIVE/);

    const rotated = (await cli('keys', 'rotate', '--realm', 'demo', '--alg', 'ML-DSA-65')).stdout;
    const newKid = /new ML-DSA-65 key (\S+) is ACTIVE/.exec(rotated)![1];
    const after = (await cli('keys', 'list', '--realm', 'demo', '--alg', 'ML-DSA-65')).stdout;
    expect(after).toMatch(new RegExp(`${newKid}\\s+ML-DSA-65\\s+ACTIVE`));
    expect(after).toMatch(new RegExp(`${oldKid}\\s+ML-DSA-65\\s+PASSIVE`));

    const refused = await failure(cli('keys', 'disable', '--realm', 'demo', '--kid', newKid));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the realm would have no active key for ML-DSA-65');
    expect((await cli('keys', 'disable', '--realm', 'demo', '--alg', 'ML-DSA-65')).stdout).toBe(
      `disabled ${oldKid}\n`,
    );
    expect((await cli('keys', 'list', '--realm', 'demo', '--alg', 'ML-DSA-65')).stdout).toMatch(
      new RegExp(`${oldKid}\\s+ML-DSA-65\\s+DISABLED`),
    );
  });
});

/**
 * A realm file nested 100,000 levels deep is refused with the file name, the JSON path and the
 * reason (RealmImportError), by the parser and by the `import` command; it overflowed the stack
 * (RangeError, exit code 1) in the placeholder walk before.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseRealm, readRealmFile, RealmImportError } from '../../src/realm/import.ts';
import { REPO } from '../helpers/server.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'qsign-depth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DEPTH = 100_000;
const deep = `{"realm":"deep","attributes":{"x":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}}`;

describe('realm files nested too deep', () => {
  it('readRealmFile and parseRealm refuse them with the file name and the path of the deep field', async () => {
    const file = path.join(dir, 'deep-realm.json');
    writeFileSync(file, deep);
    const err = await readRealmFile(file, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RealmImportError);
    expect((err as RealmImportError).problems).toEqual([
      {
        path: 'attributes',
        reason: expect.stringMatching(/^JSON is nested deeper than 64 levels/),
      },
    ]);
    expect((err as Error).message).toMatch(
      /^.*deep-realm\.json: realm rejected, nothing imported\n {2}at attributes: JSON is nested deeper than 64 levels/,
    );
    expect(() =>
      parseRealm(JSON.parse(`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`), 'array.json', {}),
    ).toThrow(
      /^array\.json: realm rejected, nothing imported\n {2}at \[0\]: JSON is nested deeper/,
    );
  });

  it('a realm nested just under the limit is judged on its content, as before', () => {
    const nested = JSON.parse(
      `{"realm":"ok","attributes":{"x":${'['.repeat(60)}${']'.repeat(60)}}}`,
    );
    expect(parseRealm(nested, 'ok.json', {}).realm).toBe('ok');
  });

  // The command opens and migrates the store (PGlite) before it reads the file: slow on a busy machine.
  it('`import FILE` exits 2 with the message, not 1 with a RangeError', async () => {
    const file = path.join(dir, 'deep-cli.json');
    writeFileSync(file, deep);
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [path.join(REPO, 'src', 'main.ts'), 'import', file],
        {
          cwd: REPO,
          env: {
            ...process.env,
            DATA_DIR: path.join(dir, 'data'),
            KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
            LOG_LEVEL: 'silent',
            DATABASE_URL: '',
          },
        },
        (_err, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
      );
    });
    expect(result.stderr).not.toMatch(/RangeError|call stack/);
    expect(result.stderr).toContain(
      `${file}: realm rejected, nothing imported\n  at attributes: JSON is nested deeper than 64 levels`,
    );
    expect(result.code).toBe(2);
  }, 180_000);
});

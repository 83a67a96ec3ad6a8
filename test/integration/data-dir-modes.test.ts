/**
 * DATA_DIR is private to the server's user: a fresh one is created 0700 with its PGlite files
 * 0600 under the usual umask 022 (it was 0755, and PGlite wrote a new database's files 0666, so
 * any local user could read the password hashes, sealed keys and sessions); an existing loose one
 * (as an older version left it) is tightened with a warning. The development
 * KEY_ENCRYPTION_KEY's folder is private too.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../helpers/server.ts';
import { loadConfig } from '../../src/config.ts';
import { openSqlClient } from '../../src/store/sql.ts';

const root = mkdtempSync(path.join(tmpdir(), 'qsign-modes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const modeOf = (file: string) => statSync(file).mode & 0o777;

/** Every path under `dir` whose mode lets group or others in, with its mode in octal. */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (!entry.isSymbolicLink() && modeOf(full) & 0o077)
      found.push(`${full} ${modeOf(full).toString(8)}`);
  }
  return found;
}

describe('DATA_DIR permissions', () => {
  it('a fresh DATA_DIR is 0700 and nothing in it is open to group or others, while running and after stop', async () => {
    const dataDir = path.join(root, 'fresh', 'data');
    const previous = process.umask(0o022);
    try {
      const server = await startServer({
        dataDir,
        // A store made from nothing: PGlite writes a new database's files 0666.
        fresh: true,
        realms: [
          {
            realm: 'modes',
            clients: [{ clientId: 'svc', secret: 's3cret', serviceAccountsEnabled: true }],
          },
        ],
      });
      expect(
        (await fetch(`${server.baseUrl}/realms/modes/.well-known/openid-configuration`)).status,
      ).toBe(200);
      expect(modeOf(dataDir).toString(8)).toBe('700');
      expect(modeOf(path.join(dataDir, 'pglite')).toString(8)).toBe('700');
      expect(openToOthers(dataDir).filter((p) => statSync(p.split(' ')[0]).isDirectory())).toEqual(
        [],
      );
      await server.stop();
      expect(openToOthers(dataDir)).toEqual([]);
    } finally {
      process.umask(previous);
    }
  });

  it('an existing DATA_DIR open to others (as older versions made it) is tightened, with a warning naming the old mode', async () => {
    const dataDir = path.join(root, 'old', 'data');
    mkdirSync(path.join(dataDir, 'pglite'), { recursive: true });
    chmodSync(dataDir, 0o755);
    chmodSync(path.join(dataDir, 'pglite'), 0o777);
    writeFileSync(path.join(dataDir, 'notes.txt'), 'operator file');
    const warnings: string[] = [];
    const db = await openSqlClient({ dataDir, warn: (m) => warnings.push(m) });
    await db.close();
    expect(modeOf(dataDir).toString(8)).toBe('700');
    expect(openToOthers(path.join(dataDir, 'pglite'))).toEqual([]);
    expect(warnings).toEqual([
      `DATA_DIR ${dataDir} was open to group or others (mode 0755); set to 0700`,
      `DATA_DIR store folder ${path.join(dataDir, 'pglite')} was open to group or others (mode 0777); set to 0700`,
    ]);
    // The operator's own files beside the store are left as they are.
    expect(modeOf(path.join(dataDir, 'notes.txt')).toString(8)).toBe('644');
    // A private DATA_DIR gets no warning.
    const again: string[] = [];
    await (await openSqlClient({ dataDir, warn: (m) => again.push(m) })).close();
    expect(again).toEqual([]);
  });

  it('development mode: the folder of the generated KEY_ENCRYPTION_KEY is created 0700 (PostgreSQL deployments too)', () => {
    const dataDir = path.join(root, 'dev', 'data');
    const previous = process.umask(0o022);
    try {
      loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://127.0.0.1:5432/unused' });
    } finally {
      process.umask(previous);
    }
    expect(modeOf(dataDir).toString(8)).toBe('700');
    expect(modeOf(path.join(dataDir, 'dev-key-encryption-key')).toString(8)).toBe('600');
  });
});

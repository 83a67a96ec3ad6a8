/**
 * The files `kc.sh export` writes (Keycloak SingleFileExportProvider, DirExportProvider and
 * MultipleStepsExportProvider; options as ExportImportConfig / UsersExportStrategy):
 * - `--file F`: one realm as one RealmRepresentation object, users included; without `--realm`
 *   every realm as a JSON array of them (SingleFileExportProvider.exportModel writes the list).
 * - `--dir D`: per realm `<realm>-realm.json`, and by `--users`: `different_files` (default)
 *   `<realm>-users-<N>.json` of `usersPerFile` users each (default 50), `same_file` all users in
 *   `<realm>-users-0.json`, `realm_file` users inside the realm file, `skip` no users. A users file
 *   is `{"realm": name, "users": [...]}` (ExportUtils.exportUsersToStream).
 * Files hold clear client secrets and password hashes: they are written mode 0600.
 */
import { QsignError } from '../errors.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SqlClient } from '../store/sql.ts';
import { findRealm, RealmNotFoundError } from '../store/realms.ts';
import { exportRealm, exportUsers, realmNames } from './export.ts';

/** Keycloak UsersExportStrategy, as `kc.sh export --users` spells it. */
export const USERS_STRATEGIES = ['skip', 'realm_file', 'same_file', 'different_files'] as const;
export type UsersStrategy = (typeof USERS_STRATEGIES)[number];
/** Keycloak ExportImportConfig.DEFAULT_USERS_PER_FILE. */
export const DEFAULT_USERS_PER_FILE = 50;

export interface ExportTarget {
  /** One realm, or every realm when absent. */
  realm?: string;
  file?: string;
  dir?: string;
  users?: UsersStrategy;
  usersPerFile?: number;
}

export class ExportOptionError extends QsignError {
  constructor(message: string) {
    super('ERR_EXPORT_OPTION', message);
    this.name = 'ExportOptionError';
  }
}

/** Pretty JSON (Keycloak writes with JsonSerialization.prettyMapper), owner-only. */
async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

/** Checks the option combination as kc.sh does. @throws ExportOptionError */
function checkTarget(target: ExportTarget): void {
  if (!target.file === !target.dir)
    throw new ExportOptionError('export: give exactly one of --file or --dir');
  if (target.users && !USERS_STRATEGIES.includes(target.users))
    throw new ExportOptionError(`export: --users must be one of ${USERS_STRATEGIES.join(', ')}`);
  if (target.file && (target.users === 'same_file' || target.users === 'different_files'))
    throw new ExportOptionError(
      `export: --users ${target.users} needs --dir (a single file holds users inside the realm)`,
    );
  if (
    target.usersPerFile !== undefined &&
    (!Number.isInteger(target.usersPerFile) || target.usersPerFile < 1)
  )
    throw new ExportOptionError('export: --users-per-file must be a positive integer');
}

/** Writes one realm into a `--dir` folder; returns the files written. */
async function exportRealmToDir(
  db: SqlClient,
  dir: string,
  realm: string,
  users: UsersStrategy,
  perFile: number,
): Promise<string[]> {
  const rep = await exportRealm(db, realm, { users: users === 'realm_file' });
  const written = [path.join(dir, `${realm}-realm.json`)];
  await writeJson(written[0], rep);
  if (users === 'skip' || users === 'realm_file') return written;
  const stored = await findRealm(db, realm);
  if (!stored) throw new RealmNotFoundError(realm);
  const all = await exportUsers(db, stored.id);
  const size = users === 'same_file' ? Math.max(all.length, 1) : perFile;
  for (let start = 0, n = 0; start < all.length; start += size, n += 1) {
    const file = path.join(dir, `${realm}-users-${n}.json`);
    await writeJson(file, { realm, users: all.slice(start, start + size) });
    written.push(file);
  }
  return written;
}

/**
 * Writes the export. @returns the files written.
 * @throws ExportOptionError for options kc.sh refuses; RealmNotFoundError for an unknown realm.
 */
export async function writeExport(db: SqlClient, target: ExportTarget): Promise<string[]> {
  checkTarget(target);
  const names = target.realm ? [target.realm] : await realmNames(db);
  if (target.file) {
    const include = target.users !== 'skip';
    const reps = await Promise.all(names.map((name) => exportRealm(db, name, { users: include })));
    await writeJson(target.file, target.realm ? reps[0] : reps);
    return [target.file];
  }
  await mkdir(target.dir!, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  for (const name of names)
    written.push(
      ...(await exportRealmToDir(
        db,
        target.dir!,
        name,
        target.users ?? 'different_files',
        target.usersPerFile ?? DEFAULT_USERS_PER_FILE,
      )),
    );
  return written;
}

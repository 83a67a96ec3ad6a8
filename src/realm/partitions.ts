/**
 * Users partition files, and importing a set of realm files together.
 *
 * `kc.sh export --dir D --users different_files` writes each realm as `<realm>-realm.json` (the
 * realm without users) plus `<realm>-users-<N>.json` files, each exactly `{"realm": name, "users":
 * [UserRepresentation...]}` (Keycloak ExportUtils.exportUsersToStream). `kc.sh import --dir D`
 * (Keycloak DirImportProvider.importRealm) reads `<realm>-realm.json`, refuses it when it holds
 * another realm ("File name / realm name mismatch"), imports it, then each `<realm>-users-N.json`
 * (ImportUtils.importUsersFromStream, which refuses a file of another realm) inside the same realm
 * import, and only when the realm itself is imported: a realm kept as it is keeps its users too.
 *
 * Here a partition is recognised by its content (an object with `realm` and `users` and nothing
 * else), so the files may carry any name when given one by one or in REALMS_DIR:
 * - a partition imported together with its realm file is merged into it: one realm, one
 *   transaction; a problem in the partition names the partition file and its own JSON path;
 * - a partition of a realm already in the store adds its users to that realm, with the rules of
 *   Keycloak's partial import of users (UsersPartialImport, PartialImportRepresentation policy
 *   FAIL by default, OVERWRITE with `override`): a user whose username, or email when the realm
 *   does not allow duplicate emails, exists is refused (or replaced), and new users get new ids;
 *   `onExistingRealm: 'skip'` (the REALMS_DIR import at start) keeps the stored realm as it is;
 * - a partition with neither is what it also is, a RealmRepresentation, and imported as one.
 * Every file is read and validated before anything is written; each realm is written in one
 * transaction, so a file that fails writes nothing.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { SqlClient } from '../store/sql.ts';
import { findRealm, type StoredRealm } from '../store/realms.ts';
import { deleteUser, findUserByUsername, insertUser, searchUsers } from '../store/users.ts';
import {
  importRealm,
  parseRealm,
  readRealmJson,
  RealmImportError,
  storedUsers,
  type ImportProblem,
  type ImportResult,
} from './import.ts';
import type { RealmRepresentation } from '../model/representation.ts';
import type { Backends } from '../signer/backends.ts';

/** A parsed JSON file. */
export interface RealmSource {
  file: string;
  json: unknown;
}

/** A users partition: `{ realm, users }` (ExportUtils.exportUsersToStream). */
export interface UsersPartition {
  file: string;
  realm: string;
  users: unknown[];
}

/** One realm to write: a realm file (or a partition standing for one) with the partitions merged into it. */
export interface RealmUnit {
  kind: 'realm';
  file: string;
  json: unknown;
  partitions: UsersPartition[];
}

/** Partitions of a realm that no file of the import defines. */
export interface UsersUnit {
  kind: 'users';
  realm: string;
  partitions: UsersPartition[];
}

const PARTITION_KEYS = new Set(['realm', 'users']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The partition in `source`, or undefined when it is a realm file.
 * @throws RealmImportError for a partition whose `realm` is not a string or `users` not an array,
 *   and for a federated-users partition (`{realm, federatedUsers}`: no user federation here).
 */
export function usersPartition(source: RealmSource): UsersPartition | undefined {
  const { file, json } = source;
  if (!isObject(json)) return undefined;
  const keys = Object.keys(json);
  if (
    keys.includes('federatedUsers') &&
    keys.every((k) => k === 'realm' || k === 'federatedUsers')
  ) {
    throw new RealmImportError(file, [
      {
        path: 'federatedUsers',
        reason:
          'a federated users file (<realm>-federated-users-N.json) cannot be imported: there is no user federation',
      },
    ]);
  }
  if (!keys.includes('users') || !keys.every((k) => PARTITION_KEYS.has(k))) return undefined;
  const problems: ImportProblem[] = [];
  if (typeof json.realm !== 'string')
    problems.push({ path: 'realm', reason: 'a users file needs the name of its realm' });
  if (!Array.isArray(json.users))
    problems.push({ path: 'users', reason: 'must be an array of users' });
  if (problems.length) throw new RealmImportError(file, problems);
  return { file, realm: json.realm as string, users: json.users as unknown[] };
}

/**
 * Groups files into realms: each partition goes to the realm file of its realm (the first one, when
 * two files define it), the others into one UsersUnit per realm. Order: the files' order, the
 * master realm first (as Keycloak's DirImportProvider.getRealmsToImport).
 */
export function groupPartitions(sources: RealmSource[]): (RealmUnit | UsersUnit)[] {
  const units: (RealmUnit | UsersUnit)[] = [];
  const realmUnits = new Map<string, RealmUnit>();
  const partitions: UsersPartition[] = [];
  for (const source of sources) {
    const partition = usersPartition(source);
    if (partition) {
      partitions.push(partition);
      continue;
    }
    const unit: RealmUnit = { kind: 'realm', file: source.file, json: source.json, partitions: [] };
    const name =
      isObject(source.json) && typeof source.json.realm === 'string'
        ? source.json.realm
        : undefined;
    if (name !== undefined && !realmUnits.has(name)) realmUnits.set(name, unit);
    units.push(unit);
  }
  const orphans = new Map<string, UsersUnit>();
  for (const partition of partitions) {
    const realmUnit = realmUnits.get(partition.realm);
    if (realmUnit) {
      realmUnit.partitions.push(partition);
      continue;
    }
    let unit = orphans.get(partition.realm);
    if (!unit) {
      unit = { kind: 'users', realm: partition.realm, partitions: [] };
      orphans.set(partition.realm, unit);
      units.push(unit);
    }
    unit.partitions.push(partition);
  }
  const isMaster = (u: RealmUnit | UsersUnit) =>
    (u.kind === 'users' ? u.realm : isObject(u.json) ? u.json.realm : undefined) === 'master';
  return [...units.filter(isMaster), ...units.filter((u) => !isMaster(u))];
}

/** The realm JSON with the partitions' users appended to its own `users` (left as it is when it is not an array: the schema names it). */
export function mergedRealmJson(unit: RealmUnit): unknown {
  if (!unit.partitions.length || !isObject(unit.json)) return unit.json;
  const own = unit.json.users ?? [];
  if (!Array.isArray(own)) return unit.json;
  return { ...unit.json, users: [...own, ...unit.partitions.flatMap((p) => p.users)] };
}

/**
 * Re-attributes the problems of a merged realm to the file they come from: `users[k]` beyond the
 * realm file's own users is `users[k - offset]` of the partition holding it. All problems in one
 * file: that file is the error's source; in several: the files are listed and each path is
 * prefixed with its file's name.
 */
export function attributeProblems(
  err: RealmImportError,
  realmFile: string,
  ownUsers: number,
  partitions: UsersPartition[],
): RealmImportError {
  const located = err.problems.map((problem) => {
    const m = /^users\[(\d+)\](.*)$/s.exec(problem.path);
    let index = m ? Number(m[1]) - ownUsers : -1;
    if (index < 0) return { file: realmFile, problem };
    for (const partition of partitions) {
      if (index < partition.users.length)
        return { file: partition.file, problem: { ...problem, path: `users[${index}]${m![2]}` } };
      index -= partition.users.length;
    }
    return { file: realmFile, problem };
  });
  const files = [...new Set(located.map((l) => l.file))];
  if (files.length === 1)
    return new RealmImportError(
      files[0],
      located.map((l) => l.problem),
    );
  return new RealmImportError(
    files.join(' + '),
    located.map((l) => ({ ...l.problem, path: `${path.basename(l.file)}: ${l.problem.path}` })),
  );
}

/** Validates a realm unit (parseRealm on the merged JSON). @throws RealmImportError naming the file and path of each problem. */
export function parseRealmUnit(unit: RealmUnit, env: NodeJS.ProcessEnv): RealmRepresentation {
  try {
    return parseRealm(mergedRealmJson(unit), unit.file, env);
  } catch (err) {
    if (!(err instanceof RealmImportError) || !unit.partitions.length) throw err;
    const own = isObject(unit.json) && Array.isArray(unit.json.users) ? unit.json.users.length : 0;
    throw attributeProblems(err, unit.file, own, unit.partitions);
  }
}

/**
 * Validates partition users against a stored realm: the roles, clients and groups they name must
 * exist there (parseRealm on a view of the stored realm holding only those).
 * @throws RealmImportError naming the partition file and the path in it.
 */
export function parseUsersForRealm(
  stored: StoredRealm,
  partitions: UsersPartition[],
  env: NodeJS.ProcessEnv,
): RealmRepresentation['users'] {
  const { doc } = stored;
  const view = {
    realm: doc.realm,
    // Only what user references resolve against (client attributes would be checked against keys again).
    clients: doc.clients.map((c) => ({ id: c.id, clientId: c.clientId, publicClient: true })),
    roles: doc.roles,
    groups: doc.groups,
    defaultRole: doc.defaultRole,
    users: partitions.flatMap((p) => p.users),
  };
  try {
    return parseRealm(view, partitions[0].file, env).users;
  } catch (err) {
    if (!(err instanceof RealmImportError)) throw err;
    throw attributeProblems(err, partitions[0].file, 0, partitions);
  }
}

export interface UnitResult {
  realm: string;
  status: ImportResult['status'] | 'users added';
  users: number;
  clients: number;
  files: string[];
}

export interface ImportFilesOptions {
  env: NodeJS.ProcessEnv;
  /** Replace an existing realm (Keycloak `--override true`); for partitions of a stored realm, replace users that exist. */
  override?: boolean;
  /** A partition of a stored realm: add its users (`import` command, default) or keep the realm as it is (REALMS_DIR at start). */
  onExistingRealm?: 'add-users' | 'skip';
  /** The operator's key back ends, for realms whose key providers name one (keys/providers/). */
  backends?: Backends;
}

type Write = () => Promise<UnitResult>;

/** Checks a users unit against the store and returns its write. @throws RealmImportError */
async function planUsersUnit(
  db: SqlClient,
  kek: Buffer,
  unit: UsersUnit,
  options: ImportFilesOptions,
): Promise<Write> {
  const files = unit.partitions.map((p) => p.file);
  const stored = await findRealm(db, unit.realm);
  if (!stored) {
    // No realm of that name anywhere: the first partition is a RealmRepresentation in its own right.
    const [first, ...rest] = unit.partitions;
    const rep = parseRealmUnit(
      {
        kind: 'realm',
        file: first.file,
        json: { realm: first.realm, users: first.users },
        partitions: rest,
      },
      options.env,
    );
    return async () => ({
      ...(await importRealm(db, kek, rep, {
        override: options.override,
        backends: options.backends,
      })),
      files,
    });
  }
  if (options.onExistingRealm === 'skip')
    return async () => ({ realm: unit.realm, status: 'skipped', users: 0, clients: 0, files });
  const users = parseUsersForRealm(stored, unit.partitions, options.env);
  const replaced = await existingUsers(
    db,
    stored,
    users,
    unit.partitions,
    options.override === true,
  );
  const prepared = await storedUsers(users.map((u) => ({ ...u, id: randomUUID() })));
  return async () => {
    await db.transaction(async (tx) => {
      for (const id of replaced) await deleteUser(tx, stored.id, id);
      for (const { user, passwords, otps } of prepared)
        await insertUser(tx, stored.id, user, passwords, otps);
    });
    return { realm: unit.realm, status: 'users added', users: prepared.length, clients: 0, files };
  };
}

/**
 * Ids of stored users that the partitions' users collide with (UsersPartialImport.exists: same
 * username, or same email unless the realm allows duplicate emails).
 * @throws RealmImportError when there are any and `override` is not set (policy FAIL).
 */
async function existingUsers(
  db: SqlClient,
  stored: StoredRealm,
  users: RealmRepresentation['users'],
  partitions: UsersPartition[],
  override: boolean,
): Promise<Set<string>> {
  const ids = new Set<string>();
  const problems: ImportProblem[] = [];
  const duplicateEmails =
    (stored.doc as { duplicateEmailsAllowed?: unknown }).duplicateEmailsAllowed === true;
  for (const [i, user] of users.entries()) {
    const byName = await findUserByUsername(db, stored.id, user.username);
    const byEmail =
      !byName && user.email && !duplicateEmails
        ? (await searchUsers(db, stored.id, { email: user.email, exact: true, max: 1 }))[0]
        : undefined;
    const found = byName ?? byEmail;
    if (!found) continue;
    ids.add(found.id);
    problems.push({
      path: `users[${i}].${byName ? 'username' : 'email'}`,
      reason: `a user with ${byName ? `username "${user.username}"` : `email "${user.email}"`} exists in realm "${stored.name}" (--override replaces it)`,
    });
  }
  if (problems.length && !override)
    throw attributeProblems(
      new RealmImportError(partitions[0].file, problems),
      partitions[0].file,
      0,
      partitions,
    );
  return ids;
}

/**
 * Imports realm files together: reads and validates every file (and checks partitions of stored
 * realms against the store), then writes each realm in its own transaction.
 * @returns one result per realm, in write order.
 * @throws RealmImportError (file name and JSON paths) before anything is written.
 */
export async function importRealmFiles(
  db: SqlClient,
  kek: Buffer,
  files: string[],
  options: ImportFilesOptions,
): Promise<UnitResult[]> {
  const sources: RealmSource[] = [];
  for (const file of files) sources.push({ file, json: await readRealmJson(file) });
  const writes: Write[] = [];
  for (const unit of groupPartitions(sources)) {
    if (unit.kind === 'users') {
      writes.push(await planUsersUnit(db, kek, unit, options));
      continue;
    }
    const rep = parseRealmUnit(unit, options.env);
    const unitFiles = [unit.file, ...unit.partitions.map((p) => p.file)];
    writes.push(async () => ({
      ...(await importRealm(db, kek, rep, {
        override: options.override,
        backends: options.backends,
      })),
      files: unitFiles,
    }));
  }
  const results: UnitResult[] = [];
  for (const write of writes) results.push(await write());
  return results;
}

/**
 * The files `kc.sh import --dir` reads (DirImportProvider): every `<realm>-realm.json`, master first,
 * each followed by its `<realm>-users-<N>.json` (N ascending) and `<realm>-federated-users-<N>.json`
 * (which importRealmFiles refuses). Other files in the folder are not imported.
 * @throws RealmImportError when a `<realm>-realm.json` holds another realm (DirImportProvider's
 *   "File name / realm name mismatch"); fs errors when the folder cannot be read.
 */
export async function keycloakDirFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  const realms = names
    .filter((n) => n.endsWith('-realm.json'))
    .map((n) => n.slice(0, -'-realm.json'.length))
    .sort((a, b) => (a === 'master' ? -1 : b === 'master' ? 1 : 0));
  const files: string[] = [];
  for (const realm of realms) {
    const realmFile = path.join(dir, `${realm}-realm.json`);
    const json = await readRealmJson(realmFile);
    if (isObject(json) && json.realm !== realm) {
      throw new RealmImportError(realmFile, [
        {
          path: 'realm',
          reason: `the file of realm "${realm}" holds realm ${JSON.stringify(json.realm)}: a realm's file must be named <realm>-realm.json`,
        },
      ]);
    }
    // `<realm>-<kind>-<N>.json`, N ascending.
    const numbered = (kind: string) =>
      names
        .filter(
          (n) =>
            n.startsWith(`${realm}-${kind}-`) &&
            /^\d+\.json$/.test(n.slice(`${realm}-${kind}-`.length)),
        )
        .sort(
          (a, b) =>
            parseInt(a.slice(`${realm}-${kind}-`.length), 10) -
            parseInt(b.slice(`${realm}-${kind}-`.length), 10),
        )
        .map((n) => path.join(dir, n));
    files.push(realmFile, ...numbered('users'), ...numbered('federated-users'));
  }
  return files;
}

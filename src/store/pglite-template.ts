/**
 * The embedded store's start-up template: an empty, migrated PGlite folder that the build makes
 * (`npm run build:store-template`, run by `prepare`: scripts/store-template.ts) in
 * `dist/store-template/`, and that the first start copies into a new DATA_DIR instead of running
 * PGlite's initdb. initdb runs a second PostgreSQL and the initdb program in WebAssembly (about
 * 5 s and 1 GB of peak memory on a 2-core machine); the copy is a folder copy (docs/performance.md
 * "Start-up and memory").
 *
 * The template is made by the build, never committed. It is used only when its stamp
 * (`template.json`) names the installed PGlite version and the digest of this version's
 * migrations; otherwise, or when it is missing, the store is made by initdb as before. It holds no
 * row but `schema_migrations` (no key, no secret: those are made by the realm import), and it is
 * copied to a folder beside the target first and renamed into place, so a crash mid-copy leaves
 * no half store (a left-over copy is removed at the next seeding).
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { migrate, migrationsDigest } from './migrations.ts';
import { PRIVATE_DIR_MODE, restrictTree } from './data-dir.ts';
import { openSqlClient } from './sql.ts';

/** Where the build writes the template: `<package>/dist/store-template` (holds `pglite/` and `template.json`). */
export const STORE_TEMPLATE_DIR = path.resolve(import.meta.dirname, '../../dist/store-template');

/** What a template was made with: the PGlite version and `migrationsDigest()`. */
export interface TemplateStamp {
  pglite: string;
  migrations: string;
}

/** The stamp a usable template must carry for this build. */
export function currentStamp(): TemplateStamp {
  const pkg = new URL('../package.json', import.meta.resolve('@electric-sql/pglite'));
  const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
  return { pglite: version, migrations: migrationsDigest() };
}

/** The template's stamp, or undefined when there is none (or it is not readable JSON). */
function readStamp(templateDir: string): TemplateStamp | undefined {
  try {
    return JSON.parse(readFileSync(path.join(templateDir, 'template.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * True when `templateDir` holds a template made for this build (see the header).
 */
export function templateUsable(templateDir: string): boolean {
  const stamp = readStamp(templateDir);
  const current = currentStamp();
  return (
    stamp?.pglite === current.pglite &&
    stamp.migrations === current.migrations &&
    existsSync(path.join(templateDir, 'pglite', 'PG_VERSION'))
  );
}

/**
 * Copies the template into `folder` (a store's `DATA_DIR/pglite`, store/sql.ts pgliteFolder) when `folder` holds no store
 * yet (missing or empty) and the template is usable. Folders end 0700, files 0600.
 * @returns true when the store was made from the template; false when nothing was copied (the
 *   store is then opened as it is: an existing store, or a fresh one by initdb).
 * @throws the fs error of a failed copy or rename (nothing is left at `folder` then).
 */
export function seedFromTemplate(folder: string, templateDir = STORE_TEMPLATE_DIR): boolean {
  if (existsSync(folder) && readdirSync(folder).length) return false;
  if (!templateUsable(templateDir)) return false;
  const parent = path.dirname(folder);
  // DATA_DIR itself: made 0700 as store/data-dir.ts makes it (an existing one is checked at open).
  mkdirSync(parent, { recursive: true, mode: PRIVATE_DIR_MODE });
  const prefix = `${path.basename(folder)}.seed-`;
  for (const leftover of readdirSync(parent).filter((f) => f.startsWith(prefix)))
    rmSync(path.join(parent, leftover), { recursive: true, force: true });
  const staging = path.join(parent, `${prefix}${process.pid}`);
  try {
    cpSync(path.join(templateDir, 'pglite'), staging, { recursive: true });
    restrictTree(staging);
    if (existsSync(folder)) rmSync(folder, { recursive: true });
    renameSync(staging, folder);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return true;
}

/**
 * Makes the template in `templateDir` (replacing one there): PGlite's initdb with the store's
 * start parameters (store/pglite-options.ts), every migration, then the stamp; built in a staging
 * folder and renamed into place.
 * @throws what initdb or a migration throws (no template is left then).
 */
export async function makeStoreTemplate(templateDir = STORE_TEMPLATE_DIR): Promise<void> {
  const staging = `${templateDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const db = await openSqlClient({ dataDir: staging });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    writeFileSync(path.join(staging, 'template.json'), `${JSON.stringify(currentStamp())}\n`);
    restrictTree(staging);
    rmSync(templateDir, { recursive: true, force: true });
    renameSync(staging, templateDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

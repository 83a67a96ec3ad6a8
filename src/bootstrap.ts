/**
 * Start-up steps shared by `start`, `import`, `export` and `events verify`: opening and migrating
 * the store, and importing the realms folder. No state of its own: every value is passed in.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { openSqlClient, pgliteFolder, type SqlClient } from './store/sql.ts';
import { seedFromTemplate } from './store/pglite-template.ts';
import { migrate } from './store/migrations.ts';
import { importRealmFiles } from './realm/partitions.ts';
import { sealClearRealmSecrets } from './store/realms.ts';
import { checkKeyEncryptionKey } from './keys/kek-check.ts';
import type { Backends } from './signer/backends.ts';

/** Environment for realm placeholders: the bootstrap admin comes from config (KC_BOOTSTRAP_ADMIN_*). */
export function importEnv(config: Config): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KC_BOOTSTRAP_ADMIN_USERNAME: config.adminUsername,
    KC_BOOTSTRAP_ADMIN_PASSWORD: config.adminPassword,
  };
}

/**
 * Opens and migrates the store (a new PGlite store is first copied from the build's template when
 * there is a usable one: store/pglite-template.ts), checks KEY_ENCRYPTION_KEY against it (keys/kek-check.ts;
 * WrongKeyEncryptionKeyError: exit code 2), then seals realm secrets older versions stored in clear.
 */
export async function openStore(config: Config): Promise<SqlClient> {
  // A new embedded store starts as a copy of the build's migrated template, without initdb.
  if (!config.databaseUrl && !config.dataDir.startsWith('memory://'))
    seedFromTemplate(pgliteFolder(config.dataDir));
  const db = await openSqlClient({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolMaxSize,
    keyEncryptionKey: config.keyEncryptionKey,
  });
  try {
    await migrate(db);
    await checkKeyEncryptionKey(db, config.keyEncryptionKey);
    await sealClearRealmSecrets(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

/** Imports every `*.json` in the realms folder, master first; existing realms are kept as they are. */
export async function importRealmsDir(
  db: SqlClient,
  config: Config,
  log: Logger,
  backends: Backends,
): Promise<void> {
  let files: string[];
  try {
    files = (await readdir(config.realmsDir))
      .filter((f) => f.endsWith('.json'))
      .sort((a, b) => (a === 'master.json' ? -1 : b === 'master.json' ? 1 : a.localeCompare(b)));
  } catch {
    log.warn({ dir: config.realmsDir }, 'realms folder not found; no realm imported');
    return;
  }
  // Users partition files merge into their realm's file (realm/partitions.ts).
  const results = await importRealmFiles(
    db,
    config.keyEncryptionKey,
    files.map((f) => path.join(config.realmsDir, f)),
    { env: importEnv(config), onExistingRealm: 'skip', backends },
  );
  for (const { files: used, ...result } of results)
    log.info(
      { file: used.join(' + '), ...result },
      result.status === 'skipped' ? 'realm exists, import skipped' : 'realm imported',
    );
}
